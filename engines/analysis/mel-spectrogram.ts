// Log-mel front end of MusiCNN, identical to what AudioMuse-AI computed with librosa:
//   melspectrogram(sr=16000, n_fft=512, hop_length=256, window='hann', center=False, power=2,
//                  n_mels=96, fmin=0, fmax=8000, htk=False, norm='slaney') → log10(1 + 10000·mel)
// cut into patches of 187 frames. Streaming: push decoded chunks, complete patches come out, so only one
// patch plus one FFT frame of audio is ever held.
import { RealPowerSpectrumPlan, hannWindow } from './fft.ts';

export const MEL_SAMPLE_RATE = 16000;
export const N_FFT = 512;
export const HOP_LENGTH = 256;
export const N_MELS = 96;
export const F_MAX = 8000;
/** Frames per MusiCNN patch (≈ 3 s). */
export const PATCH_FRAMES = 187;
/** Samples needed for the first complete patch: 512 + 186·256 = 48,128 (3.008 s). */
export const MIN_PATCH_SAMPLES = N_FFT + (PATCH_FRAMES - 1) * HOP_LENGTH;

/** Patches a signal of `samples` samples gives with patches every `patchHop` frames. */
export function patchCount(samples: number, patchHop: number): number {
  const frames = samples < N_FFT ? 0 : Math.floor((samples - N_FFT) / HOP_LENGTH) + 1;
  return frames < PATCH_FRAMES ? 0 : Math.floor((frames - PATCH_FRAMES) / patchHop) + 1;
}

/** Slaney mel scale (librosa `hz_to_mel(htk=False)`): linear below 1 kHz, logarithmic above. */
export function hzToMel(hz: number): number {
  const fSp = 200 / 3;
  const minLogHz = 1000;
  const minLogMel = minLogHz / fSp;
  const logStep = Math.log(6.4) / 27;
  return hz >= minLogHz ? minLogMel + Math.log(hz / minLogHz) / logStep : hz / fSp;
}

export function melToHz(mel: number): number {
  const fSp = 200 / 3;
  const minLogHz = 1000;
  const minLogMel = minLogHz / fSp;
  const logStep = Math.log(6.4) / 27;
  return mel >= minLogMel ? minLogHz * Math.exp(logStep * (mel - minLogMel)) : fSp * mel;
}

/** Triangular filters stored sparsely: band b covers FFT bins start[b] .. start[b]+length[b]-1. */
export interface MelFilterbank {
  nMels: number;
  nBins: number;
  start: Int32Array;
  length: Int32Array;
  /** Weights of band b at offset[b] .. offset[b]+length[b]-1. */
  offset: Int32Array;
  weights: Float64Array;
}

/** librosa.filters.mel(sr, n_fft, n_mels, fmin, fmax, htk=False, norm='slaney'), without the zeros. */
export function melFilterbank(
  sr = MEL_SAMPLE_RATE,
  nFft = N_FFT,
  nMels = N_MELS,
  fMin = 0,
  fMax = F_MAX,
): MelFilterbank {
  const nBins = nFft / 2 + 1;
  const fftFreqs = Float64Array.from({ length: nBins }, (_, k) => (k * sr) / nFft);
  const melMin = hzToMel(fMin);
  const melMax = hzToMel(fMax);
  const melF = Float64Array.from({ length: nMels + 2 }, (_, i) =>
    melToHz(melMin + ((melMax - melMin) * i) / (nMels + 1)),
  );
  const start = new Int32Array(nMels);
  const length = new Int32Array(nMels);
  const offset = new Int32Array(nMels);
  const all: number[] = [];
  for (let b = 0; b < nMels; b++) {
    const lo = melF[b],
      mid = melF[b + 1],
      hi = melF[b + 2];
    const enorm = 2 / (hi - lo); // Slaney normalisation: constant energy per band
    let first = -1;
    const row: number[] = [];
    for (let k = 0; k < nBins; k++) {
      const w = Math.max(0, Math.min((fftFreqs[k] - lo) / (mid - lo), (hi - fftFreqs[k]) / (hi - mid)));
      if (w > 0) {
        if (first < 0) first = k;
        // Keep interior zeros (none occur for triangles, but stay exact if they did).
        while (first + row.length < k) row.push(0);
        row.push(w * enorm);
      }
    }
    start[b] = Math.max(first, 0);
    length[b] = row.length;
    offset[b] = all.length;
    all.push(...row);
  }
  return { nMels, nBins, start, length, offset, weights: Float64Array.from(all) };
}

