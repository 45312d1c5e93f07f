// Radix-2 FFT with a reusable plan: twiddles and bit-reversal are computed once per size, so the
// per-frame cost in the mel / chroma / onset loops is just the butterflies (no allocation).

export class FFTPlan {
  readonly size: number;
  private readonly cos: Float64Array;
  private readonly sin: Float64Array;
  private readonly rev: Uint32Array;

  constructor(size: number) {
    if (size < 2 || (size & (size - 1)) !== 0) throw new RangeError(`FFT size must be a power of two, got ${size}`);
    this.size = size;
    this.cos = new Float64Array(size / 2);
    this.sin = new Float64Array(size / 2);
    for (let i = 0; i < size / 2; i++) {
      this.cos[i] = Math.cos((2 * Math.PI * i) / size);
      this.sin[i] = -Math.sin((2 * Math.PI * i) / size);
    }
    this.rev = new Uint32Array(size);
    const bits = Math.log2(size);
    for (let i = 0; i < size; i++) {
      let r = 0;
      for (let b = 0; b < bits; b++) r |= ((i >> b) & 1) << (bits - 1 - b);
      this.rev[i] = r;
    }
  }

  /** In-place complex forward FFT of (re, im), both of length `size`. */
  transform(re: Float64Array, im: Float64Array): void {
    const n = this.size;
    for (let i = 0; i < n; i++) {
      const j = this.rev[i];
      if (j > i) {
        let t = re[i];
        re[i] = re[j];
        re[j] = t;
        t = im[i];
        im[i] = im[j];
        im[j] = t;
      }
    }
    for (let len = 2; len <= n; len <<= 1) {
      const half = len >> 1;
      const step = n / len;
      for (let start = 0; start < n; start += len) {
        for (let k = 0, t = 0; k < half; k++, t += step) {
          const wr = this.cos[t],
            wi = this.sin[t];
          const a = start + k,
            b = a + half;
          const xr = re[b] * wr - im[b] * wi;
          const xi = re[b] * wi + im[b] * wr;
          re[b] = re[a] - xr;
          im[b] = im[a] - xi;
          re[a] += xr;
          im[a] += xi;
        }
      }
    }
  }
}

/** Periodic Hann window (scipy/librosa `get_window('hann', n, fftbins=True)`). */
export function hannWindow(n: number): Float64Array {
  const w = new Float64Array(n);
  for (let i = 0; i < n; i++) w[i] = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / n);
  return w;
}

/**
 * Power spectrum of a real frame of even length n through one complex FFT of n/2 points (even samples as
 * the real part, odd as the imaginary part, then the standard split): about half the work of a
 * full-size complex FFT. The window is applied on the way in. One instance per thread (scratch buffers).
 */
export class RealPowerSpectrumPlan {
  readonly size: number;
  private readonly half: FFTPlan;
  private readonly re: Float64Array;
  private readonly im: Float64Array;
  private readonly wr: Float64Array;
  private readonly wi: Float64Array;

  constructor(size: number) {
    if (size < 4 || (size & (size - 1)) !== 0) throw new RangeError(`FFT size must be a power of two ≥ 4, got ${size}`);
    this.size = size;
    const h = size / 2;
    this.half = new FFTPlan(h);
    this.re = new Float64Array(h);
    this.im = new Float64Array(h);
    this.wr = new Float64Array(h);
    this.wi = new Float64Array(h);
    for (let k = 0; k < h; k++) {
      this.wr[k] = Math.cos((2 * Math.PI * k) / size);
      this.wi[k] = -Math.sin((2 * Math.PI * k) / size);
    }
  }

  /** out[k] = |FFT(frame[off..off+size) · window)[k]|² for k = 0..size/2 (out has size/2 + 1 entries). */
  compute(frame: ArrayLike<number>, off: number, window: Float64Array, out: Float64Array): void {
    const h = this.size / 2;
    const { re, im, wr, wi } = this;
    for (let n = 0, i = off; n < h; n++, i += 2) {
      re[n] = frame[i] * window[2 * n];
      im[n] = frame[i + 1] * window[2 * n + 1];
    }
    this.half.transform(re, im);
    out[0] = (re[0] + im[0]) * (re[0] + im[0]);
    out[h] = (re[0] - im[0]) * (re[0] - im[0]);
    for (let k = 1; k < h; k++) {
      // X[k] = E[k] + W^k·O[k], with E = (Z[k] + conj Z[h−k]) / 2 and O = (Z[k] − conj Z[h−k]) / 2i.
      const ar = re[k],
        ai = im[k],
        br = re[h - k],
        bi = -im[h - k];
      const er = 0.5 * (ar + br),
        ei = 0.5 * (ai + bi);
      const or = 0.5 * (ai - bi),
        oi = -0.5 * (ar - br);
      const xr = er + wr[k] * or - wi[k] * oi;
      const xi = ei + wr[k] * oi + wi[k] * or;
      out[k] = xr * xr + xi * xi;
    }
  }
}
