// Mixing and saving in the original's shapes: POST /api/alchemy (the Lyrion mixer's and the alchemy page's call;
// several ADD songs make a multi-seed instant mix), POST /api/create_playlist (save any result on the media
// server) and GET /api/saved_playlists (what was saved, for the page).
import { libraryMapScope } from '../../queries/library-map.ts';
import { ALCHEMY_MAX_N, AlchemyQueries, type AlchemyItem } from '../../queries/alchemy.ts';
import { PlaylistRequestError, PlaylistSaving } from '../../queries/saved-playlists.ts';
import { UnknownSongError } from '../../queries/similarity.ts';
import { SUBTRACT_DISTANCE } from '../../engines/similarity/alchemy.ts';
import { savedPlaylists } from '../../lib/store/saved-playlists.ts';
import { lazyMediaProvider } from './media-provider.ts';
import { MediaServerError } from '../../providers/media/provider.ts';
import type { ApiDeps, ApiRoute } from './deps.ts';
import { ApiError } from './errors.ts';
import { ACCEPTED, FILTER_FIELDS, filtersFrom } from './filter-params.ts';
import { similarityQueries } from './index-routes.ts';

/** A listening query's own errors as HTTP answers: an unknown song 404, a refused playlist its status, a failing
 *  media server 502. */
export async function answer<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof UnknownSongError) throw new ApiError(404, err.message);
    if (err instanceof PlaylistRequestError) throw new ApiError(err.status, err.message, err.field);
    if (err instanceof MediaServerError) throw new ApiError(502, `the media server: ${err.message}`);
    throw err;
  }
}

const ID = { type: 'string', minLength: 1, maxLength: 500 } as const;

