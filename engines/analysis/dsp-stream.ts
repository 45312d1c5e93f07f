// Streaming building blocks shared by tempo.ts, key.ts and energy.ts, plus the InsufficientAudioError
// their result() methods throw (callers catch it; it is re-exported by tempo.ts and key.ts).
// Everything here is chunking-invariant: the same samples pushed in any chunk sizes produce bit-identical
// frames, so the detectors' results do not depend on how the decoder happens to split its output.

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

  constructor(
    readonly size: number,
    readonly hop: number,
    private readonly onFrame: (frame: Float64Array) => void,
  ) {
    if (hop < 1 || hop > size) throw new RangeError(`FrameStream: hop ${hop} must be in [1, ${size}]`);
    this.buf = new Float64Array(size);
  }

  /** Appends the first `length` samples of `x`. */
  push(x: Float64Array, length = x.length): void {
    let i = 0;
    while (i < length) {
      const n = Math.min(length - i, this.size - this.fill);
      const buf = this.buf,
        fill = this.fill;
      for (let j = 0; j < n; j++) buf[fill + j] = x[i + j]; // a subarray view per frame costs more
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
 * rate (a halfband filter: every other tap but the centre is zero and the rest are symmetric). Two
 * lengths: 13 taps (−0.4 dB at 0.1·fs, −64 dB from 0.4·fs: enough for an early stage, whose aliases
 * below 0.4·fs land outside the final band) and 29 taps (−0.6 dB at 0.2·fs, −36 dB from 0.3·fs, −58 dB
 * from 0.35·fs). The inner loops are unrolled per length, which halves the cost in V8. `process`
 * returns a reusable buffer.
 */
export class HalfbandDecimator {
  private readonly h: Float64Array; // centre tap, then the taps at offsets 1, 3, 5, …
  private readonly half: number; // (length − 1) / 2
  private work: Float64Array; // [last length−1 inputs | new chunk]
  private phase = 0; // where the next output's newest sample sits, past the history
  private out = new Float64Array(0);

  constructor(readonly length: 13 | 29) {
    if (length !== 13 && length !== 29) throw new RangeError('HalfbandDecimator: length must be 13 or 29');
    const half = (length - 1) / 2;
    const taps = new Float64Array(length);
    let sum = 0;
    for (let i = 0; i < length; i++) {
      const m = i - half;
      const sinc = m === 0 ? 0.5 : Math.sin(0.5 * Math.PI * m) / (Math.PI * m);
      taps[i] = sinc * (0.54 - 0.46 * Math.cos((2 * Math.PI * i) / (length - 1)));
      sum += taps[i];
    }
    this.half = half;
    this.h = new Float64Array(1 + half / 2);
    this.h[0] = taps[half] / sum;
    for (let j = 1; j < this.h.length; j++) this.h[j] = taps[half + 2 * j - 1] / sum;
    this.work = new Float64Array(2 * length); // history starts as silence
  }

  /** Filters `length` samples of `x`; returns the decimated samples (valid until the next call). */
  process(x: Float32Array | Float64Array, length = x.length): { data: Float64Array; length: number } {
    const span = 2 * this.half;
    if (this.work.length < span + length) {
      const grown = new Float64Array(span + length);
      grown.set(this.work.subarray(0, span));
      this.work = grown;
    }
    const w = this.work;
    w.set(x.subarray(0, length), span);
    const end = span + length;
    const maxOut = (length >> 1) + 1;
    if (this.out.length < maxOut) this.out = new Float64Array(Math.max(maxOut, 2 * this.out.length));
    const out = this.out,
      h = this.h;
    let n = 0,
      c = this.phase + this.half; // centre of the next output's window (newest sample at c + half)
    const last = end - this.half; // the window must end inside the buffer
    if (this.length === 13) {
      const [h0, h1, h3, h5] = h;
      for (; c < last; c += 2) {
        out[n++] = h0 * w[c] + h1 * (w[c - 1] + w[c + 1]) + h3 * (w[c - 3] + w[c + 3]) + h5 * (w[c - 5] + w[c + 5]);
      }
    } else {
      const [h0, h1, h3, h5, h7, h9, h11, h13] = h;
      for (; c < last; c += 2) {
        out[n++] =
          h0 * w[c] +
          h1 * (w[c - 1] + w[c + 1]) +
          h3 * (w[c - 3] + w[c + 3]) +
          h5 * (w[c - 5] + w[c + 5]) +
          h7 * (w[c - 7] + w[c + 7]) +
          h9 * (w[c - 9] + w[c + 9]) +
          h11 * (w[c - 11] + w[c + 11]) +
          h13 * (w[c - 13] + w[c + 13]);
      }
    }
    // Keep the last `span` samples as history; positions shift by `length`.
    w.copyWithin(0, end - span, end);
    this.phase = c - this.half - length;
    return { data: out, length: n };
  }
}
