// The library map's routes: the map as JSON columns (older callers, the CLI's shape) or as a compact binary the
// page draws (contracts/map-binary.ts), one point's names for the tooltip, and the rows of item ids (a song path).
import { encodeMap, NO_PLAYLIST } from '../../contracts/map-binary.ts';
import { mapPlaylists, mapTrack } from '../../lib/store/library-map.ts';
import { libraryMapScope } from '../../queries/library-map.ts';
import { LiveLibraryMap } from '../../queries/library-map-live.ts';
import type { ApiDeps, ApiRoute } from './deps.ts';
import { ApiError } from './errors.ts';
import { FreshCache } from './fresh-cache.ts';

/** The playlists change with a clustering, not with the snapshot: read them at most this often. */
const PLAYLISTS_FRESH_MS = 500;

export function mapRoutes(deps: ApiDeps): ApiRoute[] {
  const live = new LiveLibraryMap(deps.pool, libraryMapScope(deps.config));
  const recent = new FreshCache<Awaited<ReturnType<typeof mapPlaylists>>>(PLAYLISTS_FRESH_MS);
  const playlists = () => recent.get('current', () => mapPlaylists(deps.pool));
  return [
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
          description: 'Share of the tracks sent (an even sample; JSON only)',
        },
        format: {
          type: 'string',
          enum: ['json', 'bin'],
          default: 'json',
          description: 'bin: "AMAP", count, JSON head, Float32 x, Float32 y, Uint16 playlist (contracts/map-binary.ts)',
        },
      },
      produces: ['application/json', 'application/octet-stream'],
      summary:
        'The library in 2-D (PCA of the embeddings, computed once per library snapshot), each track with its playlist',
      responses: {
        200: "JSON columns of points: ids, item_ids (the media server's), x, y, titles, artists, playlist (index into playlists or null); `stale: true` while a changed library's map is computed. format=bin: the same points, compact",
      },
      async handler(ctx, { query }) {
        const [{ map, stale, computed }, current] = await Promise.all([live.current(), playlists()]);
        const p = map.points;
        const head = { snapshot: map.snapshot, computedAt: map.computedAt, stale, playlists: current.playlists };
        if (query.format === 'bin') {
          const playlist = new Uint16Array(p.ids.length).fill(NO_PLAYLIST);
          for (const [id, i] of current.playlistOf) {
            const row = map.rowOfTrack.get(id);
            if (row !== undefined) playlist[row] = i;
          }
          ctx.type = 'application/octet-stream';
          return Buffer.from(encodeMap({ head: { ...head, bounds: map.bounds }, x: map.x, y: map.y, playlist }).buffer);
        }
        const step = 100 / ((query.percent as number) ?? 100);
        const keep = p.ids.map((_, i) => i).filter((i) => Math.floor(i % step) === 0);
        const pick = <T>(a: T[]) => keep.map((i) => a[i]);
        return {
          ...head,
          cached: !computed,
          total: p.ids.length,
          points: {
            ids: pick(p.ids),
            item_ids: pick(p.itemIds),
            x: pick(p.x),
            y: pick(p.y),
            titles: pick(p.titles),
            artists: pick(p.artists),
            playlist: pick(p.ids).map((id) => current.playlistOf.get(id) ?? null),
          },
        };
      },
    },
    {
      method: 'get',
      path: '/api/map/points/:n',
      operationId: 'libraryMapPoint',
      tag: 'library',
      params: { n: { type: 'string', pattern: '^[0-9]{1,9}$', description: 'The point’s row in the map' } },
      summary: 'One point of the map the page last drew (its row in format=bin): the track and its names',
      responses: { 200: 'snapshot, row, id, itemId, title, artist, album', 404: 'No such row in the map' },
      async handler(_ctx, { params }) {
        const map = await live.latest();
        const row = Number(params.n);
        const id = map.points.ids[row];
        const track = id === undefined ? undefined : await mapTrack(deps.pool, id);
        if (!track) throw new ApiError(404, `no point ${row} on the map of ${map.points.ids.length}`, 'n');
        return { snapshot: map.snapshot, row, ...track };
      },
    },
    {
      method: 'get',
      path: '/api/map/rows',
      operationId: 'libraryMapRows',
      tag: 'library',
      query: {
        item_ids: {
          type: 'string',
          maxLength: 20_000,
          description: 'Comma-separated media server item ids (a song path to draw)',
        },
      },
      summary: 'The map rows of these item ids, in order (null for a song not on the map)',
      responses: { 200: 'snapshot, rows' },
      async handler(_ctx, { query }) {
        const map = await live.latest();
        const ids = String(query.item_ids ?? '')
          .split(',')
          .filter(Boolean);
        return { snapshot: map.snapshot, rows: ids.map((id) => map.rowOfItem.get(id) ?? null) };
      },
    },
  ];
}
