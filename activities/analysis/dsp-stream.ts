// Streaming building blocks shared by tempo.ts, key.ts and energy.ts (private to those three).
// Everything here is chunking-invariant: the same samples pushed in any chunk sizes produce bit-identical
// frames, so the detectors' results do not depend on how the decoder happens to split its output.
import { FFTPlan } from './fft.ts';

/** Raised by a detector's result() when it was given too little (or only silent) audio to answer. */
export class InsufficientAudioError extends Error {
  override readonly name = 'InsufficientAudioError';
}

export function checkSampleRate(sampleRate: number, min: number, who: string): number {
  if (!Number.isFinite(sampleRate) || sampleRate < min) {
    throw new RangeError(`${who}: sampleRate must be a number ≥ ${min} Hz, got ${sampleRate}`);
  }
  return sampleRate;
}

export function checkChunk(chunk: unknown, who: string): asserts chunk is ArrayLike<number> {
  if (!(chunk instanceof Float32Array) && !(chunk instanceof Float64Array)) {
    throw new TypeError(`${who}.push: expected a Float32Array of samples`);
  }
}

/**
 * Cuts a stream into frames of `size` samples every `hop` samples and hands each to `onFrame` (the
 * buffer is reused: consume it before returning).
 */
export class FrameStream {
  private readonly buf: Float64Array;
  private fill = 0;

  constructor(readonly size: number, readonly hop: number, private readonly onFrame: (frame: Float64Array) => void) {
    if (hop < 1 || hop > size) throw new RangeError(`FrameStream: hop ${hop} must be in [1, ${size}]`);
    this.buf = new Float64Array(size);
  }

  /** Appends the first `length` samples of `x`. */
  push(x: Float64Array, length = x.length): void {
    let i = 0;
    while (i < length) {
      const n = Math.min(length - i, this.size - this.fill);
      this.buf.set(x.subarray(i, i + n), this.fill);
      this.fill += n;
      i += n;
      if (this.fill === this.size) {
        this.onFrame(this.buf);
        this.buf.copyWithin(0, this.hop, this.size);
        this.fill = this.size - this.hop;
      }
    }
  }
}

/**
 * Linear-phase FIR low-pass + decimation by 2: a Hamming-windowed sinc cut at a quarter of the input
 * rate (a halfband filter: every other tap but the centre is zero and the rest are symmetric, so an
 * output costs about length/4 multiplies). `process` returns a reusable buffer.
 */
export class HalfbandDecimator {
  private readonly centre: number;      // centre tap value
  private readonly side: Float64Array;  // taps at offsets ±(2j+1) from the centre
  private readonly half: number;        // (length − 1) / 2
  private work = new Float64Array(0);   // [last length−1 inputs | new chunk]
  private held: number;                 // valid history samples at the start of `work`
  private phase = 0;                    // index within `work` of the next output's newest sample, mod 2
  private out = new Float64Array(0);

  constructor(length: number) {
    if (length % 4 !== 1 || length < 5) throw new RangeError('HalfbandDecimator: length must be 4m + 1 ≥ 5');
    const half = (length - 1) / 2;
    const h = new Float64Array(length);
    let sum = 0;
    for (let i = 0; i < length; i++) {
      const m = i - half;
      const sinc = m === 0 ? 0.5 : Math.sin(0.5 * Math.PI * m) / (Math.PI * m);
      h[i] = sinc * (0.54 - 0.46 * Math.cos((2 * Math.PI * i) / (length - 1)));
      sum += h[i];
    }
    this.half = half;
    this.centre = h[half] / sum;
    this.side = new Float64Array((half + 1) >> 1);
    for (let j = 0; j < this.side.length; j++) this.side[j] = h[half + 2 * j + 1] / sum;
    this.held = length - 1; // start from silence
    this.work = new Float64Array(2 * length);
  }

  /** Filters `length` samples of `x`; returns the decimated samples (valid until the next call). */
  process(x: ArrayLike<number>, length = x.length): { data: Float64Array; length: number } {
    const span = 2 * this.half;
    if (this.work.length < span + length) {
      const grown = new Float64Array(span + length);
      grown.set(this.work.subarray(0, this.held));
      this.work = grown;
    }
    const work = this.work;
    for (let i = 0; i < length; i++) work[this.held + i] = x[i];
    const end = this.held + length;
    const maxOut = (length >> 1) + 1;
    if (this.out.length < maxOut) this.out = new Float64Array(Math.max(maxOut, 2 * this.out.length));
    const { out, side, centre, half } = this;
    const ns = side.length;
    let n = 0, newest = span + this.phase;
    for (; newest < end; newest += 2) {
      const c = newest - half;
      let acc = centre * work[c];
      for (let j = 0, d = 1; j < ns; j++, d += 2) acc += side[j] * (work[c - d] + work[c + d]);
      out[n++] = acc;
    }
    // Keep the last `span` samples; the next output's newest sample is at `newest − (end − span)`.
    work.copyWithin(0, end - span, end);
    this.held = span;
    this.phase = newest - end;
    return { data: out, length: n };
  }
}

/**
 * Power spectrum of a real frame through one complex FFT of half the size (the even/odd packing trick):
 * about twice as fast as transforming the real frame directly.
 */
export class RealPowerSpectrum {
  readonly size: number;
  private readonly plan: FFTPlan;
  private readonly re: Float64Array;
  private readonly im: Float64Array;
  private readonly wr: Float64Array;
  private readonly wi: Float64Array;

  constructor(size: number) {
    if (size < 4 || (size & (size - 1)) !== 0) throw new RangeError(`RealPowerSpectrum: size must be a power of two ≥ 4, got ${size}`);
    this.size = size;
    const h = size / 2;
    this.plan = new FFTPlan(h);
    this.re = new Float64Array(h);
    this.im = new Float64Array(h);
    this.wr = new Float64Array(h);
    this.wi = new Float64Array(h);
    for (let k = 0; k < h; k++) {
      this.wr[k] = Math.cos((2 * Math.PI * k) / size);
      this.wi[k] = -Math.sin((2 * Math.PI * k) / size);
    }
  }

  /** `out[k] = |X[k]|²` for k = 0..size/2 of `frame · window`. */
  compute(frame: ArrayLike<number>, window: Float64Array, out: Float64Array): void {
    const h = this.size / 2;
    const { re, im, wr, wi } = this;
    for (let n = 0; n < h; n++) {
      re[n] = frame[2 * n] * window[2 * n];
      im[n] = frame[2 * n + 1] * window[2 * n + 1];
    }
    this.plan.transform(re, im);
    out[0] = (re[0] + im[0]) * (re[0] + im[0]);
    out[h] = (re[0] - im[0]) * (re[0] - im[0]);
    for (let k = 1; k < h; k++) {
      const ar = re[k], ai = im[k], br = re[h - k], bi = -im[h - k];
      // even part E = (Z[k] + conj Z[h-k]) / 2, odd part O = (Z[k] - conj Z[h-k]) / 2i
      const er = 0.5 * (ar + br), ei = 0.5 * (ai + bi);
      const or = 0.5 * (ai - bi), oi = -0.5 * (ar - br);
      const xr = er + wr[k] * or - wi[k] * oi;
      const xi = ei + wr[k] * oi + wi[k] * or;
      out[k] = xr * xr + xi * xi;
    }
  }
}
