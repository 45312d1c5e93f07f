// How well a grouping agrees with known labels, and how two rankings agree: the numbers bench:quality and
// bench:feature-space print. Pure functions of plain arrays.

export interface Agreement {
  /** Share of the assigned items whose cluster's most common label is their own. */
  purity: number;
  /** Normalised mutual information of clusters and labels over the assigned items (arithmetic mean of the
   *  entropies, scikit-learn's default); 0 when either side is a single group. */
  nmi: number;
  /** Assigned items / all items. */
  covered: number;
}

/** Purity and NMI of an assignment (cluster id per item, -1 = unassigned and left out) against labels. */
export function agreement(assign: readonly number[], labels: readonly number[]): Agreement {
  const idx = assign.map((c, i) => [c, labels[i]] as const).filter(([c]) => c >= 0);
  const n = idx.length;
  if (n === 0) return { purity: 0, nmi: 0, covered: 0 };
  const joint = new Map<string, number>(),
    cs = new Map<number, number>(),
    ls = new Map<number, number>();
  for (const [c, l] of idx) {
    joint.set(`${c},${l}`, (joint.get(`${c},${l}`) ?? 0) + 1);
    cs.set(c, (cs.get(c) ?? 0) + 1);
    ls.set(l, (ls.get(l) ?? 0) + 1);
  }
  let purity = 0;
  for (const c of cs.keys()) purity += Math.max(...[...ls.keys()].map((l) => joint.get(`${c},${l}`) ?? 0));
  let mi = 0;
  for (const [k, v] of joint) {
    const [c, l] = k.split(',').map(Number);
    mi += (v / n) * Math.log((v * n) / (cs.get(c)! * ls.get(l)!));
  }
  const h = (m: Map<number, number>) => -[...m.values()].reduce((s, v) => s + (v / n) * Math.log(v / n), 0);
  const denom = (h(cs) + h(ls)) / 2;
  return { purity: purity / n, nmi: denom > 0 ? mi / denom : 0, covered: n / assign.length };
}

/** Cluster id per item from lists of member indices (-1 = in no list). */
export function assignment(lists: readonly ArrayLike<number>[], n: number): number[] {
  const out = new Array<number>(n).fill(-1);
  lists.forEach((m, c) => Array.from(m).forEach((i) => (out[i] = c)));
  return out;
}

/** Ranks from 1, ties sharing their average rank. */
function ranks(xs: readonly number[]): number[] {
  const order = xs.map((x, i) => [x, i] as const).sort((a, b) => a[0] - b[0]);
  const r = new Array<number>(xs.length);
  for (let i = 0; i < order.length;) {
    let j = i;
    while (j + 1 < order.length && order[j + 1][0] === order[i][0]) j++;
    for (let k = i; k <= j; k++) r[order[k][1]] = (i + j) / 2 + 1;
    i = j + 1;
  }
  return r;
}

/** Spearman's rank correlation (Pearson on average ranks); NaN when either side is constant. */
export function spearman(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length) throw new RangeError(`spearman: ${a.length} and ${b.length} values`);
  const ra = ranks(a),
    rb = ranks(b);
  const n = ra.length;
  const ma = ra.reduce((s, x) => s + x, 0) / n,
    mb = rb.reduce((s, x) => s + x, 0) / n;
  let sab = 0,
    saa = 0,
    sbb = 0;
  for (let i = 0; i < n; i++) {
    sab += (ra[i] - ma) * (rb[i] - mb);
    saa += (ra[i] - ma) ** 2;
    sbb += (rb[i] - mb) ** 2;
  }
  return saa > 0 && sbb > 0 ? sab / Math.sqrt(saa * sbb) : NaN;
}

/**
 * `size` item indices drawn without replacement so that each label keeps its share of the items (largest
 * remainders get the rounding), in index order. `random` gives uniform numbers in [0, 1) (a seeded Rng).
 */
export function stratifiedSample(labels: readonly number[], size: number, random: () => number): number[] {
  if (size > labels.length) throw new RangeError(`stratifiedSample: ${size} of ${labels.length} items`);
  const groups = new Map<number, number[]>();
  labels.forEach((l, i) => groups.set(l, [...(groups.get(l) ?? []), i]));
  const quota = [...groups].map(([label, items]) => {
    const exact = (items.length * size) / labels.length;
    return { label, items, take: Math.floor(exact), rest: exact - Math.floor(exact) };
  });
  let left = size - quota.reduce((s, q) => s + q.take, 0);
  for (const q of [...quota].sort((a, b) => b.rest - a.rest || a.label - b.label)) if (left-- > 0) q.take++;
  const out: number[] = [];
  for (const q of quota) {
    const items = [...q.items];
    for (let i = items.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [items[i], items[j]] = [items[j], items[i]];
    }
    out.push(...items.slice(0, q.take));
  }
  return out.sort((a, b) => a - b);
}
