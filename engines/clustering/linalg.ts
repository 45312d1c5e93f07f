// Small dense linear algebra for PCA and GMM: Cholesky and the symmetric eigen-decomposition.
// Matrices are square, row-major Float64Array of size n·n.

/**
 * Lower Cholesky factor L (A = L·Lᵀ) written into `out`; returns false when A is not numerically
 * positive definite (a pivot ≤ 0), leaving `out` partly written.
 */
export function cholesky(a: Float64Array, n: number, out: Float64Array): boolean {
  out.fill(0);
  for (let j = 0; j < n; j++) {
    const rj = j * n;
    let s = a[rj + j];
    for (let k = 0; k < j; k++) s -= out[rj + k] * out[rj + k];
    if (!(s > 0)) return false;
    const ljj = Math.sqrt(s);
    out[rj + j] = ljj;
    for (let i = j + 1; i < n; i++) {
      const ri = i * n;
      let t = a[ri + j];
      for (let k = 0; k < j; k++) t -= out[ri + k] * out[rj + k];
      out[ri + j] = t / ljj;
    }
  }
  return true;
}

/** Inverse of a lower-triangular matrix (itself lower-triangular), by forward substitution. */
export function invertLower(l: Float64Array, n: number, out: Float64Array): void {
  out.fill(0);
  for (let c = 0; c < n; c++) {
    out[c * n + c] = 1 / l[c * n + c];
    for (let i = c + 1; i < n; i++) {
      const ri = i * n;
      let s = 0;
      for (let k = c; k < i; k++) s -= l[ri + k] * out[k * n + c];
      out[ri + c] = s / l[ri + i];
    }
  }
}

export interface SymmetricEigen {
  /** Eigenvalues, largest first. */
  values: Float64Array;
  /** Row i (length n) is the unit eigenvector of values[i]. */
  vectors: Float64Array;
}

/**
 * Eigen-decomposition of a symmetric matrix: Householder reduction to tridiagonal form, then implicit
 * QL iterations (the tred2/tql2 pair of EISPACK, as in JAMA). O(n³) with a small constant: 200×200 takes
 * milliseconds, where cyclic Jacobi needs several times the work.
 */
export function symmetricEigen(a: Float64Array, n: number): SymmetricEigen {
  const V = Float64Array.from(a); // V[i*n+j]; columns become the eigenvectors
  const d = new Float64Array(n);
  const e = new Float64Array(n);
  tred2(V, d, e, n);
  tql2(V, d, e, n);
  const order = Array.from({ length: n }, (_, i) => i).sort((x, y) => d[y] - d[x] || x - y);
  const values = new Float64Array(n);
  const vectors = new Float64Array(n * n);
  for (let r = 0; r < n; r++) {
    const c = order[r];
    values[r] = d[c];
    for (let k = 0; k < n; k++) vectors[r * n + k] = V[k * n + c];
  }
  return { values, vectors };
}

function tred2(V: Float64Array, d: Float64Array, e: Float64Array, n: number): void {
  for (let j = 0; j < n; j++) d[j] = V[(n - 1) * n + j];
  for (let i = n - 1; i > 0; i--) {
    let scale = 0;
    let h = 0;
    for (let k = 0; k < i; k++) scale += Math.abs(d[k]);
    if (scale === 0) {
      e[i] = d[i - 1];
      for (let j = 0; j < i; j++) {
        d[j] = V[(i - 1) * n + j];
        V[i * n + j] = 0;
        V[j * n + i] = 0;
      }
    } else {
      for (let k = 0; k < i; k++) {
        d[k] /= scale;
        h += d[k] * d[k];
      }
      let f = d[i - 1];
      let g = Math.sqrt(h);
      if (f > 0) g = -g;
      e[i] = scale * g;
      h -= f * g;
      d[i - 1] = f - g;
      for (let j = 0; j < i; j++) e[j] = 0;
      for (let j = 0; j < i; j++) {
        f = d[j];
        V[j * n + i] = f;
        g = e[j] + V[j * n + j] * f;
        for (let k = j + 1; k <= i - 1; k++) {
          g += V[k * n + j] * d[k];
          e[k] += V[k * n + j] * f;
        }
        e[j] = g;
      }
      f = 0;
      for (let j = 0; j < i; j++) {
        e[j] /= h;
        f += e[j] * d[j];
      }
      const hh = f / (h + h);
      for (let j = 0; j < i; j++) e[j] -= hh * d[j];
      for (let j = 0; j < i; j++) {
        f = d[j];
        g = e[j];
        for (let k = j; k <= i - 1; k++) V[k * n + j] -= f * e[k] + g * d[k];
        d[j] = V[(i - 1) * n + j];
        V[i * n + j] = 0;
      }
    }
    d[i] = h;
  }
  // Accumulate the Householder transformations.
  for (let i = 0; i < n - 1; i++) {
    V[(n - 1) * n + i] = V[i * n + i];
    V[i * n + i] = 1;
    const h = d[i + 1];
    if (h !== 0) {
      for (let k = 0; k <= i; k++) d[k] = V[k * n + i + 1] / h;
      for (let j = 0; j <= i; j++) {
        let g = 0;
        for (let k = 0; k <= i; k++) g += V[k * n + i + 1] * V[k * n + j];
        for (let k = 0; k <= i; k++) V[k * n + j] -= g * d[k];
      }
    }
    for (let k = 0; k <= i; k++) V[k * n + i + 1] = 0;
  }
  for (let j = 0; j < n; j++) {
    d[j] = V[(n - 1) * n + j];
    V[(n - 1) * n + j] = 0;
  }
  V[(n - 1) * n + n - 1] = 1;
  e[0] = 0;
}

