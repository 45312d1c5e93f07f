// Request-time similarity over the analysed library (GET /api/similar_tracks, GET /api/find_path): the
// configured source's embeddings of the current analysis version, held in memory as one VectorSpace per
// library snapshot (re-read when the snapshot changes, looked at no more than every few seconds). Ids in and
// out are the media server's item ids, as the original's plugins expect.
import type { Pool } from '../lib/db.ts';
import { loadEmbeddings, vectorsSnapshot, type StoredEmbedding, type VectorScope } from '../lib/store/vectors.ts';
import {
  artistCap,
  artistKey,
  capCandidates,
  songFilter,
  type ListeningFilters,
} from '../engines/similarity/filters.ts';
import { radiusWalk } from '../engines/similarity/radius-walk.ts';
import { songPath } from '../engines/similarity/song-path.ts';
import { songKey } from '../engines/similarity/versions.ts';
import { VectorSpace, type Neighbour } from '../engines/similarity/vector-space.ts';
import { EMBEDDING_DIM } from '../words/vocabulary.ts';

/** How long a loaded library is trusted before its snapshot is compared again. */
const RECHECK_MS = 5_000;
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

/** One library snapshot in memory: its songs, their unit embeddings and look-up keys, by row. */
export interface LoadedLibrary {
  key: string;
  checkedAt: number;
  tracks: StoredEmbedding[];
  space: VectorSpace;
  byItemId: Map<string, number>;
  /** Same artist and title once version notes are gone (duplicate versions share it). */
  keys: string[];
  /** The per-artist cap's key of each row. */
  artistKeys: string[];
}

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
  ) {}

  /** The songs most like a seed (by item id, or by title and artist), nearest first or as a radius walk. */
  async similarTracks(req: {
    itemId?: string;
    title?: string;
    artist?: string;
    n: number;
    eliminateDuplicates: boolean;
    radius: boolean;
    filters?: ListeningFilters;
  }): Promise<SimilarSong[]> {
    const lib = await this.current();
    const seed = this.find(lib, req);
    const filters = req.filters ?? {};
    const eligible = songFilter(lib.tracks, filters);
    const candidates = cappedNearest(
      lib,
      lib.space.row(seed),
      req.radius ? Math.max(150, 3 * req.n) : 4 * req.n,
      // Another version of the seed itself is no answer either.
      (i) => i !== seed && (!req.eliminateDuplicates || !sameRecording(lib, seed, i)) && eligible(i),
      filters.maxSongsPerArtist,
    );
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

  /** The loaded library, reloaded when its snapshot changed (a new analysis, a removed track). */
  async current(): Promise<LoadedLibrary> {
    const loaded = await this.library?.catch(() => undefined);
    if (loaded && Date.now() - loaded.checkedAt < RECHECK_MS) return loaded;
    const { key } = await vectorsSnapshot(this.pool, this.scope);
    if (loaded?.key === key) {
      loaded.checkedAt = Date.now();
      return loaded;
    }
    this.library = (async () => {
      const tracks = await loadEmbeddings(this.pool, this.scope);
      return {
        key,
        checkedAt: Date.now(),
        tracks,
        space: VectorSpace.fromVectors(
          tracks.map((t) => t.embedding),
          EMBEDDING_DIM,
        ),
        byItemId: new Map(tracks.map((t, i) => [t.itemId, i])),
        keys: tracks.map((t) => songKey(t.artist, t.title)),
        artistKeys: tracks.map(artistKey),
      };
    })();
    return this.library;
  }
}
