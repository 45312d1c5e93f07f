// The listening filters as request fields, one spelling for every route: query parameters of the GET routes
// (similar_tracks, find_path, similar_artists) and body fields of the POST ones (alchemy). The original has no such
// parameters (its per-artist cap is a server setting), so the names are ours.
import type { JsonSchema } from '../../contracts/input-spec.ts';
import type { ListeningFilters } from '../../engines/similarity/filters.ts';
import { ApiError } from './errors.ts';

/** Parameters plugins send that do not change our answer; accepted so their requests validate. */
export const ACCEPTED = {
  server: { type: 'string', maxLength: 200, description: 'Media server (one server per AudioMuse here; accepted)' },
} as const;

const NAMES = { type: 'string', minLength: 1, maxLength: 2000 } as const;
const BLOCKLIST = (what: string): JsonSchema => ({
  anyOf: [NAMES, { type: 'array', maxItems: 200, items: NAMES }],
  description: `${what} left out, by name (case and accents ignored) or by the media server's id: comma-separated, or repeated`,
});

/** The filter fields, the same schema in a query string and in a JSON body. */
export const FILTER_FIELDS: Record<string, JsonSchema> = {
  max_songs_per_artist: {
    type: 'integer',
    minimum: 1,
    maximum: 1000,
    description: 'At most this many songs by one artist',
  },
  exclude_artists: BLOCKLIST('Artists'),
  exclude_albums: BLOCKLIST('Albums'),
  min_duration: {
    type: 'number',
    minimum: 0,
    maximum: 86400,
    description: 'Shortest song, seconds (songs of unknown length are left out)',
  },
  max_duration: {
    type: 'number',
    minimum: 0,
    maximum: 86400,
    description: 'Longest song, seconds (songs of unknown length are left out)',
  },
  library_id: {
    type: 'string',
    minLength: 1,
    maxLength: 200,
    description: "Only songs of this library (the media server's collection or music folder id)",
  },
};

/**
 * Blocklist entries: every value whole, and each string split at commas too ("Crosby, Stills, Nash & Young" still
 * matches itself; "A,B" blocks A and B). JSON arrays are taken as they are, one entry per element.
 */
function entries(value: unknown, splitArrays: boolean): string[] | undefined {
  if (value === undefined) return undefined;
  const values = Array.isArray(value) ? (value as string[]) : [value as string];
  const out = new Set<string>();
  for (const v of values) {
    out.add(v.trim());
    if (typeof value === 'string' || splitArrays) for (const part of v.split(',')) out.add(part.trim());
  }
  out.delete('');
  return [...out];
}

/**
 * The filters of a validated query (`fromQuery`: repeated parameters split at commas too) or JSON body. A minimum
 * above the maximum is a 400 naming max_duration.
 */
export function filtersFrom(input: Record<string, unknown>, fromQuery: boolean): ListeningFilters {
  const f: ListeningFilters = {
    maxSongsPerArtist: input.max_songs_per_artist as number | undefined,
    excludeArtists: entries(input.exclude_artists, fromQuery),
    excludeAlbums: entries(input.exclude_albums, fromQuery),
    minDuration: input.min_duration as number | undefined,
    maxDuration: input.max_duration as number | undefined,
    libraryId: input.library_id as string | undefined,
  };
  if (f.minDuration !== undefined && f.maxDuration !== undefined && f.minDuration > f.maxDuration)
    throw new ApiError(400, `max_duration: ${f.maxDuration} is below min_duration ${f.minDuration}`, 'max_duration');
  return f;
}
