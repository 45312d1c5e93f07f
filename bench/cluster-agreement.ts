// How far two clusterings of the same songs agree, for bench:cluster:big: labels per song (-1 = in no
// playlist). Over the songs placed by both: the adjusted Rand index and the share of the song pairs one
// keeps together that the other keeps together too; and the share of songs placed by both.
export interface Agreement {
  /** Adjusted Rand index over the songs in a playlist in both (1 = the same partition, ≈ 0 = chance). */
  ari: number;
  /** Of the pairs of songs `a` puts in one playlist, the share `b` puts in one playlist too. */
  pairsKept: number;
  /** Share of all songs in a playlist in both. */
  bothPlaced: number;
}

const pairs = (x: number) => (x * (x - 1)) / 2;

export function agreement(a: Int32Array, b: Int32Array): Agreement {
  if (a.length !== b.length) throw new RangeError(`agreement: ${a.length} and ${b.length} labels`);
  const cells = new Map<string, number>();
  const rows = new Map<number, number>();
  const cols = new Map<number, number>();
  let n = 0;
  for (let i = 0; i < a.length; i++) {
    if (a[i] < 0 || b[i] < 0) continue;
    n++;
    const key = `${a[i]},${b[i]}`;
    cells.set(key, (cells.get(key) ?? 0) + 1);
    rows.set(a[i], (rows.get(a[i]) ?? 0) + 1);
    cols.set(b[i], (cols.get(b[i]) ?? 0) + 1);
  }
  let together = 0;
  for (const c of cells.values()) together += pairs(c);
  let inA = 0;
  for (const r of rows.values()) inA += pairs(r);
  let inB = 0;
  for (const c of cols.values()) inB += pairs(c);
  const expected = n > 1 ? (inA * inB) / pairs(n) : 0;
  const max = (inA + inB) / 2;
  return {
    ari: max === expected ? 1 : (together - expected) / (max - expected),
    pairsKept: inA > 0 ? together / inA : 1,
    bothPlaced: a.length > 0 ? n / a.length : 1,
  };
}

/** Labels per song from playlists (parts of one cluster share its name, so they count as one). */
export function playlistLabels(
  n: number,
  playlists: readonly { name: string; members: readonly number[] }[],
): Int32Array {
  const labels = new Int32Array(n).fill(-1);
  const ids = new Map<string, number>();
  for (const p of playlists) {
    if (!ids.has(p.name)) ids.set(p.name, ids.size);
    for (const i of p.members) labels[i] = ids.get(p.name)!;
  }
  return labels;
}
