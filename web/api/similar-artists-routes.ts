// GET /api/similar_artists in the original's path, parameters and shape: the Navidrome plugin's similar artists
// and its artist radio (GetSimilarSongsByArtist plays the component matches' representative songs).
import { SimilarArtistsQueries, UnknownArtistError } from '../../queries/similar-artists.ts';
import type { SimilarityQueries } from '../../queries/similarity.ts';
import type { ApiRoute } from './deps.ts';
import { ApiError } from './errors.ts';
import { ACCEPTED, FILTER_FIELDS, filtersFrom } from './filter-params.ts';

/** The route over the same loaded library as the song routes (one library in memory, not two). */
export function similarArtistsRoutes(similarity: SimilarityQueries): ApiRoute[] {
  const queries = new SimilarArtistsQueries(similarity);
  return [
    {
      method: 'get',
      path: '/api/similar_artists',
      operationId: 'similarArtists',
      tag: 'similarity',
      query: {
        artist: {
          type: 'string',
          minLength: 1,
          maxLength: 500,
          description: "The artist's name, or the media server's artist id (the Navidrome plugin sends its id here)",
        },
        artist_id: { type: 'string', minLength: 1, maxLength: 200, description: "The media server's artist id" },
        n: { type: 'integer', minimum: 1, maximum: 500, default: 10, description: 'Artists to return' },
        include_component_matches: {
          type: 'boolean',
          default: false,
          description: 'Explain each match: the closest component pairs and their representative songs',
        },
        ef_search: { type: 'integer', minimum: 1, description: "The original's index search width (accepted)" },
        ...FILTER_FIELDS,
        ...ACCEPTED,
      },
      summary:
        'Artists similar to an artist: [{artist, artist_id, divergence, component_matches?}], nearest first (soft Chamfer distance between artist models)',
      responses: { 200: 'The similar artists', 400: 'Neither artist nor artist_id', 404: 'Unknown artist' },
      example: {
        response: [
          {
            artist: 'Muldjord',
            artist_id: '3f2a…',
            divergence: 0.061,
            component_matches: [
              {
                component1_index: 0,
                component2_index: 1,
                distance: 0.04,
                component1_weight: 0.6,
                component2_weight: 0.5,
                artist1_representative_songs: [{ item_id: '9f1c…', title: 'Hammer', distance_to_component: 0.02 }],
                artist2_representative_songs: [{ item_id: '77ab…', title: 'Anvil', distance_to_component: 0.03 }],
              },
            ],
            query_artist_components: 2,
            candidate_artist_components: 3,
          },
        ],
      },
      async handler(_ctx, { query }) {
        const name = query.artist as string | undefined;
        const id = query.artist_id as string | undefined;
        const artist = name ?? id;
        if (artist === undefined) throw new ApiError(400, 'artist or artist_id names the artist', 'artist');
        try {
          return await queries.similarArtists({
            artist,
            byId: name === undefined,
            n: (query.n as number) ?? 10,
            includeComponentMatches: (query.include_component_matches as boolean) ?? false,
            filters: filtersFrom(query, true),
          });
        } catch (err) {
          if (err instanceof UnknownArtistError)
            throw new ApiError(404, err.message, name === undefined ? 'artist_id' : 'artist');
          throw err;
        }
      },
    },
  ];
}
