// The filters every listening query accepts (similar songs, paths, alchemy, artist radio): a library scope, a
// duration range and artist/album blocklists decide per song whether it may appear at all (applied inside the
// scan, so the candidates are all eligible); a per-artist cap decides per pick, given the songs already picked.
import { normalizeTitle } from './versions.ts';

/** What the filters read of a song (a StoredEmbedding has these). */
export interface SongFacts {
  artist: string | null;
  artistId: string | null;
  album: string | null;
  albumId: string | null;
  libraryId: string | null;
  durationSec: number | null;
}

export interface ListeningFilters {
  /** At most this many songs by one artist in an answer. */
  maxSongsPerArtist?: number;
  /** Artists left out, by name (case and accents ignored) or by the server's artist id. */
  excludeArtists?: readonly string[];
  /** Albums left out, by name or by the server's album id. */
  excludeAlbums?: readonly string[];
  /** Seconds; a song whose duration is unknown is left out when a bound is set. */
  minDuration?: number;
  maxDuration?: number;
  /** Only songs of this library (Jellyfin collection, Subsonic music folder); unknown library = left out. */
  libraryId?: string;
}

/** Name key of an artist or album: lower-case, accents and punctuation folded. */
export const nameKey = (name: string | null): string =>
  (name ?? '')
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();

/** A library's folded artist and album names by row. */
export interface FoldedNames {
  artist(row: number): string;
  album(row: number): string;
}

/** Each distinct name folded once: a million songs have a few thousand artists and albums. */
const foldedName = new Map<string, string>();
const fold = (name: string | null): string => {
  if (name === null) return '';
  let f = foldedName.get(name);
  if (f === undefined) foldedName.set(name, (f = nameKey(name)));
  return f;
};

// A live library only appends rows (a changed song gets a new one): the rows past the folded ones are new.
const folded = new WeakMap<readonly SongFacts[], { artists: string[]; albums: string[] }>();
export function foldedNames(songs: readonly SongFacts[]): FoldedNames {
  let names = folded.get(songs);
  if (!names) folded.set(songs, (names = { artists: [], albums: [] }));
  const { artists, albums } = names;
  for (let i = artists.length; i < songs.length; i++) {
    artists.push(fold(songs[i].artist));
    albums.push(fold(songs[i].album));
  }
  return { artist: (row) => artists[row], album: (row) => albums[row] };
}

/** The original's MOOD_SIMILARITY_THRESHOLD: songs whose six mood heads differ from the seed's by more than this on
 *  average are left out of a mood-similar answer. */
export const MOOD_SIMILARITY_THRESHOLD = 0.15;

/** Mean absolute difference of two songs' mood heads (the original's normalised mood distance). */
export function moodDistance(a: readonly number[], b: readonly number[]): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i] - b[i]);
  return sum / a.length;
}

/** The key one artist's songs share (for the per-artist cap): the name, as the original counts artists. */
export const artistKey = (song: Pick<SongFacts, 'artist'>): string => normalizeTitle(song.artist ?? '');

/** Whether any filter is set. */
export function hasFilters(f: ListeningFilters): boolean {
  return (
    f.maxSongsPerArtist !== undefined ||
    !!f.excludeArtists?.length ||
    !!f.excludeAlbums?.length ||
    f.minDuration !== undefined ||
    f.maxDuration !== undefined ||
    f.libraryId !== undefined
  );
}

/** A blocklist entry matches a song by the server's id exactly or by the folded name. */
function blocklist(
  entries: readonly string[] | undefined,
): ((foldedName: string, id: string | null) => boolean) | undefined {
  if (!entries?.length) return undefined;
  const ids = new Set(entries);
  const names = new Set(entries.map(nameKey).filter(Boolean));
  return (name, id) => (id !== null && ids.has(id)) || names.has(name);
}

/**
 * Whether song `i` may appear at all: in the library, within the duration range, not blocked. Names are folded
 * once per library (foldedNames); a song is checked when a search first asks about it.
 */
export function songFilter(songs: readonly SongFacts[], f: ListeningFilters): (i: number) => boolean {
  const artistBlocked = blocklist(f.excludeArtists);
  const albumBlocked = blocklist(f.excludeAlbums);
  const { minDuration, maxDuration, libraryId } = f;
  const checks: ((s: SongFacts, i: number) => boolean)[] = [];
  if (libraryId !== undefined) checks.push((s) => s.libraryId === libraryId);
  if (minDuration !== undefined) checks.push((s) => s.durationSec !== null && s.durationSec >= minDuration);
  if (maxDuration !== undefined) checks.push((s) => s.durationSec !== null && s.durationSec <= maxDuration);
  if (artistBlocked || albumBlocked) {
    const names = foldedNames(songs);
    if (artistBlocked) checks.push((s, i) => !artistBlocked(names.artist(i), s.artistId));
    if (albumBlocked) checks.push((s, i) => !albumBlocked(names.album(i), s.albumId));
  }
  if (!checks.length) return () => true;
  // Each song checked when the search first asks for it, then remembered (0 not yet, 1 passes, 2 not): an index
  // asks a few hundred songs of a million, so no pass over the whole library per request.
  const seen = new Uint8Array(songs.length);
  return (i) => {
    if (i < seen.length && seen[i] !== 0) return seen[i] === 1;
    const ok = checks.every((c) => c(songs[i], i));
    if (i < seen.length) seen[i] = ok ? 1 : 2;
    return ok;
  };
}

/** Whether song `i` keeps the per-artist cap, given the songs already picked (always, without a cap). */
export function artistCap(
  keyOf: (i: number) => string,
  max: number | undefined,
): (i: number, picked: readonly number[]) => boolean {
  if (max === undefined) return () => true;
  return (i, picked) => {
    const key = keyOf(i);
    let n = 0;
    for (const p of picked) if (keyOf(p) === key && ++n >= max) return false;
    return true;
  };
}

/**
 * The nearest-first candidates with no more than `max` per artist (the farther ones of an artist over the cap can
 * never be picked, so they need not take a place in the pool). Order kept.
 */
export function capCandidates<T extends { index: number }>(
  candidates: readonly T[],
  keyOf: (i: number) => string,
  max: number | undefined,
): T[] {
  if (max === undefined) return [...candidates];
  const seen = new Map<string, number>();
  return candidates.filter((c) => {
    const key = keyOf(c.index);
    const n = seen.get(key) ?? 0;
    seen.set(key, n + 1);
    return n < max;
  });
}
