// Listening-time routes in the original's paths, parameters and JSON shapes, so the players' AudioMuse plugins
// (Jellyfin InstantMix, Navidrome sonic similarity and song paths, the Lyrion mixer) work unchanged.
import type { ApiDeps, ApiRoute } from './deps.ts';
import { ApiError } from './errors.ts';
import { ACCEPTED, FILTER_FIELDS, filtersFrom } from './filter-params.ts';
import { similarityQueries } from './index-routes.ts';
import { answer } from './listening-routes.ts';
import { similarArtistsRoutes } from './similar-artists-routes.ts';

const ITEM_ID = { type: 'string', minLength: 1, maxLength: 200 } as const;

export function similarityRoutes(deps: ApiDeps): ApiRoute[] {
  const queries = similarityQueries(deps);
  return [
    {
      method: 'get',
      path: '/api/similar_tracks',
      operationId: 'similarTracks',
      tag: 'similarity',
      query: {
        item_id: { ...ITEM_ID, description: "The seed's media-server item id" },
        title: { type: 'string', maxLength: 500, description: 'Seed by title (with artist)' },
        artist: { type: 'string', maxLength: 500, description: 'Seed by artist (with title)' },
        n: { type: 'integer', minimum: 1, maximum: 1000, default: 10, description: 'Songs to return' },
        eliminate_duplicates: {
          type: 'boolean',
          default: false,
          description: 'Leave out other versions of a song (live, remaster …) and near-identical recordings',
        },
        radius_similarity: {
          type: 'boolean',
          default: true,
          description: 'Radius walk (each step near the previous pick and the seed) instead of plain nearest first',
        },
        mood_similarity: {
          type: 'boolean',
          default: false,
          description:
            "Only songs whose six mood heads differ from the seed's by at most 0.15 on average (the original's mood filter)",
        },
        ...FILTER_FIELDS,
        ...ACCEPTED,
      },
      summary: 'Songs similar to a seed song: [{item_id, title, author, album, distance}], nearest first',
      responses: { 200: 'The similar songs', 400: 'Neither item_id nor title and artist', 404: 'Unknown song' },
      example: {
        response: [{ item_id: '9f1c…', title: 'Hammer', author: 'Muldjord', album: 'Anvil', distance: 0.043 }],
      },
      async handler(_ctx, { query }) {
        const itemId = query.item_id as string | undefined;
        const title = query.title as string | undefined;
        const artist = query.artist as string | undefined;
        if (itemId === undefined && (title === undefined || artist === undefined))
          throw new ApiError(400, 'item_id, or title and artist, names the seed song', 'item_id');
        return answer(() =>
          queries.similarTracks({
            itemId,
            title,
            artist,
            n: (query.n as number) ?? 10,
            eliminateDuplicates: (query.eliminate_duplicates as boolean) ?? false,
            radius: (query.radius_similarity as boolean) ?? true,
            moodSimilarity: (query.mood_similarity as boolean) ?? false,
            filters: filtersFrom(query, true),
          }),
        );
      },
    },
    {
      method: 'get',
      path: '/api/find_path',
      operationId: 'findPath',
      tag: 'similarity',
      query: {
        start_song_id: { ...ITEM_ID, description: 'Item id of the first song' },
        end_song_id: { ...ITEM_ID, description: 'Item id of the last song' },
        max_steps: {
          type: 'integer',
          minimum: 2,
          maximum: 500,
          default: 25,
          description: 'Songs in the path, A and B included',
        },
        path_fix_size: { type: 'boolean', description: 'Exactly max_steps songs (always, when the library has them)' },
        mood_pct: { type: 'number', minimum: 0, maximum: 100, description: "The original's mood weight (accepted)" },
        count: {
          type: 'integer',
          minimum: 0,
          description:
            'Sent by the Navidrome plugin next to max_steps, with the same value (accepted; max_steps decides)',
        },
        one_per_artist: { type: 'boolean', default: false, description: 'At most one song per artist' },
        variety: {
          type: 'integer',
          minimum: 1,
          maximum: 50,
          default: 1,
          description: 'Pick each step among this many nearest songs (1 = always the nearest)',
        },
        seed: { type: 'integer', minimum: 0, maximum: 4294967295, default: 1, description: 'Seed of the variety' },
        ...FILTER_FIELDS,
        ...ACCEPTED,
      },
      summary:
        'A path of songs from one song to another: {path: [{item_id, title, author, album, distance}], total_distance}',
      responses: { 200: 'The path, starting with the first song and ending with the last', 404: 'Unknown song' },
      example: {
        response: {
          path: [{ item_id: 'a…', title: 'Hammer', author: 'Muldjord', album: 'Anvil', distance: 0 }],
          total_distance: 1.2,
        },
      },
      async handler(_ctx, { query }) {
        const startId = query.start_song_id as string | undefined;
        const endId = query.end_song_id as string | undefined;
        if (startId === undefined) throw new ApiError(400, 'start_song_id is required', 'start_song_id');
        if (endId === undefined) throw new ApiError(400, 'end_song_id is required', 'end_song_id');
        return answer(() =>
          queries.findPath({
            startId,
            endId,
            length: (query.max_steps as number) ?? 25,
            onePerArtist: (query.one_per_artist as boolean) ?? false,
            variety: (query.variety as number) ?? 1,
            seed: (query.seed as number) ?? 1,
            filters: filtersFrom(query, true),
          }),
        );
      },
    },
    {
      method: 'get',
      path: '/api/search_tracks',
      operationId: 'searchTracks',
      tag: 'similarity',
      query: {
        title: { type: 'string', maxLength: 500, description: 'Part of the title' },
        artist: { type: 'string', maxLength: 500, description: 'Part of the artist' },
        limit: { type: 'integer', minimum: 1, maximum: 200, default: 20 },
        ...ACCEPTED,
      },
      summary:
        'Analysed songs by title and artist (case-insensitive parts), for pickers: [{item_id, title, author, album}]',
      responses: { 200: 'The matching songs' },
      example: { response: [{ item_id: '9f1c…', title: 'Hammer', author: 'Muldjord', album: 'Anvil' }] },
      async handler(_ctx, { query }) {
        return queries.searchTracks({
          title: query.title as string | undefined,
          artist: query.artist as string | undefined,
          limit: (query.limit as number) ?? 20,
        });
      },
    },
    ...similarArtistsRoutes(queries),
  ];
}
