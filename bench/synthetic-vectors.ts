// The structured synthetic library of the similarity benchmarks (../shared/reference/similarity.md §4): a 16-d
// latent space of 200 "genres" and 2,000-track "artists", mapped to 200-d by a random linear map, 0.05 noise.
// xorshift32 (full period) so no vector repeats at a million; vectors come in order, one at a time.
export const DIM = 200;
const LATENT = 16;

/** Uniform [0, 1) and standard normal draws from one xorshift32 stream. */
export function randomSource(seed = 12345): { rand: () => number; gauss: () => number } {
  let state = seed;
  const rand = () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
  return { rand, gauss: () => Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand()) };
}

/** The next vector of an n-track library on each call (call it n times, in order). */
export function syntheticVectors(n: number): () => Float32Array {
  const { rand, gauss } = randomSource();
  const map = Float32Array.from({ length: LATENT * DIM }, gauss);
  const genres = Array.from({ length: 200 }, () => Float32Array.from({ length: LATENT }, gauss));
  const artists = Array.from({ length: Math.max(1, Math.ceil(n / 2000)) }, () => ({
    genre: Math.floor(rand() * genres.length),
    offset: Float32Array.from({ length: LATENT }, () => 0.5 * gauss()),
  }));
  let i = 0;
  return () => {
    const a = artists[i++ % artists.length];
    const latent = genres[a.genre].map((g, k) => g + a.offset[k] + 0.3 * gauss());
    const v = new Float32Array(DIM);
    for (let d = 0; d < DIM; d++) {
      let s = 0;
      for (let k = 0; k < LATENT; k++) s += latent[k] * map[k * DIM + d];
      v[d] = s + 0.05 * gauss();
    }
    return v;
  };
}