export function listeningRoutes(deps: ApiDeps): ApiRoute[] {
  const similarity = similarityQueries(deps);
  const source = libraryMapScope(deps.config).source;
  const alchemy = new AlchemyQueries(deps.pool, source, similarity);
  const mediaProvider = lazyMediaProvider(deps);
  const saving = new PlaylistSaving(deps.pool, source, mediaProvider);
  return [
    {
      method: 'post',
      path: '/api/alchemy',
      operationId: 'alchemy',
      tag: 'similarity',
      query: { ...ACCEPTED },
      body: {
        type: 'object',
        additionalProperties: false,
        required: ['items'],
        properties: {
          items: {
            type: 'array',
            minItems: 1,
            maxItems: 100,
            items: {
              type: 'object',
              additionalProperties: false,
              required: ['id', 'op'],
              properties: {
                id: ID,
                op: { type: 'string', enum: ['ADD', 'SUBTRACT', 'add', 'subtract'] },
                type: { type: 'string', enum: ['song', 'artist', 'playlist'], default: 'song' },
                item_ids: {
                  type: 'array',
                  maxItems: 2000,
                  items: ID,
                  description: "A playlist's songs by item id (a result not saved yet) instead of a stored playlist",
                },
              },
            },
            description:
              'Songs (item id), artists (name or server id: the centroid of their songs) and playlists (our id or the server playlist id) to add or subtract',
          },
          n: { type: 'integer', minimum: 1, maximum: ALCHEMY_MAX_N, default: 50, description: 'Songs to return' },
          temperature: {
            type: 'number',
            minimum: 0,
            maximum: 100,
            default: 1,
            description: 'Softmax temperature of the sampling over similarity; 0 = the nearest songs',
          },
          seed: {
            type: 'integer',
            minimum: 0,
            maximum: 4294967295,
            description: 'Seed of the sampling (the answer reports the one used)',
          },
          subtract_distance: {
            type: 'number',
            minimum: 0,
            maximum: 1,
            default: SUBTRACT_DISTANCE,
            description: 'Songs within this angular distance (arccos(cos)/π) of the SUBTRACT centroid are left out',
          },
          eliminate_duplicates: {
            type: 'boolean',
            default: true,
            description: 'Leave out other versions of a song and of the songs named as items',
          },
          ...FILTER_FIELDS,
        },
      },
      summary:
        'Song alchemy: songs near the centroid of the ADD items, away from the SUBTRACT ones, sampled by temperature: {results, filtered_out, …}',
      responses: { 200: 'The mix', 404: 'No ADD item names an analysed song, artist or stored playlist' },
      example: {
        body: {
          items: [
            { id: '9f1c…', op: 'ADD', type: 'song' },
            { id: 'Muldjord', op: 'SUBTRACT', type: 'artist' },
          ],
          n: 20,
          temperature: 0.5,
        },
        response: {
          results: [{ item_id: 'b2…', title: 'Anvil', author: 'Other', album: 'Forge', distance: 0.04 }],
          filtered_out: [],
          seed: 12345,
        },
      },
      async handler(_ctx, { body }) {
        const items = (body.items as Record<string, unknown>[]).map((i): AlchemyItem => ({
          id: i.id as string,
          op: (i.op as string).toUpperCase() as AlchemyItem['op'],
          type: (i.type as AlchemyItem['type'] | undefined) ?? 'song',
          itemIds: i.item_ids as string[] | undefined,
        }));
        if (!items.some((i) => i.op === 'ADD')) throw new ApiError(400, 'items: at least one ADD item', 'items');
        return answer(() =>
          alchemy.alchemy({
            items,
            n: (body.n as number | undefined) ?? 50,
            temperature: (body.temperature as number | undefined) ?? 1,
            seed: body.seed as number | undefined,
            subtractDistance: (body.subtract_distance as number | undefined) ?? SUBTRACT_DISTANCE,
            eliminateDuplicates: (body.eliminate_duplicates as boolean | undefined) ?? true,
            filters: filtersFrom(body, false),
          }),
        );
      },
    },
    {
      method: 'post',
      path: '/api/create_playlist',
      operationId: 'createPlaylist',
      tag: 'similarity',
      query: { ...ACCEPTED },
      body: {
        type: 'object',
        additionalProperties: false,
        required: ['playlist_name', 'track_ids'],
        properties: {
          playlist_name: {
            type: 'string',
            minLength: 1,
            maxLength: 200,
            pattern: '\\S',
            description: 'Name; saved on the server as "<name>_instant", as the original does',
          },
          track_ids: {
            type: 'array',
            minItems: 1,
            maxItems: 5000,
            items: {
              anyOf: [
                ID,
                {
                  type: 'object',
                  required: ['item_id'],
                  properties: { item_id: ID },
                },
              ],
            },
            description: 'Item ids in playlist order (or result rows {item_id, …}); repeats are dropped',
          },
        },
      },
      summary:
        'Save songs as a playlist on the media server ("<name>_instant", never deleted by clustering): {message, playlist_id, …}',
      responses: {
        201: 'Created on the media server and recorded',
        400: 'A field at fault (an id that is no song of this library names track_ids)',
        409: 'None of the songs is on the media server anymore',
        502: 'The media server refused or failed',
      },
      example: {
        body: { playlist_name: 'Evening mix', track_ids: ['9f1c…', 'b2…'] },
        response: {
          message: "Playlist 'Evening mix_instant' created successfully!",
          playlist_id: 'c7…',
          id: '42',
          name: 'Evening mix_instant',
          tracks: 2,
          missing_tracks: 0,
        },
      },
      async handler(ctx, { body }) {
        const ids = (body.track_ids as (string | { item_id: string })[]).map((t) =>
          typeof t === 'string' ? t : t.item_id,
        );
        const saved = await answer(() => saving.createPlaylist(body.playlist_name as string, ids));
        ctx.status = 201;
        return saved;
      },
    },
    {
      method: 'get',
      path: '/api/saved_playlists',
      operationId: 'savedPlaylists',
      tag: 'similarity',
      summary: 'Playlists saved with POST /api/create_playlist, newest first',
      responses: { 200: '{playlists: [{id, name, status, serverPlaylistId, createdAt, itemIds}]}' },
      async handler() {
        return { playlists: await savedPlaylists(deps.pool, source) };
      },
    },
  ];
}
