// People and their listening history: /api/users (list, add, remove), /api/users/server (the media server's
// users, for the admin to pick from), /api/users/:id/sync (read their history from the server now) and
// /api/users/:id/import (a ListenBrainz or Last.fm export as the request body). Credentials go in, never out.
import { CredentialsKeyError } from '../../lib/credentials.ts';
import { listeningHistory } from '../../lib/store/listening-history.ts';
import { createUser, getUser, listUsers } from '../../lib/store/users.ts';
import { deleteUserAndRadios } from '../../client/radios.ts';
import { radioControl } from './radio-routes.ts';
import { ScrobbleFileError } from '../../engines/history/scrobbles.ts';
import { syncUserHistory } from '../../providers/media/history-sync.ts';
import { lazyMediaProvider } from './media-provider.ts';
import { MediaServerError } from '../../providers/media/provider.ts';
import { importScrobbleFile } from '../../queries/listening-history.ts';
import type { ApiDeps, ApiRoute } from './deps.ts';
import { ApiError } from './errors.ts';

/** Scrobble exports are large: years of listens run to tens of megabytes. */
const MAX_IMPORT_BYTES = 256 * 1024 * 1024;
const USER_ID = { id: { type: 'string', pattern: '^[0-9]{1,18}$', description: 'Our user id (GET /api/users)' } };

async function answer<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof CredentialsKeyError) throw new ApiError(503, err.message);
    if (err instanceof ScrobbleFileError) throw new ApiError(400, `the file: ${err.message}`, 'body');
    if (err instanceof MediaServerError)
      throw new ApiError(err.code === 'refused' ? 409 : 502, `the media server: ${err.message}`);
    throw err;
  }
}

export function userRoutes(deps: ApiDeps): ApiRoute[] {
  const source = deps.config.mediaServerType;
  const mediaProvider = lazyMediaProvider(deps);
  const find = async (id: string) => {
    const user = await getUser(deps.pool, source, id);
    if (!user || user.id !== id) throw new ApiError(404, `no such user: ${id}`, 'id');
    return user;
  };
  return [
    {
      method: 'get',
      path: '/api/users',
      operationId: 'listUsers',
      tag: 'users',
      summary: 'The people whose listening history is followed, with how many tracks it holds (never their login)',
      responses: { 200: 'The users' },
      handler: () => listUsers(deps.pool, source),
    },
    {
      method: 'get',
      path: '/api/users/server',
      operationId: 'listServerUsers',
      tag: 'users',
      summary:
        "The media server's users to pick from, as {users: [{id, name, admin}]} (Jellyfin: every user; Subsonic: getUsers, an admin login); a source without users answers none and a message",
      responses: { 200: '{users, message?}', 502: 'The media server failed' },
      handler: () =>
        answer(async () => {
          const m = await mediaProvider();
          // 200 even then: the page asks on every load, and a refusal would read as an error there.
          if (!m.listUsers)
            return {
              users: [],
              message: `a ${m.type} source has no users: add a person by name and import their scrobbles`,
            };
          return { users: await m.listUsers() };
        }),
    },
    {
      method: 'post',
      path: '/api/users',
      operationId: 'createUser',
      tag: 'users',
      summary:
        "Follows a person: a server user (serverUserId from /api/users/server) or, for a local folder, a name for a scrobble import. A Subsonic user's own login (login + password or apiKey) is stored encrypted with USER_CREDENTIALS_KEY",
      body: {
        type: 'object',
        additionalProperties: false,
        required: ['name'],
        properties: {
          name: { type: 'string', minLength: 1, maxLength: 200 },
          serverUserId: { type: 'string', minLength: 1, maxLength: 200 },
          login: { type: 'string', minLength: 1, maxLength: 200 },
          password: { type: 'string', minLength: 1, maxLength: 1000 },
          apiKey: { type: 'string', minLength: 1, maxLength: 1000 },
        },
      },
      responses: { 200: 'The user', 409: 'A user of that name exists', 503: 'USER_CREDENTIALS_KEY is not set' },
      handler: (_ctx, { body }) =>
        answer(async () => {
          const b = body as { name: string; serverUserId?: string; login?: string; password?: string; apiKey?: string };
          const credentials =
            b.password || b.apiKey ? { user: b.login ?? b.name, password: b.password, apiKey: b.apiKey } : undefined;
          const user = await createUser(
            deps.pool,
            {
              source,
              name: b.name,
              serverUserId: b.serverUserId ?? (source === 'navidrome' ? b.name : undefined),
              credentials,
            },
            deps.config.userCredentialsKey,
          );
          if (!user) throw new ApiError(409, `${source} already has a user named ${JSON.stringify(b.name)}`, 'name');
          return user;
        }),
    },
    {
      method: 'delete',
      path: '/api/users/:id',
      operationId: 'deleteUser',
      tag: 'users',
      params: USER_ID,
      summary:
        'Stops following a person: their history, stored login, radios and radio schedules are deleted; their playlists on the server stay',
      responses: { 200: '{removed}', 404: 'No such user' },
      async handler(_ctx, { params }) {
        if (!(await deleteUserAndRadios(radioControl(deps), params.id)))
          throw new ApiError(404, `no such user: ${params.id}`, 'id');
        return { removed: params.id };
      },
    },
    {
      method: 'get',
      path: '/api/users/:id/history',
      operationId: 'userHistory',
      tag: 'users',
      params: USER_ID,
      query: { limit: { type: 'integer', minimum: 1, maximum: 10_000, default: 100 } },
      summary: "A person's listening history, most played first",
      responses: { 200: 'Tracks with playCount, lastPlayed and favourite', 404: 'No such user' },
      async handler(_ctx, { params, query }) {
        const user = await find(params.id);
        return listeningHistory(deps.pool, user.id, (query.limit as number | undefined) ?? 100);
      },
    },
    {
      method: 'post',
      path: '/api/users/:id/sync',
      operationId: 'syncUser',
      tag: 'users',
      params: USER_ID,
      summary:
        "Reads the person's play counts, last plays and favourites from the media server now, in place of the last sync",
      responses: {
        200: '{read, stored, unknown, removed}',
        404: 'No such user',
        409: 'The source keeps no history',
        502: 'The media server failed',
      },
      handler: (_ctx, { params }) =>
        answer(async () =>
          syncUserHistory(deps.pool, await mediaProvider(), await find(params.id), deps.config.userCredentialsKey),
        ),
    },
    {
      method: 'post',
      path: '/api/users/:id/import',
      operationId: 'importUserHistory',
      tag: 'users',
      params: USER_ID,
      summary:
        'A scrobble export as the request body (ListenBrainz JSON / JSON lines, or a Last.fm CSV: artist, album, track, date), matched by artist + title; says how many listens matched',
      responses: {
        200: 'The import report',
        400: 'Not a scrobble file',
        404: 'No such user',
        413: 'Larger than 256 MB',
      },
      handler: (ctx, { params }) =>
        answer(async () => {
          const user = await find(params.id);
          const chunks: Buffer[] = [];
          let size = 0;
          for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
            size += chunk.length;
            if (size > MAX_IMPORT_BYTES) throw new ApiError(413, 'the file is larger than 256 MB', 'body');
            chunks.push(chunk);
          }
          return importScrobbleFile(deps.pool, source, user.id, Buffer.concat(chunks).toString('utf8'));
        }),
    },
  ];
}
