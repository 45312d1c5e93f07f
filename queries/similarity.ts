// Request-time similarity over the analysed library (GET /api/similar_tracks, GET /api/find_path): the
// configured source's embeddings of the current analysis version, held in memory and kept current album by
// album from the change log, searched through the persisted index (queries/similarity-index.ts). Ids in and
// out are the media server's item ids, as the original's plugins expect.
import type { Pool } from '../lib/db.ts';
import type { VectorScope } from '../lib/store/vectors.ts';
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

type Library = LiveLibrary;

export class SimilarityQueries {
  private library?: Promise<Library>;

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
  }): Promise<SimilarSong[]> {
    const lib = await this.current();
    const seed = this.find(lib, req);
    const seedKey = lib.keys[seed];
    const candidates = lib.space.nearest(
      lib.space.row(seed),
      req.radius ? Math.max(150, 3 * req.n) : 4 * req.n,
      (i) => i !== seed && (!req.eliminateDuplicates || lib.keys[i] !== seedKey),
    );
    const distinct = (i: number, picked: readonly number[]) =>
      !req.eliminateDuplicates ||
      picked.every((p) => lib.keys[p] !== lib.keys[i] && lib.space.distance(p, i) >= DUPLICATE_DISTANCE);
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
  }): Promise<{ path: SimilarSong[]; total_distance: number }> {
    const lib = await this.current();
    const a = this.find(lib, { itemId: req.startId }),
      b = this.find(lib, { itemId: req.endId });
    const artistOf = (i: number) => songKey(lib.tracks[i].artist, '');
    const path = songPath(lib.space, a, b, {
      length: req.length,
      artistOf,
      onePerArtist: req.onePerArtist,
      variety: req.variety,
      seed: req.seed,
      // Never the same song twice, in any version.
      exclude: (i, taken) => taken.some((p) => lib.keys[p] === lib.keys[i]),
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

  private find(lib: Library, req: { itemId?: string; title?: string; artist?: string }): number {
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

  private song(lib: Library, i: number, distance: number): SimilarSong {
    const t = lib.tracks[i];
    return { item_id: t.itemId, title: t.title, author: t.artist, album: t.album, distance };
  }

  /** The library, with the change log applied (a failed first load is tried again by the next request). */
  private async current(): Promise<Library> {
    const opening = (this.library ??= LiveLibrary.open(this.pool, this.scope, this.index));
    const lib = await opening.catch((err) => {
      if (this.library === opening) this.library = undefined;
      throw err;
    });
    return lib.fresh();
  }
}
