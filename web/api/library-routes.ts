// Routes that show the analysed library: tracks with features, the playlists, and the 2-D map.
import { TAGS, topTags } from '../../words/vocabulary.ts';
import { currentPlaylists, searchTracks, trackDetail, type TrackSummary } from '../../lib/store/library.ts';
import { libraryMap, libraryMapScope } from '../../queries/library-map.ts';
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

export function libraryRoutes(deps: ApiDeps): ApiRoute[] {
  const recent = new FreshCache<Awaited<ReturnType<typeof currentPlaylists>>>(PLAYLISTS_FRESH_MS);
  const lastPlaylists = () => recent.get('current', () => currentPlaylists(deps.pool));
  const mapScope = libraryMapScope(deps.config);
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
        offset: { type: 'integer', minimum: 0, default: 0 },
      },
      summary: 'Tracks, searched and paged, with their features (top tags, mood heads, tempo, key, energy) or failure',
      responses: { 200: '{total, tracks}' },
      example: {
        response: {
          total: 1,
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
        const r = await searchTracks(deps.pool, {
          q: query.q as string | undefined,
          status: query.status as TrackSummary['status'] | undefined,
          limit: (query.limit as number) ?? 50,
          offset: (query.offset as number) ?? 0,
        });
        return { total: r.total, tracks: r.tracks.map(listed) };
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
      summary:
        'The playlists of the last finished clustering, with their tracks and profile (mean tempo, energy, top tags as `moods`); at most 0.5 s old',
      responses: { 200: '{runId, playlists}' },
      example: {
        response: {
          runId: 'clustering-4',
          playlists: [
            {
              id: '31',
              name: 'Rock Fast',
              status: 'published',
              profile: { tempo: 0.7, energy: 0.6, moods: { rock: 0.5 } },
              tracks: [{ id: '17', title: 'Hammer', artist: 'Muldjord' }],
            },
          ],
        },
      },
      async handler() {
        return (await lastPlaylists()) ?? { runId: null, workflowId: null, finishedAt: null, playlists: [] };
      },
    },
    {
      method: 'get',
      path: '/api/map',
      operationId: 'libraryMap',
      tag: 'library',
      query: {
        percent: {
          type: 'integer',
          minimum: 1,
          maximum: 100,
          default: 100,
          description: 'Share of the tracks sent (an even sample)',
        },
      },
      summary: 'The library in 2-D (PCA of the embeddings, cached per library snapshot), each track with its playlist',
      responses: {
        200: "Columns of points: ids, item_ids (the media server's), x, y, titles, artists, playlist (index into playlists or null)",
      },
      async handler(_ctx, { query }) {
        const [map, current] = await Promise.all([libraryMap(deps.pool, mapScope), lastPlaylists()]);
        const playlists = current?.playlists ?? [];
        const playlistOf = new Map<string, number>();
        playlists.forEach((p, i) => p.tracks.forEach((t) => playlistOf.set(t.id, i)));
        const step = 100 / ((query.percent as number) ?? 100);
        const keep = map.points.ids.map((_, i) => i).filter((i) => Math.floor(i % step) === 0);
        const pick = <T>(a: T[]) => keep.map((i) => a[i]);
        const p = map.points;
        return {
          snapshot: map.snapshot,
          cached: map.cached,
          computedAt: map.computedAt,
          total: p.ids.length,
          playlists: playlists.map((pl) => ({ id: pl.id, name: pl.name })),
          points: {
            ids: pick(p.ids),
            item_ids: pick(p.itemIds),
            x: pick(p.x),
            y: pick(p.y),
            titles: pick(p.titles),
            artists: pick(p.artists),
            playlist: pick(p.ids).map((id) => playlistOf.get(id) ?? null),
          },
        };
      },
    },
  ];
}
