// Request-time similarity over the analysed library (GET /api/similar_tracks, GET /api/find_path): the
// configured source's embeddings of the current analysis version, held in memory and kept current album by
// album from the change log, searched through the persisted index (queries/similarity-index.ts). Ids in and
// out are the media server's item ids, as the original's plugins expect.
import type { Pool } from '../lib/db.ts';
import { moodHeadsOf, type VectorScope } from '../lib/store/vectors.ts';
import {
  artistCap,
  capCandidates,
  moodDistance,
  MOOD_SIMILARITY_THRESHOLD,
  songFilter,
  type ListeningFilters,
} from '../engines/similarity/filters.ts';
import { radiusWalk } from '../engines/similarity/radius-walk.ts';
import { songPath } from '../engines/similarity/song-path.ts';
import { songKey } from '../engines/similarity/versions.ts';
import type { Neighbour } from '../engines/similarity/vector-space.ts';
import { LiveLibrary, type IndexOptions, type IndexStatus } from './similarity-index.ts';

/** Songs closer than this to one already picked count as the same recording (the original's 0.01). */
export const DUPLICATE_DISTANCE = 0.01;

/** One answer row, in the original's shape. */
export interface SimilarSong {
  item_id: string;
  title: string | null;
  author: string | null;
  album: string | null;
  distance: number;
}

export class UnknownSongError extends Error {
  override name = 'UnknownSongError';
}

/** The library the queries read: rows of songs, their unit embeddings and look-up keys (a removed row keeps its
 *  entries; `space.has(row)` tells). */
export type LoadedLibrary = LiveLibrary;

/** One answer row of song `i`. */
export function songRow(lib: LoadedLibrary, i: number, distance: number): SimilarSong {
  const t = lib.tracks[i];
  // float32 rounding makes a song's distance to itself a hair below 0; a distance is never negative.
  return { item_id: t.itemId, title: t.title, author: t.artist, album: t.album, distance: Math.max(0, distance) };
}

/**
 * The `want` nearest songs to `query` that `accept` lets through, no more than the per-artist cap each (the scan
 * widens until the capped pool is full or the library is exhausted).
 */
export function cappedNearest(
  lib: LoadedLibrary,
  query: Float32Array,
  want: number,
  accept: (i: number) => boolean,
  maxPerArtist: number | undefined,
): Neighbour[] {
  const keyOf = (i: number) => lib.artistKeys[i];
  for (let k = want; ; k *= 4) {
    const raw = lib.space.nearest(query, k, accept);
    const pool = capCandidates(raw, keyOf, maxPerArtist);
    if (pool.length >= want || raw.length < k || k >= lib.space.size) return pool;
  }
}

/** Two rows are one recording: the same song by name (any version), or the same sound under another name. */
export function sameRecording(lib: LoadedLibrary, i: number, j: number): boolean {
  return lib.keys[i] === lib.keys[j] || lib.space.distance(i, j) < DUPLICATE_DISTANCE;
}

/** Whether a song may join the picks: under the per-artist cap and, with duplicates eliminated, no other version of one. */
export function distinctPicks(
  lib: LoadedLibrary,
  eliminateDuplicates: boolean,
  maxPerArtist: number | undefined,
): (i: number, picked: readonly number[]) => boolean {
  const capped = artistCap((i) => lib.artistKeys[i], maxPerArtist);
  return (i, picked) => capped(i, picked) && (!eliminateDuplicates || !picked.some((p) => sameRecording(lib, p, i)));
}

export class SimilarityQueries {
  private library?: Promise<LoadedLibrary>;

  constructor(
    private readonly pool: Pool,
    private readonly scope: Omit<VectorScope, 'trackIds'>,
    /** Without: the exact scan only (the CLI's one-off queries). */
    private readonly index: IndexOptions = { minTracks: Infinity },
  ) {}

  /** Where the index stands in this process (GET /api/index). */
  async indexStatus(): Promise<IndexStatus> {
    return (await this.current()).status();
  }

  /** The songs most like a seed (by item id, or by title and artist), nearest first or as a radius walk. */
  async similarTracks(req: {
    itemId?: string;
    title?: string;
    artist?: string;
    n: number;
    eliminateDuplicates: boolean;
    radius: boolean;
    /** Only songs whose mood heads are close to the seed's (the original's mood_similarity). */
    moodSimilarity?: boolean;
    filters?: ListeningFilters;
  }): Promise<SimilarSong[]> {
    const lib = await this.current();
    const seed = this.find(lib, req);
    const filters = req.filters ?? {};
    const eligible = songFilter(lib.tracks, filters);
    const want = req.radius ? Math.max(150, 3 * req.n) : 4 * req.n;
    let candidates = cappedNearest(
      lib,
      lib.space.row(seed),
      // The mood rule drops some afterwards: a deeper pool keeps n answers likely.
      req.moodSimilarity ? 4 * want : want,
      // Another version of the seed itself is no answer either.
      (i) => i !== seed && (!req.eliminateDuplicates || !sameRecording(lib, seed, i)) && eligible(i),
      filters.maxSongsPerArtist,
    );
    if (req.moodSimilarity) candidates = await this.moodClose(lib, seed, candidates);
    const distinct = distinctPicks(lib, req.eliminateDuplicates, filters.maxSongsPerArtist);
    const chosen: Neighbour[] = [];
    if (req.radius) chosen.push(...radiusWalk(lib.space, seed, candidates, req.n, distinct));
    else {
      const indices: number[] = [];
      for (const c of candidates) {
        if (chosen.length === req.n) break;
        if (!distinct(c.index, indices)) continue;
        chosen.push(c);
        indices.push(c.index);
      }
    }
    return chosen.map((c) => this.song(lib, c.index, c.distance));
  }

