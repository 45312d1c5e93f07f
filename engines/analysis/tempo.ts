// Global tempo (BPM) of a track from a streamed 16 kHz mono signal.
//
// Onset envelope: the signal is reduced to ~4 kHz by averaging groups of samples (4 at 16 kHz) — a crude
// low-pass on purpose: hi-hat and snare energy above 2 kHz aliases down (about −11 dB) instead of being
// removed, so their onsets still count, and the FFTs are a quarter of the size (on 8 songs and 24 game
// themes the tempo matched that of an 8 kHz front end within 0.25 BPM except one coin-flip octave case).
// It is cut into 32 ms Hann frames every 16 ms, grouped into mel-spaced bands, μ-law compressed, and the
// positive band-wise differences are summed (spectral flux). Only that envelope (62.5 floats per
// second) is kept. result() then builds a normalised autocorrelation of the envelope and scores every
// candidate tempo by the mean autocorrelation at its first four beat multiples (a comb: a half-tempo
// candidate scores low when every other multiple misses, so double-time errors are rare) times a
// log-normal prior around 120 BPM, which settles the remaining tie between a tempo and its half. The
// winner is refined to sub-frame precision by fitting all its multiples up to 6 s at once.
import { FFTPlan, RealPowerSpectrumPlan, hannWindow } from './fft.ts';
import { FrameStream, InsufficientAudioError, checkChunk, checkSampleRate } from './dsp-stream.ts';

export { InsufficientAudioError };

export const TEMPO_MIN_BPM = 40;
export const TEMPO_MAX_BPM = 200;
/** Less audio than this and result() throws InsufficientAudioError. */
export const TEMPO_MIN_SECONDS = 5;

const TARGET_RATE = 4000;
const FRAME_SECONDS = 0.032;
const HOP_SECONDS = 0.016;
const N_BANDS = 24;
const F_MIN = 30;
// μ-law compression log(1 + γ·E/level), with `level` a peak follower of the frame energy: loudness
// differences survive up to ~30 dB below the loudest recent frame (so a kick outweighs a hi-hat, which a
// pure log would equalise) while the envelope stays independent of the track's overall gain.
const GAMMA = 1000;
const LEVEL_RELEASE_SECONDS = 10;
const PRIOR_CENTER_BPM = 120;
const PRIOR_OCTAVES = 1; // std-dev of the log-normal prior, in octaves (librosa's default)
const COMB_BEATS = 4;

export interface TempoOptions {
  /** Input sample rate in Hz (default 16000). */
  sampleRate?: number;
}

export class TempoTracker {
  readonly sampleRate: number;
  /** Onset-envelope frames per second. */
  readonly frameRate: number;
  private readonly frames: FrameStream;
  private readonly spectrum: RealPowerSpectrumPlan;
  private readonly window: Float64Array;
  private readonly power: Float64Array;
  private readonly bandOf: Int32Array;
  private readonly nBands: number;
  private readonly bandEnergy: Float64Array;
  private prevLog: Float64Array;
  private curLog: Float64Array;
  private hasPrev = false;
  private level = 0;
  private readonly levelDecay: number;
  private envelope = new Float32Array(4096);
  private nFrames = 0;
  private readonly factor: number; // decimation: mean of each `factor` input samples
  private acc = 0;
  private accCount = 0;
  private reduced = new Float64Array(0);
  private samples = 0;

  constructor(opts: TempoOptions = {}) {
    this.sampleRate = checkSampleRate(opts.sampleRate ?? 16000, 8000, 'TempoTracker');
    this.factor = 2 ** Math.max(0, Math.round(Math.log2(this.sampleRate / TARGET_RATE)));
    const rate = this.sampleRate / this.factor;
    const size = 2 ** Math.round(Math.log2(FRAME_SECONDS * rate));
    const hop = Math.round(HOP_SECONDS * rate);
    this.frameRate = rate / hop;
    this.levelDecay = Math.exp(-1 / (LEVEL_RELEASE_SECONDS * this.frameRate));
    this.window = hannWindow(size);
    this.spectrum = new RealPowerSpectrumPlan(size);
    this.power = new Float64Array(size / 2 + 1);
    // Each FFT bin goes to one mel-spaced band; empty low bands (narrower than a bin) are dropped.
    const mel = (f: number) => 2595 * Math.log10(1 + f / 700);
    const lo = mel(F_MIN),
      hi = mel(rate / 2);
    const raw = new Int32Array(size / 2 + 1).fill(-1);
    for (let k = 1; k <= size / 2; k++) {
      const f = (k * rate) / size;
      if (f >= F_MIN) raw[k] = Math.min(N_BANDS - 1, Math.floor(((mel(f) - lo) / (hi - lo)) * N_BANDS));
    }
    const used = [...new Set(raw.filter((b) => b >= 0))].sort((a, b) => a - b);
    this.bandOf = raw.map((b) => (b < 0 ? -1 : used.indexOf(b)));
    this.nBands = used.length;
    this.bandEnergy = new Float64Array(this.nBands);
    this.prevLog = new Float64Array(this.nBands);
    this.curLog = new Float64Array(this.nBands);
    this.frames = new FrameStream(size, hop, (frame) => this.onFrame(frame));
  }

