// Loudness-based energy of a track, as AudioMuse v3.4 computes it: frame RMS (librosa.feature.rms
// framing: 2048-sample frames every 512 samples, centred, zero-padded at both ends) → dBFS →
// clip((dB + 60) / 60, 0, 1) → mean over frames. 0 = silence (or quieter than −60 dBFS), 1 = every frame
// at full-scale RMS. Frames are assembled from 512-sample block sums of squares, so nothing but the last
// four blocks is kept.
import { checkChunk } from './dsp-stream.ts';

export interface EnergyResult {
  /** Mean over frames of clip((rmsDb(frame) + 60) / 60, 0, 1), in [0, 1]. */
  energy: number;
  /** RMS of the whole signal in dBFS (sine of amplitude 1 ≈ −3 dB), floored at −100 dB. */
  rmsDb: number;
}

export interface EnergyOptions {
  /** Frame length in samples (default 2048, librosa's). */
  frameLength?: number;
  /** Hop in samples (default 512); must divide frameLength. */
  hopLength?: number;
}

const AMIN = 1e-5; // librosa.amplitude_to_db's floor: −100 dB
const toDb = (rms: number) => 20 * Math.log10(Math.max(AMIN, rms));
const toEnergy = (rms: number) => Math.min(1, Math.max(0, (toDb(rms) + 60) / 60));

export class EnergyMeter {
  private readonly hop: number;
  private readonly blocksPerFrame: number;
  private readonly frameLength: number;
  private readonly recent: Float64Array; // sums of squares of the last blocksPerFrame complete blocks
  private block = 0; // sum of squares of the block being filled
  private blockFill = 0;
  private completed = 0; // complete blocks so far
  private frames = 0; // frames already folded into energySum
  private energySum = 0;
  private totalSquares = 0;
  private samples = 0;

  constructor(opts: EnergyOptions = {}) {
    this.frameLength = opts.frameLength ?? 2048;
    this.hop = opts.hopLength ?? 512;
    if (
      !Number.isInteger(this.frameLength) ||
      !Number.isInteger(this.hop) ||
      this.hop < 1 ||
      this.frameLength % this.hop !== 0 ||
      (this.frameLength / this.hop) % 2 !== 0
    ) {
      throw new RangeError(
        `EnergyMeter: frameLength (${this.frameLength}) must be an even multiple of hopLength (${this.hop})`,
      );
    }
    this.blocksPerFrame = this.frameLength / this.hop;
    this.recent = new Float64Array(this.blocksPerFrame);
  }

  push(chunk: Float32Array): void {
    checkChunk(chunk, 'EnergyMeter');
    let i = 0;
    while (i < chunk.length) {
      const n = Math.min(chunk.length - i, this.hop - this.blockFill);
      let s = this.block; // summed in sample order whatever the chunking, so results are bit-identical
      for (let j = i; j < i + n; j++) s += chunk[j] * chunk[j];
      this.block = s;
      this.blockFill += n;
      i += n;
      if (this.blockFill === this.hop) this.closeBlock();
    }
    this.samples += chunk.length;
  }

  // Frame t is centred on sample t·hop: it spans blocks t − B/2 … t + B/2 − 1 (B blocks per frame;
  // blocks before the start are zeros), so block b completes frame b − B/2 + 1.
  private closeBlock(): void {
    this.totalSquares += this.block;
    this.recent[this.completed % this.blocksPerFrame] = this.block;
    this.completed++;
    this.block = 0;
    this.blockFill = 0;
    const t = this.completed - this.blocksPerFrame / 2;
    if (t >= 0) {
      this.energySum += toEnergy(Math.sqrt(this.windowSum(t) / this.frameLength));
      this.frames = t + 1;
    }
  }

  /** Sum of squares of frame t from the stored blocks; `partial` is the block in progress (or 0). */
  private windowSum(t: number, partial = 0): number {
    const half = this.blocksPerFrame / 2;
    let s = 0;
    for (let b = t - half; b < t + half; b++) {
      if (b < 0 || b > this.completed) continue;
      s += b === this.completed ? partial : this.recent[b % this.blocksPerFrame];
    }
    return s;
  }

  /**
   * Energy and overall level so far. Never throws: no input (or digital silence) gives
   * { energy: 0, rmsDb: −100 }, like librosa's single all-zero frame.
   */
  result(): EnergyResult {
    // librosa has 1 + floor(n / hop) frames; the ones not yet emitted reach past the pushed samples,
    // where the centred padding is zeros. Computed without changing state, so push() may continue.
    const total = 1 + Math.floor(this.samples / this.hop);
    let sum = this.energySum;
    for (let t = this.frames; t < total; t++)
      sum += toEnergy(Math.sqrt(this.windowSum(t, this.block) / this.frameLength));
    const squares = this.totalSquares + this.block;
    return {
      energy: sum / total,
      rmsDb: toDb(this.samples > 0 ? Math.sqrt(squares / this.samples) : 0),
    };
  }
}
