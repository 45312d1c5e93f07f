// Artists as small mixtures of their songs' embeddings, compared with a soft Chamfer distance between the
// mixtures' components, as the original's artist similarity does (tasks/artist_gmm_manager.py): an artist who
// plays two styles keeps both, instead of one average that sounds like neither.
import { gmm } from '../clustering/gmm.ts';
import { Rng } from '../clustering/rng.ts';
import { matrix } from '../clustering/types.ts';
import { cosineDistance, unit, type Neighbour } from './vector-space.ts';

export interface ArtistModel {
  /** Unit-length component means. */
  means: Float32Array[];
  /** Component weights, summing to 1. */
  weights: number[];
}

/** Below this many songs every song is its own component with an equal weight (the original's rule). */
export const FEW_SONGS = 5;
/** Most components an artist gets (the original allows 10; a handful holds an artist's styles). */
export const MAX_COMPONENTS = 5;
/** Floor of each component's per-dimension variance. scikit-learn's 1e-6 lets BIC split single songs off into
 *  components of their own (a near-zero variance is a huge likelihood); a unit vector's coordinates spread
 *  about 1/d, so 1e-3 keeps a component a group of songs. */
const VARIANCE_FLOOR = 1e-3;

/**
 * The artist's model from their songs' unit embeddings. Few songs: one component per song. More: a diagonal
 * Gaussian mixture whose component count (1 … min(5, max(2, songs/5))) has the lowest BIC, as scikit-learn
 * would choose it; seeded, so the same songs give the same model.
 */
export function fitArtistModel(songs: readonly Float32Array[], seed = 42): ArtistModel {
  const n = songs.length;
  if (n === 0) throw new RangeError('an artist model needs at least one song');
  if (n < FEW_SONGS) return { means: songs.map((s) => unit(s)), weights: songs.map(() => 1 / n) };
  const d = songs[0].length;
  const X = matrix(n, d);
  songs.forEach((s, i) => X.data.set(s, i * d));
  const maxK = Math.min(MAX_COMPONENTS, Math.max(2, Math.floor(n / 5)));
  let best: { bic: number; model: ArtistModel } | undefined;
  for (let k = 1; k <= maxK; k++) {
    const fit = gmm(X, k, 'diag', new Rng(seed), { maxIter: 100, regCovar: VARIANCE_FLOOR });
    // Free parameters of a diagonal mixture: k means and k variances of d values, k − 1 weights.
    const bic = -2 * n * fit.logLikelihood + (2 * k * d + k - 1) * Math.log(n);
    if (best && bic >= best.bic) continue;
    const means = Array.from({ length: k }, (_, c) => unit(fit.centroids.data.subarray(c * d, (c + 1) * d)));
    best = { bic, model: { means, weights: [...fit.weights] } };
  }
  return best!.model;
}

/**
 * The soft Chamfer distance: each component of one artist travels to the nearest component of the other,
 * weighted by its weight, both ways, averaged. 0 for the same model; cosine distances between means.
 */
export function softChamfer(a: ArtistModel, b: ArtistModel): number {
  const toB = a.means.map(() => Infinity),
    toA = b.means.map(() => Infinity);
  a.means.forEach((ma, i) =>
    b.means.forEach((mb, j) => {
      const dist = cosineDistance(ma, mb);
      toB[i] = Math.min(toB[i], dist);
      toA[j] = Math.min(toA[j], dist);
    }),
  );
  const weighted = (mins: number[], w: number[]) => mins.reduce((s, m, i) => s + w[i] * m, 0);
  return 0.5 * (weighted(toB, a.weights) + weighted(toA, b.weights));
}

/** Every artist's components in one matrix, so one artist is compared with all others in a single pass. */
export class ArtistSpace {
  private readonly data: Float32Array;
  /** Artist of each component, and the component's weight. */
  private readonly owner: Int32Array;
  private readonly weight: Float64Array;
  private readonly dim: number;

  constructor(readonly models: readonly ArtistModel[]) {
    this.dim = models.find((m) => m.means.length)?.means[0].length ?? 0;
    const count = models.reduce((s, m) => s + m.means.length, 0);
    this.data = new Float32Array(count * this.dim);
    this.owner = new Int32Array(count);
    this.weight = new Float64Array(count);
    let c = 0;
    models.forEach((m, a) =>
      m.means.forEach((mean, i) => {
        this.data.set(mean, c * this.dim);
        this.owner[c] = a;
        this.weight[c++] = m.weights[i];
      }),
    );
  }

  /** The soft Chamfer distance from artist `query` to every artist (index = artist). */
  divergences(query: number): Float64Array {
    const q = this.models[query];
    const k = q.means.length,
      artists = this.models.length,
      { dim, data } = this;
    // Per artist: its components' weighted distances to the query's nearest (backward), and per query
    // component the distance to the artist's nearest (forward).
    const backward = new Float64Array(artists);
    const forward = new Float64Array(artists * k).fill(Infinity);
    for (let c = 0, o = 0; c < this.owner.length; c++, o += dim) {
      const a = this.owner[c];
      let nearest = Infinity;
      for (let i = 0; i < k; i++) {
        const mean = q.means[i];
        let dot = 0;
        for (let j = 0; j < dim; j++) dot += mean[j] * data[o + j];
        const dist = 1 - dot;
        if (dist < nearest) nearest = dist;
        if (dist < forward[a * k + i]) forward[a * k + i] = dist;
      }
      backward[a] += this.weight[c] * nearest;
    }
    const out = new Float64Array(artists);
    for (let a = 0; a < artists; a++) {
      let f = 0;
      for (let i = 0; i < k; i++) f += q.weights[i] * forward[a * k + i];
      out[a] = 0.5 * (f + backward[a]);
    }
    return out;
  }

  /** The `n` artists nearest to `query` (itself left out) that `accept` lets through, nearest first; ties by index. */
  nearest(query: number, n: number, accept: (artist: number) => boolean = () => true): Neighbour[] {
    const div = this.divergences(query);
    const order = Array.from(div.keys()).filter((a) => a !== query && accept(a));
    order.sort((x, y) => div[x] - div[y] || x - y);
    return order.slice(0, n).map((index) => ({ index, distance: div[index] }));
  }
}

export interface ComponentMatch {
  component1: number;
  component2: number;
  distance: number;
}

/** The `top` closest pairs of components between two artists, closest first (what makes them alike). */
export function componentMatches(a: ArtistModel, b: ArtistModel, top: number): ComponentMatch[] {
  const pairs: ComponentMatch[] = [];
  a.means.forEach((ma, i) =>
    b.means.forEach((mb, j) => pairs.push({ component1: i, component2: j, distance: cosineDistance(ma, mb) })),
  );
  pairs.sort((x, y) => x.distance - y.distance || x.component1 - y.component1 || x.component2 - y.component2);
  return pairs.slice(0, top);
}

/** The `k` songs (indices into `songs`, unit vectors) nearest to a component mean, nearest first. */
export function representativeSongs(mean: Float32Array, songs: readonly Float32Array[], k: number): Neighbour[] {
  return songs
    .map((s, index) => ({ index, distance: cosineDistance(mean, s) }))
    .sort((x, y) => x.distance - y.distance || x.index - y.index)
    .slice(0, k);
}
