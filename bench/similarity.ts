// `npm run bench:similarity -- [--tracks 100000] [--queries 200]`
//
// The similarity engine's exact scan on a synthetic library with real structure (a 16-d latent space of
// 200 "genres" and 2,000-track "artists", mapped to 200-d, noise, unit length; as ../shared/reference/similarity.md
// measured the index options on): time per query of the three request shapes the plugins send, engine only
// (no HTTP, no PostgreSQL). It says where the exact scan stands against issue 21's targets (similar_tracks
// n=50 p99 ≤ 20 ms, find_path 25 steps p99 ≤ 100 ms) and so what an index must buy.
import os from 'node:os';
import { radiusWalk } from '../engines/similarity/radius-walk.ts';
import { songPath } from '../engines/similarity/song-path.ts';
import { VectorSpace } from '../engines/similarity/vector-space.ts';

const argv = process.argv.slice(2);
const arg = (name: string, dflt: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1] : dflt;
};
const nTracks = Number(arg('tracks', '100000'));
const nQueries = Number(arg('queries', '200'));
const DIM = 200,
  LATENT = 16;

let state = 12345;
const rand = () => {
  // xorshift32: full-period, no repeated vectors at a million.
  state ^= state << 13;
  state ^= state >>> 17;
  state ^= state << 5;
  return (state >>> 0) / 2 ** 32;
};
const gauss = () => Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());

function library(n: number): Float32Array[] {
  const map = Float32Array.from({ length: LATENT * DIM }, gauss);
  const genres = Array.from({ length: 200 }, () => Float32Array.from({ length: LATENT }, gauss));
  const artists = Array.from({ length: Math.max(1, Math.ceil(n / 2000)) }, () => ({
    genre: Math.floor(rand() * genres.length),
    offset: Float32Array.from({ length: LATENT }, () => 0.5 * gauss()),
  }));
  return Array.from({ length: n }, (_, i) => {
    const a = artists[i % artists.length];
    const latent = genres[a.genre].map((g, k) => g + a.offset[k] + 0.3 * gauss());
    const v = new Float32Array(DIM);
    for (let d = 0; d < DIM; d++) {
      let s = 0;
      for (let k = 0; k < LATENT; k++) s += latent[k] * map[k * DIM + d];
      v[d] = s + 0.05 * gauss();
    }
    return v;
  });
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

console.log(`CPU: ${os.cpus()[0]?.model ?? 'unknown'} × ${os.cpus().length}, Node ${process.version}`);
let t0 = performance.now();
const space = VectorSpace.fromVectors(library(nTracks), DIM);
console.log(`${nTracks} tracks × ${DIM}-d built in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
const heapMb = process.memoryUsage().rss / 2 ** 20;
console.log(`process RSS ${heapMb.toFixed(0)} MB (the matrix alone ${((nTracks * DIM * 4) / 2 ** 20).toFixed(0)} MB)`);

const pick = (i: number) => (i * 7919) % nTracks;
time('nearest 10 (exact scan)', nQueries, (i) => space.nearest(space.row(pick(i)), 10));
time('similar_tracks n=50, radius walk', nQueries, (i) => {
  const seed = pick(i);
  radiusWalk(
    space,
    seed,
    space.nearest(space.row(seed), 150, (j) => j !== seed),
    50,
  );
});
t0 = performance.now();
const paths = Math.max(5, Math.floor(nQueries / 10));
time('find_path 25 steps', paths, (i) => songPath(space, pick(i), pick(i + 1000), { length: 25 }));
console.log(`total ${((performance.now() - t0) / 1000).toFixed(1)} s for the paths`);