  push(chunk: Float32Array): void {
    checkChunk(chunk, 'TempoTracker');
    const need = Math.ceil(chunk.length / this.factor) + 1;
    if (this.reduced.length < need) this.reduced = new Float64Array(Math.max(need, 2 * this.reduced.length));
    const out = this.reduced,
      factor = this.factor,
      scale = 1 / factor,
      len = chunk.length;
    let acc = this.acc,
      count = this.accCount,
      n = 0,
      i = 0;
    // Same summation order whether a group straddles chunks or not, so the result is chunking-exact.
    for (; i < len && count > 0; i++) {
      acc += chunk[i];
      if (++count === factor) {
        out[n++] = acc * scale;
        acc = 0;
        count = 0;
      }
    }
    if (factor === 4) {
      // 16 kHz input: unrolled, same order as below
      for (; i + 4 <= len; i += 4) out[n++] = (chunk[i] + chunk[i + 1] + chunk[i + 2] + chunk[i + 3]) * scale;
    }
    for (; i + factor <= len; i += factor) {
      let s = chunk[i];
      for (let k = 1; k < factor; k++) s += chunk[i + k];
      out[n++] = s * scale;
    }
    for (; i < len; i++) {
      acc += chunk[i];
      count++;
    }
    this.acc = acc;
    this.accCount = count;
    this.samples += chunk.length;
    this.frames.push(out, n);
  }

  private onFrame(frame: Float64Array): void {
    const { power, bandOf, bandEnergy, nBands } = this;
    this.spectrum.compute(frame, 0, this.window, power);
    bandEnergy.fill(0);
    // Normalise so a full-scale sine peaks near 1 in its bin regardless of frame size.
    const norm = 16 / (this.window.length * this.window.length);
    for (let k = 1; k < power.length; k++) {
      const b = bandOf[k];
      if (b >= 0) bandEnergy[b] += power[k] * norm;
    }
    let total = 0;
    for (let b = 0; b < nBands; b++) total += bandEnergy[b];
    this.level = Math.max(total, this.level * this.levelDecay);
    const gain = GAMMA / (this.level + 1e-12);
    const cur = this.curLog,
      prev = this.prevLog;
    let flux = 0;
    for (let b = 0; b < nBands; b++) {
      cur[b] = Math.log(1 + gain * bandEnergy[b]);
      const d = cur[b] - prev[b];
      if (d > 0) flux += d;
    }
    this.curLog = prev;
    this.prevLog = cur;
    const value = this.hasPrev ? flux / nBands : 0;
    this.hasPrev = true;
    if (this.nFrames === this.envelope.length) {
      const grown = new Float32Array(2 * this.envelope.length);
      grown.set(this.envelope);
      this.envelope = grown;
    }
    this.envelope[this.nFrames++] = value;
  }

  /** A copy of the onset envelope so far (one value per 1/frameRate s). */
  onsetEnvelope(): Float32Array {
    return this.envelope.slice(0, this.nFrames);
  }

  /**
   * Tempo in BPM, folded into [40, 200]. Throws InsufficientAudioError for less than 5 s of audio or
   * audio without any onsets (silence, a pure steady tone).
   */
  result(): number {
    const seconds = this.samples / this.sampleRate;
    if (seconds < TEMPO_MIN_SECONDS) {
      throw new InsufficientAudioError(
        `TempoTracker: ${seconds.toFixed(2)} s of audio, need at least ${TEMPO_MIN_SECONDS} s`,
      );
    }
    const env = this.envelope.subarray(0, this.nFrames);
    return estimateTempo(env, this.frameRate);
  }
}

