// A path of songs from A to B (AudioMuse-AI `tasks/path_manager.py`): points interpolated on the sphere between
// the two embeddings, and per point the nearest song not used yet. Where the original's users complain, this
// one does better: the path always starts with A and ends with B, a step never comes back empty while an
// unused song exists (the artist rule is relaxed before a step is skipped), `onePerArtist` keeps one song per
// artist, and `variety` picks among the nearest few candidates with a seeded generator, so the same A and B
// can give different paths, reproducibly.
import { Rng } from '../clustering/rng.ts';
import { slerp, type VectorSpace } from './vector-space.ts';

/** Per step, how many of the songs nearest the point are looked at for one that moves towards B. */
const FORWARD_POOL = 10;

export interface PathOptions {
  /** Songs in the path, A and B included (the original's max_steps). */
  length: number;
  /** The artist key of a row (for onePerArtist). */
  artistOf?: (index: number) => string;
  onePerArtist?: boolean;
  /** Candidates sampled per step (1 = always the nearest). */
  variety?: number;
  /** Seed of the variety sampling. */
  seed?: number;
  /** Rows that must never appear (duplicates of songs already in the path, blocked artists …). */
  exclude?: (index: number, path: readonly number[]) => boolean;
}

export function songPath(space: VectorSpace, a: number, b: number, opts: PathOptions): number[] {
  const length = Math.max(2, Math.min(opts.length, space.size));
  const path = [a];
  const used = new Set([a, b]);
  const artists = new Set<string>();
  if (opts.onePerArtist && opts.artistOf) for (const i of [a, b]) artists.add(opts.artistOf(i));
  const rng = new Rng(opts.seed ?? 1);
  const variety = Math.max(1, Math.floor(opts.variety ?? 1));
  const start = space.row(a),
    end = space.row(b);
  for (let step = 1; step < length - 1; step++) {
    const target = slerp(start, end, step / (length - 1));
    const free = (i: number) => !used.has(i) && !opts.exclude?.(i, path);
    const artistOk = (i: number) => !opts.onePerArtist || !opts.artistOf || !artists.has(opts.artistOf(i));
    let pool = space.nearest(target, Math.max(FORWARD_POOL, variety), (i) => free(i) && artistOk(i));
    if (!pool.length) pool = space.nearest(target, Math.max(FORWARD_POOL, variety), free);
    if (!pool.length) break;
    // Among the songs nearest the point, those closer to B than the last step: a path that wanders back
    // towards A sounds like no path at all. (Asked of a few nearest, not as a filter of the search, which an
    // index cannot answer without falling back to a full scan.)
    const toB = space.distanceTo(end, path[path.length - 1]);
    const forward = pool.filter((c) => space.distanceTo(end, c.index) < toB);
    const choices = (forward.length ? forward : pool).slice(0, variety);
    const pick = rng.pick(choices).index;
    path.push(pick);
    used.add(pick);
    if (opts.artistOf) artists.add(opts.artistOf(pick));
  }
  if (b !== a) path.push(b);
  return path;
}
