// The library map: every track's embedding projected on the embedding space's two principal axes, scaled to
// [-1, 1] so the page can draw it without knowing the data. PCA (not t-SNE/UMAP) because it is exact,
// deterministic and costs one 200×200 eigen-decomposition, so 100,000 tracks project in about a second.
import { pcaFit, pcaTransform } from './pca.ts';
import { matrix } from './types.ts';

export function projectLibrary(embeddings: readonly Float32Array[]): { x: number[]; y: number[] } {
  const n = embeddings.length;
  if (n === 0) return { x: [], y: [] };
  const d = embeddings[0].length;
  const data = new Float64Array(n * d);
  embeddings.forEach((e, i) => data.set(e, i * d));
  const X = matrix(n, d, data);
  const k = Math.min(2, n, d);
  const Y = pcaTransform(pcaFit(X, k), X);
  const axis = (c: number) => {
    if (c >= k) return new Array<number>(n).fill(0);
    const v = Array.from({ length: n }, (_, i) => Y.data[i * k + c]);
    let scale = 0;
    for (const a of v) scale = Math.max(scale, Math.abs(a));
    return v.map((a) => Math.round((a / (scale || 1)) * 1e4) / 1e4);
  };
  return { x: axis(0), y: axis(1) };
}