export interface LogMelOptions {
  /** Frames between patch starts: 187 = no overlap (AudioMuse-AI, default), 93 = Essentia's default. */
  patchHop?: number;
  /** Keep every n-th patch only (the fast profile): frames no kept patch covers are never transformed. */
  patchStride?: number;
}

/**
 * Streaming log-mel patcher. `push(chunk)` returns the patches completed by that chunk, each a
 * Float32Array of PATCH_FRAMES × N_MELS values laid out [frame][band] (the model's [187, 96] input).
 * Frames that do not fill a last patch are dropped, as in the reference.
 */
export class LogMelPatcher {
  readonly patchHop: number;
  readonly patchStride: number;
  private readonly fft = new RealPowerSpectrumPlan(N_FFT);
  private readonly window = hannWindow(N_FFT);
  private readonly bank = melFilterbank();
  private readonly spectrum = new Float64Array(N_FFT / 2 + 1);
  private readonly rows = new Float32Array(PATCH_FRAMES * N_MELS); // frames of the next patch to emit
  private rowCount = 0;
  private patchStart = 0; // frame index where the next patch to emit starts
  private pending = new Float32Array(0); // samples from the next frame's start onwards (< N_FFT)
  private frameIndex = 0;
  private patchTotal = 0;
  private transformedTotal = 0;

  constructor(opts: LogMelOptions = {}) {
    const hop = opts.patchHop ?? PATCH_FRAMES;
    if (!Number.isInteger(hop) || hop < 1 || hop > PATCH_FRAMES)
      throw new RangeError(`patchHop must be an integer in 1..${PATCH_FRAMES}, got ${hop}`);
    const stride = opts.patchStride ?? 1;
    if (!Number.isInteger(stride) || stride < 1)
      throw new RangeError(`patchStride must be an integer ≥ 1, got ${stride}`);
    this.patchHop = hop;
    this.patchStride = stride;
  }

  /** Patches emitted so far. */
  get patches(): number {
    return this.patchTotal;
  }
  /** Frames transformed so far (fewer than the signal holds when patches are skipped). */
  get transformed(): number {
    return this.transformedTotal;
  }

  push(chunk: Float32Array): Float32Array[] {
    let data = chunk;
    if (this.pending.length) {
      data = new Float32Array(this.pending.length + chunk.length);
      data.set(this.pending, 0);
      data.set(chunk, this.pending.length);
    }
    const out: Float32Array[] = [];
    let off = 0;
    for (; off + N_FFT <= data.length; off += HOP_LENGTH, this.frameIndex++) {
      if (this.frameIndex < this.patchStart) continue; // between kept patches: no FFT at all
      this.computeFrame(data, off, this.rowCount * N_MELS);
      this.transformedTotal++;
      if (++this.rowCount === PATCH_FRAMES) {
        out.push(this.rows.slice());
        this.patchTotal++;
        // The next kept patch may overlap this one (hop < 187): keep the shared frames.
        const advance = this.patchHop * this.patchStride;
        this.patchStart += advance;
        const shared = Math.max(0, PATCH_FRAMES - advance);
        this.rows.copyWithin(0, (PATCH_FRAMES - shared) * N_MELS);
        this.rowCount = shared;
      }
    }
    // Copy (not a view) so a caller's large chunk buffer is not kept alive by the tail.
    this.pending = data.slice(Math.min(off, data.length));
    return out;
  }

  private computeFrame(data: Float32Array, off: number, rowOffset: number): void {
    const { window, spectrum, rows } = this;
    this.fft.compute(data, off, window, spectrum);
    const { start, length, offset, weights } = this.bank;
    for (let b = 0; b < N_MELS; b++) {
      let sum = 0;
      const s = start[b],
        o = offset[b],
        n = length[b];
      for (let j = 0; j < n; j++) sum += weights[o + j] * spectrum[s + j];
      rows[rowOffset + b] = Math.log(1 + 10000 * sum) * Math.LOG10E; // log10, ≈ 30 % cheaper this way
    }
  }
}
