// Radix-2 FFT with a reusable plan: twiddles and bit-reversal are computed once per size, so the
// per-frame cost in the mel / chroma / onset loops is just the butterflies (no allocation).

export class FFTPlan {
  readonly size: number;
  /** Bit-reversal permutation: a caller that writes its input at rev[i] can call butterflies() directly. */
  readonly rev: Uint32Array;
  // Twiddles in the order the passes below read them: for each fused pair of stages (len, 2·len), from
  // len 8 on, (W_2len^k, W_len^k) for k < len/2; then (W_len^k) of a last unpaired stage, if any.
  private readonly twiddles: Float64Array;

  constructor(size: number) {
    if (size < 2 || (size & (size - 1)) !== 0) throw new RangeError(`FFT size must be a power of two, got ${size}`);
    this.size = size;
    this.rev = new Uint32Array(size);
    const bits = Math.log2(size);
    for (let i = 0; i < size; i++) {
      let r = 0;
      for (let b = 0; b < bits; b++) r |= ((i >> b) & 1) << (bits - 1 - b);
      this.rev[i] = r;
    }
    const tw: number[] = [];
    let len = 8;
    for (; 2 * len <= size; len *= 4) {
      for (let k = 0; k < len / 2; k++) {
        const a = (-2 * Math.PI * k) / (2 * len);
        tw.push(Math.cos(a), Math.sin(a), Math.cos(2 * a), Math.sin(2 * a));
      }
    }
    for (let k = 0; len <= size && k < len / 2; k++)
      tw.push(Math.cos((2 * Math.PI * k) / len), -Math.sin((2 * Math.PI * k) / len));
    this.twiddles = Float64Array.from(tw);
  }

  /** In-place complex forward FFT of (re, im), both of length `size`. */
  transform(re: Float64Array, im: Float64Array): void {
    const rev = this.rev;
    for (let i = 0; i < this.size; i++) {
      const j = rev[i];
      if (j > i) {
        let t = re[i];
        re[i] = re[j];
        re[j] = t;
        t = im[i];
        im[i] = im[j];
        im[j] = t;
      }
    }
    this.butterflies(re, im);
  }

  /** The FFT of input already stored in bit-reversed order. */
  butterflies(re: Float64Array, im: Float64Array): void {
    const n = this.size;
    if (n === 2) {
      const r = re[1],
        i = im[1];
      re[1] = re[0] - r;
      im[1] = im[0] - i;
      re[0] += r;
      im[0] += i;
      return;
    }
    // Lengths 2 and 4 in one pass: a radix-4 butterfly whose twiddles are 1 and −i.
    for (let s = 0; s < n; s += 4) {
      const r0 = re[s],
        i0 = im[s],
        r1 = re[s + 1],
        i1 = im[s + 1],
        r2 = re[s + 2],
        i2 = im[s + 2],
        r3 = re[s + 3],
        i3 = im[s + 3];
      const ar = r0 + r1,
        ai = i0 + i1,
        br = r0 - r1,
        bi = i0 - i1;
      const cr = r2 + r3,
        ci = i2 + i3,
        dr = r2 - r3,
        di = i2 - i3;
      re[s] = ar + cr;
      im[s] = ai + ci;
      re[s + 2] = ar - cr;
      im[s + 2] = ai - ci;
      re[s + 1] = br + di;
      im[s + 1] = bi - dr;
      re[s + 3] = br - di;
      im[s + 3] = bi + dr;
    }
    // Then two stages per pass (len and 2·len; a radix-2² butterfly over four points): half the loads and
    // stores of one stage at a time. W_2len^(k+len/2) = −i·W_2len^k gives the second half its twiddle.
    const tw = this.twiddles;
    let len = 8,
      base = 0;
    for (; 2 * len <= n; base += 2 * len, len *= 4) {
      const q = len >> 1;
      for (let k = 0; k < q; k++) {
        const o = base + 4 * k;
        const w1r = tw[o],
          w1i = tw[o + 1],
          w2r = tw[o + 2],
          w2i = tw[o + 3];
        for (let a = k; a < n; a += 4 * q) {
          const b = a + q,
            c = a + 2 * q,
            d = a + 3 * q;
          const t1r = re[b] * w2r - im[b] * w2i,
            t1i = re[b] * w2i + im[b] * w2r;
          const t3r = re[d] * w2r - im[d] * w2i,
            t3i = re[d] * w2i + im[d] * w2r;
          const u0r = re[a] + t1r,
            u0i = im[a] + t1i,
            u1r = re[a] - t1r,
            u1i = im[a] - t1i;
          const v0r = re[c] + t3r,
            v0i = im[c] + t3i,
            v1r = re[c] - t3r,
            v1i = im[c] - t3i;
          const s0r = v0r * w1r - v0i * w1i,
            s0i = v0r * w1i + v0i * w1r;
          const s1r = v1r * w1i + v1i * w1r, // −i · W · v1
            s1i = -(v1r * w1r - v1i * w1i);
          re[a] = u0r + s0r;
          im[a] = u0i + s0i;
          re[c] = u0r - s0r;
          im[c] = u0i - s0i;
          re[b] = u1r + s1r;
          im[b] = u1i + s1i;
          re[d] = u1r - s1r;
          im[d] = u1i - s1i;
        }
      }
    }
    if (len <= n) {
      const half = len >> 1;
      for (let k = 0; k < half; k++) {
        const wr = tw[base + 2 * k],
          wi = tw[base + 2 * k + 1];
        for (let a = k; a < n; a += len) {
          const b = a + half;
          const xr = re[b] * wr - im[b] * wi;
          const xi = re[b] * wi + im[b] * wr;
          const ar = re[a],
            ai = im[a];
          re[b] = ar - xr;
          im[b] = ai - xi;
          re[a] = ar + xr;
          im[a] = ai + xi;
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
    const rev = this.half.rev;
    for (let n = 0, i = off; n < h; n++, i += 2) {
      const j = rev[n]; // written in bit-reversed order: saves the FFT's swap pass
      re[j] = frame[i] * window[2 * n];
      im[j] = frame[i + 1] * window[2 * n + 1];
    }
    this.half.butterflies(re, im);
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