function tql2(V: Float64Array, d: Float64Array, e: Float64Array, n: number): void {
  for (let i = 1; i < n; i++) e[i - 1] = e[i];
  e[n - 1] = 0;
  let f = 0;
  let tst1 = 0;
  const eps = 2 ** -52;
  for (let l = 0; l < n; l++) {
    tst1 = Math.max(tst1, Math.abs(d[l]) + Math.abs(e[l]));
    let m = l;
    while (m < n) {
      if (Math.abs(e[m]) <= eps * tst1) break;
      m++;
    }
    if (m > l) {
      do {
        let g = d[l];
        let p = (d[l + 1] - g) / (2 * e[l]);
        let r = hypot(p, 1);
        if (p < 0) r = -r;
        d[l] = e[l] / (p + r);
        d[l + 1] = e[l] * (p + r);
        const dl1 = d[l + 1];
        let h = g - d[l];
        for (let i = l + 2; i < n; i++) d[i] -= h;
        f += h;
        p = d[m];
        let c = 1;
        let c2 = c;
        let c3 = c;
        const el1 = e[l + 1];
        let s = 0;
        let s2 = 0;
        for (let i = m - 1; i >= l; i--) {
          c3 = c2;
          c2 = c;
          s2 = s;
          g = c * e[i];
          h = c * p;
          r = hypot(p, e[i]);
          e[i + 1] = s * r;
          s = e[i] / r;
          c = p / r;
          p = c * d[i] - s * g;
          d[i + 1] = h + s * (c * g + s * d[i]);
          for (let k = 0; k < n; k++) {
            const o = k * n;
            h = V[o + i + 1];
            V[o + i + 1] = s * V[o + i] + c * h;
            V[o + i] = c * V[o + i] - s * h;
          }
        }
        p = (-s * s2 * c3 * el1 * e[l]) / dl1;
        e[l] = s * p;
        d[l] = c * p;
      } while (Math.abs(e[l]) > eps * tst1);
    }
    d[l] += f;
    e[l] = 0;
  }
}

/** sqrt(a² + b²) without overflow; Math.hypot is several times slower in V8. */
function hypot(a: number, b: number): number {
  const x = Math.abs(a);
  const y = Math.abs(b);
  if (x > y) {
    const r = y / x;
    return x * Math.sqrt(1 + r * r);
  }
  if (y === 0) return 0;
  const r = x / y;
  return y * Math.sqrt(1 + r * r);
}

/**
 * out[i·nb + j] = Σ_q A[i·d + q]·B[j·d + q] (A·Bᵀ for row-major A: na×d, B: nb×d). Two rows of A against
 * four of B per pass keep eight sums in registers and load each value once per block: ~1.4× the speed of
 * a plain dot-product loop in V8. With `upper` only blocks reaching j ≥ i are computed (for A = B, whose
 * product is symmetric); entries below the diagonal are then unspecified.
 */
export function multiplyABt(
  A: Float64Array,
  na: number,
  B: Float64Array,
  nb: number,
  d: number,
  out: Float64Array,
  upper = false,
): void {
  for (let i = 0; i < na; i += 2) {
    const i1 = Math.min(i + 1, na - 1); // odd tail: the second row repeats the first, its sums are dropped
    const a0 = i * d,
      a1 = i1 * d;
    for (let j = upper ? i & ~3 : 0; j < nb; j += 4) {
      const b0 = j * d;
      const b1 = Math.min(j + 1, nb - 1) * d;
      const b2 = Math.min(j + 2, nb - 1) * d;
      const b3 = Math.min(j + 3, nb - 1) * d;
      let s0 = 0,
        s1 = 0,
        s2 = 0,
        s3 = 0,
        t0 = 0,
        t1 = 0,
        t2 = 0,
        t3 = 0;
      for (let q = 0; q < d; q++) {
        const x = A[a0 + q],
          y = A[a1 + q];
        const v0 = B[b0 + q],
          v1 = B[b1 + q],
          v2 = B[b2 + q],
          v3 = B[b3 + q];
        s0 += x * v0;
        s1 += x * v1;
        s2 += x * v2;
        s3 += x * v3;
        t0 += y * v0;
        t1 += y * v1;
        t2 += y * v2;
        t3 += y * v3;
      }
      const p = i * nb + j;
      const m = Math.min(4, nb - j);
      out[p] = s0;
      if (m > 1) out[p + 1] = s1;
      if (m > 2) out[p + 2] = s2;
      if (m > 3) out[p + 3] = s3;
      if (i1 === i) continue;
      out[p + nb] = t0;
      if (m > 1) out[p + nb + 1] = t1;
      if (m > 2) out[p + nb + 2] = t2;
      if (m > 3) out[p + nb + 3] = t3;
    }
  }
}