/** Tempo from an onset envelope sampled at `fps` frames per second. */
function estimateTempo(env: ArrayLike<number>, fps: number): number {
  const T = env.length;
  const o = new Float64Array(T);
  // Remove the slowly varying part (local mean over ±0.5 s) so the autocorrelation measures periodicity
  // rather than loudness.
  const w = Math.max(1, Math.round(0.5 * fps));
  const cs = new Float64Array(T + 1);
  for (let t = 0; t < T; t++) cs[t + 1] = cs[t] + env[t];
  for (let t = 0; t < T; t++) {
    const a = Math.max(0, t - w),
      b = Math.min(T, t + w + 1);
    o[t] = env[t] - (cs[b] - cs[a]) / (b - a);
  }
  const mean = cs[T] / Math.max(1, T);
  if (!(mean > 1e-4))
    throw new InsufficientAudioError('TempoTracker: no onsets in the audio (silence or a steady sound)');

  const maxPeriod = (60 * fps) / TEMPO_MIN_BPM;
  const L = Math.min(Math.ceil(COMB_BEATS * maxPeriod) + 2, Math.floor(T / 2));
  const r = autocorrelation(o, L);
  if (!(r[0] > 0)) throw new InsufficientAudioError('TempoTracker: no onsets in the audio (silence or a steady sound)');

  // Coarse search on a 0.2 % log grid: mean of the autocorrelation at the first beat multiples (a comb),
  // so a pulse must recur to score, times the log-normal tempo prior that settles octave ties.
  let best = NaN,
    bestScore = -Infinity;
  for (let bpm = TEMPO_MIN_BPM; bpm <= TEMPO_MAX_BPM * 1.01; bpm *= 1.002) {
    const period = (60 * fps) / bpm;
    let s = 0,
      n = 0;
    for (let k = 1; k <= COMB_BEATS && k * period < L - 1; k++, n++) s += interpolate(r, k * period);
    if (n === 0) continue;
    const prior = Math.exp(-0.5 * (Math.log2(bpm / PRIOR_CENTER_BPM) / PRIOR_OCTAVES) ** 2);
    const score = (s / n) * prior;
    if (score > bestScore) {
      bestScore = score;
      best = bpm;
    }
  }
  if (Number.isNaN(best)) throw new InsufficientAudioError('TempoTracker: audio too short for the tempo range');

  // Refinement within ±2 %: the period whose multiples, up to the longest lag, hit the autocorrelation
  // peaks best. Using all multiples divides the frame quantisation error by their number.
  const p0 = (60 * fps) / best;
  let bestP = p0,
    bestFit = -Infinity;
  for (let p = p0 * 0.98; p <= p0 * 1.02; p += 0.002) {
    let s = 0;
    for (let k = 1; k * p < L - 2; k++) s += interpolate(r, k * p);
    if (s > bestFit) {
      bestFit = s;
      bestP = p;
    }
  }
  let bpm = (60 * fps) / bestP;
  while (bpm > TEMPO_MAX_BPM) bpm /= 2;
  while (bpm < TEMPO_MIN_BPM) bpm *= 2;
  return bpm;
}

/**
 * Autocorrelation for lags 0..L, each lag averaged over its overlap (unbiased), normalised to r[0] = 1.
 * Computed as the inverse FFT of the power spectrum (zero-padded, so it is linear, not circular):
 * O(T log T) instead of O(T·L).
 */
function autocorrelation(o: Float64Array, L: number): Float64Array {
  const T = o.length;
  let n = 2;
  while (n < T + L + 1) n *= 2;
  const plan = new FFTPlan(n);
  const re = new Float64Array(n),
    im = new Float64Array(n);
  re.set(o);
  plan.transform(re, im);
  for (let k = 0; k < n; k++) {
    re[k] = re[k] * re[k] + im[k] * im[k];
    im[k] = 0;
  }
  plan.transform(re, im); // the power spectrum is real and even, so its forward FFT is n × the inverse
  const r = new Float64Array(L + 1);
  for (let l = 0; l <= L; l++) r[l] = re[l] / n / (T - l);
  const r0 = r[0];
  if (r0 > 0) for (let l = 0; l <= L; l++) r[l] /= r0;
  return r;
}

/** Catmull-Rom interpolation of r at fractional index x (1 ≤ x ≤ r.length − 3). */
function interpolate(r: Float64Array, x: number): number {
  const i = Math.floor(x),
    f = x - i;
  const a = r[i - 1],
    b = r[i],
    c = r[i + 1],
    d = r[i + 2];
  return b + 0.5 * f * (c - a + f * (2 * a - 5 * b + 4 * c - d + f * (3 * (b - c) + d - a)));
}
