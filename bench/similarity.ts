// `npm run bench:similarity -- [--tracks 100000] [--queries 200] [--backends exact,i8,f16,f32]`
//
// The similarity engine's exact scan on a synthetic library with real structure (a 16-d latent space of
// 200 "genres" and 2,000-track "artists", mapped to 200-d, noise, unit length; as ../shared/reference/similarity.md
// measured the index options on): time per query of the three request shapes the plugins send, engine only
// (no HTTP, no PostgreSQL). It says where the exact scan stands against issue 21's targets (similar_tracks
// n=50 p99 ≤ 20 ms, find_path 25 steps p99 ≤ 100 ms) and so what an index must buy. Per backend (the exact
// scan, usearch HNSW in f32/f16/i8, every one re-ranked exactly): build time, adding one album (15 vectors),
// nearest-10 p50/p99, recall@10 against the exact scan, RSS growth; then the request shapes on each.
import os from 'node:os';
import { UsearchIndex, type Quantization } from '../providers/vector-index/usearch-index.ts';
import { DIM, syntheticVectors } from './synthetic-vectors.ts';
import { radiusWalk } from '../engines/similarity/radius-walk.ts';
import { songPath } from '../engines/similarity/song-path.ts';
import { VectorSpace } from '../engines/similarity/vector-space.ts';
import { arg } from './args.ts';

const nTracks = Number(arg('tracks', '100000'));
const nQueries = Number(arg('queries', '200'));

function library(n: number): Float32Array[] {
  const next = syntheticVectors(n);
  return Array.from({ length: n }, next);
}

function percentiles(ms: number[]): string {
  const s = [...ms].sort((a, b) => a - b);
  const at = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return `p50 ${at(0.5).toFixed(1)} ms, p99 ${at(0.99).toFixed(1)} ms`;
}

function time(label: string, runs: number, fn: (i: number) => void): void {
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    fn(i);
    ms.push(performance.now() - t0);
  }
  console.log(`${label.padEnd(44)} ${percentiles(ms)} (${runs} queries)`);
}

const backends = arg('backends', 'exact,i8').split(',');

console.log(`CPU: ${os.cpus()[0]?.model ?? 'unknown'} × ${os.cpus().length}, Node ${process.version}`);
let t0 = performance.now();
const vectors = library(nTracks + 15);
const album = vectors.splice(nTracks, 15);
const space = VectorSpace.fromVectors(vectors, DIM);
vectors.length = 0;
console.log(`${nTracks} tracks × ${DIM}-d built in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
const rss = () => process.memoryUsage().rss / 2 ** 20;
console.log(`process RSS ${rss().toFixed(0)} MB (the matrix alone ${((nTracks * DIM * 4) / 2 ** 20).toFixed(0)} MB)`);

const pick = (i: number) => (i * 7919) % nTracks;
const truth = Array.from({ length: nQueries }, (_, i) => space.scan(space.row(pick(i)), 10).map((n) => n.index));

for (const backend of backends) {
  console.log(
    `\n== ${backend === 'exact' ? 'exact scan' : `usearch HNSW ${backend} (M=16, efC=128, ef=64) + exact f32 re-rank`}`,
  );
  let index: UsearchIndex | undefined;
  if (backend !== 'exact') {
    const before = rss();
    t0 = performance.now();
    index = UsearchIndex.create(DIM, { quantization: backend as Quantization });
    const { keys, vectors: rows } = space.liveRows();
    index.add(keys, rows);
    console.log(
      `build ${((performance.now() - t0) / 1000).toFixed(1)} s (2 threads), RSS +${(rss() - before).toFixed(0)} MB`,
    );
  }
  space.useIndex(index);
  t0 = performance.now();
  album.forEach((v, i) => space.add(nTracks + i, v));
  console.log(`adding one album (15 vectors) ${(performance.now() - t0).toFixed(1)} ms`);
  album.forEach((_, i) => space.remove(nTracks + i));
  let hits = 0;
  time('nearest 10', nQueries, (i) => {
    const got = new Set(space.nearest(space.row(pick(i)), 10).map((n) => n.index));
    hits += truth[i].filter((t) => got.has(t)).length;
  });
  console.log(`recall@10 against the exact scan: ${(hits / (10 * nQueries)).toFixed(4)}`);
  requests();
}

function requests(): void {
  time('similar_tracks n=50, radius walk', nQueries, (i) => {
    const seed = pick(i);
    radiusWalk(
      space,
      seed,
      space.nearest(space.row(seed), 150, (j) => j !== seed),
      50,
    );
  });
  const t = performance.now();
  const paths = Math.max(5, Math.floor(nQueries / 10));
  time('find_path 25 steps', paths, (i) => songPath(space, pick(i), pick(i + 1000), { length: 25 }));
  console.log(`total ${((performance.now() - t) / 1000).toFixed(1)} s for the paths`);
}
