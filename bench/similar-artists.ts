// `npm run bench:artists -- [--tracks 20000] [--queries 200]`
//
// Similar artists on a synthetic library with structure (200 "genres" in a 16-d latent space mapped to 200-d,
// as bench/similarity.ts; artists of 1 to 40 songs, a third of them playing two genres): the time to build
// every artist's model once per library snapshot (what the first artist question after a new analysis waits
// for), and per question the soft Chamfer pass over all artists plus the component matches, engine only.
import os from 'node:os';
import { ArtistSpace, componentMatches, fitArtistModel } from '../engines/similarity/artist-models.ts';
import { unit } from '../engines/similarity/vector-space.ts';
import { arg } from './args.ts';
import { DIM, randomSource } from './synthetic-vectors.ts';

const nTracks = Number(arg('tracks', '20000'));
const nQueries = Number(arg('queries', '200'));
const LATENT = 16;
const { rand, gauss } = randomSource();

/** Each artist's songs as unit vectors. */
function library(n: number): Float32Array[][] {
  const map = Float32Array.from({ length: LATENT * DIM }, gauss);
  const genres = Array.from({ length: 200 }, () => Float32Array.from({ length: LATENT }, gauss));
  const artists: Float32Array[][] = [];
  for (let made = 0; made < n;) {
    const songs = Math.min(n - made, 1 + Math.floor(40 * rand() ** 2));
    const styles = Array.from({ length: rand() < 1 / 3 ? 2 : 1 }, () => ({
      genre: genres[Math.floor(rand() * genres.length)],
      offset: Float32Array.from({ length: LATENT }, () => 0.5 * gauss()),
    }));
    artists.push(
      Array.from({ length: songs }, (_, i) => {
        const s = styles[i % styles.length];
        const latent = s.genre.map((g, k) => g + s.offset[k] + 0.3 * gauss());
        const v = new Float32Array(DIM);
        for (let d = 0; d < DIM; d++) {
          let sum = 0;
          for (let k = 0; k < LATENT; k++) sum += latent[k] * map[k * DIM + d];
          v[d] = sum + 0.05 * gauss();
        }
        return unit(v);
      }),
    );
    made += songs;
  }
  return artists;
}

function percentiles(ms: number[]): string {
  const s = [...ms].sort((a, b) => a - b);
  const at = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return `p50 ${at(0.5).toFixed(2)} ms, p99 ${at(0.99).toFixed(2)} ms`;
}

const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
console.log(`CPU "${cpu}" × ${os.cpus().length}, Node ${process.version}`);
const artists = library(nTracks);
const before = process.memoryUsage().rss;
let t0 = performance.now();
const models = artists.map((songs) => fitArtistModel(songs));
const fitMs = performance.now() - t0;
t0 = performance.now();
const space = new ArtistSpace(models);
const spaceMs = performance.now() - t0;
const components = models.reduce((s, m) => s + m.means.length, 0);
console.log(
  `${nTracks} tracks, ${artists.length} artists, ${components} components ` +
    `(${(components / artists.length).toFixed(2)} per artist): models ${(fitMs / 1000).toFixed(2)} s ` +
    `(${(fitMs / artists.length).toFixed(2)} ms per artist), space ${spaceMs.toFixed(1)} ms, ` +
    `RSS +${((process.memoryUsage().rss - before) / 2 ** 20).toFixed(0)} MB`,
);
const ms: number[] = [];
for (let q = 0; q < nQueries; q++) {
  const a = Math.floor(rand() * artists.length);
  const t = performance.now();
  for (const r of space.nearest(a, 10)) componentMatches(models[a], models[r.index], 3);
  ms.push(performance.now() - t);
}
console.log(`similar_artists n=10 with component matches: ${percentiles(ms)}`);
