// Routes that show the analysed library: tracks with features, the playlists, and the 2-D map.
import { TAGS, topTags } from '../../words/vocabulary.ts';
import {
  currentPlaylists,
  currentPlaylistSummaries,
  playlistWithTracks,
  searchTracks,
  trackDetail,
  type TrackCursor,
  type TrackSummary,
} from '../../lib/store/library.ts';
import type { ApiDeps, ApiRoute } from './deps.ts';
import { ApiError } from './errors.ts';
import { FreshCache } from './fresh-cache.ts';

const TOP_TAGS = 5;

function listed(t: TrackSummary) {
  if (!t.features) return t;
  const { tags, ...features } = t.features;
  return { ...t, features: { ...features, topTags: topTags(tags, TOP_TAGS) } };
}

/** The playlists change only when a clustering publishes: readers may see them up to half a second late. */
export const PLAYLISTS_FRESH_MS = 500;

/** A page's `next` as the opaque `after` of the following request (base64url JSON of its sort key). */
const encodeCursor = (c: TrackCursor) => Buffer.from(JSON.stringify(c)).toString('base64url');

function decodeCursor(after: string): TrackCursor {
  let c: unknown;
  try {
    c = JSON.parse(Buffer.from(after, 'base64url').toString('utf8'));
  } catch {
    c = undefined;
  }
  const valid =
    Array.isArray(c) &&
    c.length === 4 &&
    c.slice(0, 3).every((v) => v === null || typeof v === 'string') &&
    typeof c[3] === 'string' &&
    /^[0-9]{1,18}$/.test(c[3]);
  if (!valid)
    throw new ApiError(400, 'after: not a cursor this API returned (take `next` of the previous page)', 'after');
  return c as TrackCursor;
}

export function libraryRoutes(deps: ApiDeps): ApiRoute[] {
  const recent = new FreshCache<Awaited<ReturnType<typeof currentPlaylists>>>(PLAYLISTS_FRESH_MS);
  const lastPlaylists = () => recent.get('current', () => currentPlaylists(deps.pool));
  const summaries = new FreshCache<Awaited<ReturnType<typeof currentPlaylistSummaries>>>(PLAYLISTS_FRESH_MS);
  const none = { runId: null, workflowId: null, finishedAt: null, playlists: [] };
  return [
    {
      method: 'get',
      path: '/api/tracks',
      operationId: 'listTracks',
      tag: 'library',
      query: {
        q: { type: 'string', maxLength: 200, description: 'Part of the title, artist or album' },
        status: { type: 'string', enum: ['pending', 'analyzed', 'failed'] },
        limit: { type: 'integer', minimum: 1, maximum: 500, default: 50 },
        offset: {
          type: 'integer',
          minimum: 0,
          default: 0,
          description: 'Rows to skip (slow deep in a big library: prefer after)',
        },
        after: {
          type: 'string',
          maxLength: 4000,
          pattern: '^[A-Za-z0-9_-]+$',
          description: 'The `next` of the previous page: the page after it (keyset paging, as fast at any depth)',
        },
      },
      summary:
        'Tracks, searched and paged, with their features (top tags, mood heads, tempo, key, energy) or failure; `total` is exact up to 500 matches and an estimate above (`totalExact`), `next` is the cursor of the following page (null on the last)',
      responses: { 200: '{total, totalExact, next, tracks}', 400: 'A bad parameter, or offset with after' },
      example: {
        response: {
          total: 1,
          totalExact: true,
          next: null,
          tracks: [
            {
              id: '17',
              title: 'Hammer',
              artist: 'Muldjord',
              status: 'analyzed',
              features: {
                tempo: 128,
                key: 'A',
                scale: 'minor',
                energy: 0.61,
                topTags: [{ label: 'rock', score: 0.58 }],
              },
            },
          ],
        },
      },
      async handler(_ctx, { query }) {
        const after = query.after === undefined ? undefined : decodeCursor(query.after as string);
        if (after && query.offset) throw new ApiError(400, 'offset: give offset or after, not both', 'offset');
        const r = await searchTracks(deps.pool, {
          q: query.q as string | undefined,
          status: query.status as TrackSummary['status'] | undefined,
          limit: (query.limit as number) ?? 50,
          offset: (query.offset as number) ?? 0,
          after,
        });
        return {
          total: r.total,
          totalExact: r.totalExact,
          next: r.next && encodeCursor(r.next),
          tracks: r.tracks.map(listed),
        };
      },
    },
    {
      method: 'get',
      path: '/api/tracks/:id',
      operationId: 'getTrack',
      tag: 'library',
      params: { id: { type: 'string', pattern: '^[0-9]{1,18}$', description: 'Track id (from /api/tracks)' } },
      summary: 'One track: all 50 tag scores by label, mood heads, tempo, key, energy, and the playlists it is in',
      responses: { 200: 'The track', 404: 'Unknown track' },
      async handler(_ctx, { params }) {
        const t = await trackDetail(deps.pool, params.id);
        if (!t) throw new ApiError(404, `no such track: ${params.id}`, 'id');
        if (!t.features) return t;
        return {
          ...t,
          features: {
            ...t.features,
            tags: Object.fromEntries(t.features.tags.map((s, i) => [TAGS[i], s])),
            topTags: topTags(t.features.tags, TOP_TAGS),
          },
        };
      },
    },
    {
      method: 'get',
      path: '/api/playlists',
      operationId: 'listPlaylists',
      tag: 'library',
      query: {
        include: {
          type: 'string',
          enum: ['tracks'],
          description: 'tracks: every playlist with its tracks (one big answer; the page opens one at a time instead)',
        },
      },
      summary:
        'The playlists of the last finished clustering: each with its size and profile (mean tempo, energy, top tags as `moods`), its tracks from GET /api/playlists/:id (or all with include=tracks); at most 0.5 s old',
      responses: { 200: '{runId, playlists}' },
      example: {
        response: {
          runId: 'clustering-4',
          playlists: [
            {
              id: '31',
              name: 'Rock Fast',
              status: 'published',
              size: 1,
              profile: { tempo: 0.7, energy: 0.6, moods: { rock: 0.5 } },
            },
          ],
        },
      },
      async handler(_ctx, { query }) {
        if (query.include === 'tracks') return (await lastPlaylists()) ?? none;
        return (await summaries.get('current', () => currentPlaylistSummaries(deps.pool))) ?? none;
      },
    },
    {
      method: 'get',
      path: '/api/playlists/:id',
      operationId: 'getPlaylist',
      tag: 'library',
      params: { id: { type: 'string', pattern: '^[0-9]{1,18}$', description: 'Playlist id (from /api/playlists)' } },
      summary: 'One playlist of a clustering (the current one or an older run) with its tracks in order',
      responses: {
        200: 'The playlist: its fields, profile and tracks [{id, itemId, title, artist}]',
        404: 'Unknown playlist',
      },
      example: {
        response: {
          id: '31',
          name: 'Rock Fast',
          status: 'published',
          profile: { tempo: 0.7, energy: 0.6, moods: { rock: 0.5 } },
          tracks: [{ id: '17', itemId: 'a1b2', title: 'Hammer', artist: 'Muldjord' }],
        },
      },
      async handler(_ctx, { params }) {
        const p = await playlistWithTracks(deps.pool, params.id);
        if (!p) throw new ApiError(404, `no such playlist: ${params.id}`, 'id');
        return p;
      },
    },
  ];
}