  /** A path from one song to another: starts with A, ends with B, `length` songs when the library has them. */
  async findPath(req: {
    startId: string;
    endId: string;
    length: number;
    onePerArtist: boolean;
    variety: number;
    seed: number;
    filters?: ListeningFilters;
  }): Promise<{ path: SimilarSong[]; total_distance: number }> {
    const lib = await this.current();
    const a = this.find(lib, { itemId: req.startId }),
      b = this.find(lib, { itemId: req.endId });
    const artistOf = (i: number) => songKey(lib.tracks[i].artist, '');
    // A and B are the user's choice; the filters decide the steps between them.
    const eligible = songFilter(lib.tracks, req.filters ?? {});
    const capped = artistCap((i) => lib.artistKeys[i], req.filters?.maxSongsPerArtist);
    const path = songPath(lib.space, a, b, {
      length: req.length,
      artistOf,
      onePerArtist: req.onePerArtist,
      variety: req.variety,
      seed: req.seed,
      // Never the same song twice, in any version.
      exclude: (i, taken) => !eligible(i) || !capped(i, taken) || taken.some((p) => lib.keys[p] === lib.keys[i]),
    });
    let total = 0;
    const songs = path.map((i, k) => {
      const step = k === 0 ? 0 : lib.space.distance(path[k - 1], i);
      total += step;
      return this.song(lib, i, lib.space.distance(a, i));
    });
    return { path: songs, total_distance: total };
  }

  /** Analysed songs whose title and artist contain the given parts (case-insensitive), for pickers. */
  async searchTracks(req: {
    title?: string;
    artist?: string;
    limit: number;
  }): Promise<Omit<SimilarSong, 'distance'>[]> {
    const lib = await this.current();
    const title = req.title?.toLowerCase() ?? '',
      artist = req.artist?.toLowerCase() ?? '';
    const out: Omit<SimilarSong, 'distance'>[] = [];
    for (let i = 0; i < lib.tracks.length && out.length < req.limit; i++) {
      const t = lib.tracks[i];
      if (!lib.space.has(i)) continue;
      if ((t.title ?? '').toLowerCase().includes(title) && (t.artist ?? '').toLowerCase().includes(artist)) {
        const { distance: _d, ...song } = this.song(lib, i, 0);
        out.push(song);
      }
    }
    return out;
  }

  /** The item id of a song named by item id, or as "title - artist" (the CLI's way of naming one). */
  async resolveSong(name: string): Promise<string> {
    const lib = await this.current();
    if (lib.byItemId.has(name)) return name;
    const cut = name.lastIndexOf(' - ');
    if (cut > 0) {
      const i = this.find(lib, { title: name.slice(0, cut), artist: name.slice(cut + 3) });
      return lib.tracks[i].itemId;
    }
    throw new UnknownSongError(`no analysed song with item_id ${name} (or name it as "title - artist")`);
  }

  /** The candidates whose mood heads are within the original's threshold of the seed's; all when the seed has none. */
  private async moodClose(lib: LoadedLibrary, seed: number, candidates: Neighbour[]): Promise<Neighbour[]> {
    const moods = await moodHeadsOf(
      this.pool,
      [seed, ...candidates.map((c) => c.index)].map((i) => lib.tracks[i].id),
    );
    const own = moods.get(lib.tracks[seed].id);
    if (!own) return candidates;
    return candidates.filter((c) => {
      const theirs = moods.get(lib.tracks[c.index].id);
      return theirs !== undefined && moodDistance(own, theirs) <= MOOD_SIMILARITY_THRESHOLD;
    });
  }

  private find(lib: LoadedLibrary, req: { itemId?: string; title?: string; artist?: string }): number {
    if (req.itemId !== undefined) {
      const i = lib.byItemId.get(req.itemId);
      if (i === undefined) throw new UnknownSongError(`no analysed song with item_id ${req.itemId}`);
      return i;
    }
    const key = songKey(req.artist ?? '', req.title ?? '');
    const i = lib.keys.indexOf(key);
    if (i < 0) throw new UnknownSongError(`no analysed song "${req.title}" by ${req.artist}`);
    return i;
  }

  private song(lib: LoadedLibrary, i: number, distance: number): SimilarSong {
    return songRow(lib, i, distance);
  }

  /** The library, with the change log applied (a failed first load is tried again by the next request). */
  async current(): Promise<LoadedLibrary> {
    const opening = (this.library ??= LiveLibrary.open(this.pool, this.scope, this.index));
    const lib = await opening.catch((err) => {
      if (this.library === opening) this.library = undefined;
      throw err;
    });
    return lib.fresh();
  }
}
