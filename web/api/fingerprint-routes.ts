// GET|POST /api/sonic_fingerprint/generate in the original's parameters and answer ([{item_id, title, author,
// distance}], here with album): a playlist from one person's own listening (queries/sonic-fingerprint.ts).
import { libraryMapScope } from '../../queries/library-map.ts';
import {
  FINGERPRINT_SONGS,
  SonicFingerprintQueries,
  UnknownUserError,
  type FingerprintRequest,
} from '../../queries/sonic-fingerprint.ts';
import { FINGERPRINT_MAX_PER_ALBUM, FINGERPRINT_TOP_N } from '../../engines/similarity/fingerprint.ts';
import type { JsonSchema } from '../../contracts/input-spec.ts';
import type { ApiDeps, ApiRoute } from './deps.ts';
import { ApiError } from './errors.ts';
import { ACCEPTED, FILTER_FIELDS, filtersFrom } from './filter-params.ts';
import { similarityQueries } from './index-routes.ts';
import { answer } from './listening-routes.ts';

const NAME = { type: 'string', minLength: 1, maxLength: 500 } as const;

/** The request's fields, the same in a query string (GET) and a JSON body (POST). */
const FIELDS: Record<string, JsonSchema> = {
  user_id: {
    anyOf: [
      { type: 'integer', minimum: 1 },
      { type: 'string', pattern: '^[1-9][0-9]{0,17}$' },
    ],
    description: 'Our user id (users.id)',
  },
  jellyfin_user_identifier: { ...NAME, description: "The Jellyfin user's name or id (the original's parameter)" },
  navidrome_user: { ...NAME, description: "The Navidrome user's name (the original's parameter)" },
  jellyfin_token: {
    type: 'string',
    maxLength: 500,
    description: 'Accepted, not needed: the history was read from the server beforehand',
  },
  navidrome_password: {
    type: 'string',
    maxLength: 500,
    description: 'Accepted, not needed: the history was read from the server beforehand',
  },
  n: {
    type: 'integer',
    minimum: 1,
    maximum: 1000,
    default: FINGERPRINT_SONGS,
    description: 'Songs to return, seeds included',
  },
  include_seeds: {
    type: 'boolean',
    default: true,
    description: "Start with the seeds, the user's most played songs (as the original does)",
  },
  eliminate_duplicates: {
    type: 'boolean',
    default: true,
    description: 'Leave out other versions of a song and of the seeds',
  },
  top_n: {
    type: 'integer',
    minimum: 1,
    maximum: 200,
    default: FINGERPRINT_TOP_N,
    description: 'Seeds: the most played songs (by play count × recency)',
  },
  max_seeds_per_album: {
    type: 'integer',
    minimum: 1,
    maximum: 200,
    default: FINGERPRINT_MAX_PER_ALBUM,
    description: 'At most this many seeds of one album',
  },
  ...FILTER_FIELDS,
  ...ACCEPTED,
};

export function fingerprintRoutes(deps: ApiDeps): ApiRoute[] {
  const queries = new SonicFingerprintQueries(deps.pool, libraryMapScope(deps.config), similarityQueries(deps));
  /** The user a request names: ours first, then the original's fields; the configured Navidrome user by default,
   *  as the original. */
  const userOf = (input: Record<string, unknown>): FingerprintRequest['user'] => {
    if (input.user_id !== undefined) return { id: String(input.user_id), field: 'user_id' };
    for (const field of ['jellyfin_user_identifier', 'navidrome_user'])
      if (input[field] !== undefined) return { identifier: input[field] as string, field };
    const type = deps.config.mediaServerType;
    if (type === 'navidrome' && deps.config.navidromeUser)
      return { identifier: deps.config.navidromeUser, field: 'navidrome_user' };
    const field = { jellyfin: 'jellyfin_user_identifier', navidrome: 'navidrome_user', local: 'user_id' }[type];
    throw new ApiError(400, `${field} is required: whose listening makes the fingerprint`, field);
  };
  const generate = async (input: Record<string, unknown>, fromQuery: boolean) => {
    const user = userOf(input);
    try {
      const result = await answer(() =>
        queries.generate({
          user,
          n: (input.n as number | undefined) ?? FINGERPRINT_SONGS,
          includeSeeds: (input.include_seeds as boolean | undefined) ?? true,
          eliminateDuplicates: (input.eliminate_duplicates as boolean | undefined) ?? true,
          topN: input.top_n as number | undefined,
          maxPerAlbum: input.max_seeds_per_album as number | undefined,
          filters: filtersFrom(input, fromQuery),
        }),
      );
      return result.songs;
    } catch (err) {
      if (err instanceof UnknownUserError) throw new ApiError(404, err.message, err.field);
      throw err;
    }
  };
  const common = {
    tag: 'similarity',
    summary:
      "A playlist from one user's listening: their most played songs (play count × 30-day recency), a few centroids, their nearest songs: [{item_id, title, author, album, distance}]",
    responses: {
      200: 'Seeds first (unless include_seeds=false), then the neighbours; [] when nothing they played is analysed',
      404: 'The user is not known for this source (the field that named them is given)',
    },
    example: {
      response: [{ item_id: '9f1c…', title: 'Hammer', author: 'Muldjord', album: 'Anvil', distance: 0.031 }],
    },
  };
  return [
    {
      ...common,
      method: 'get',
      path: '/api/sonic_fingerprint/generate',
      operationId: 'sonicFingerprint',
      query: FIELDS,
      async handler(_ctx, { query }) {
        return generate(query, true);
      },
    },
    {
      ...common,
      method: 'post',
      path: '/api/sonic_fingerprint/generate',
      operationId: 'sonicFingerprintPost',
      body: { type: 'object', additionalProperties: false, properties: FIELDS },
      async handler(_ctx, { body }) {
        return generate(body, false);
      },
    },
  ];
}
