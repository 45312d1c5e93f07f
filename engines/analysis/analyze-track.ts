// One track, one pass: ffmpeg decodes to 16 kHz mono in chunks; every chunk feeds the log-mel patcher and
// the tempo / key / energy accumulators; complete patches are batched through MusiCNN. Nothing proportional
// to the track length is kept (a 60-minute mix costs the same memory as a 3-minute song).
import type { Readable } from 'node:stream';
import { decodeAudio, SAMPLE_RATE } from './decode-audio.ts';
import { InsufficientAudioError } from './dsp-stream.ts';
import { EnergyMeter } from './energy.ts';
import { AnalysisError } from './errors.ts';
import { KeyDetector } from './key.ts';
import { type LogMelPatcher, MIN_PATCH_SAMPLES, PATCH_FRAMES } from './mel-spectrogram.ts';
import { type MoodScores } from '../../words/vocabulary.ts';
import { type MusicnnModels, PATCH_SIZE, PatchAverager, getMusicnnModels } from './musicnn.ts';
import type { AnalysisProfile } from '../../words/analysis-profile.ts';
import { profilePatcher } from './profile.ts';
import { TempoTracker } from './tempo.ts';

/** Peak below this (−80 dBFS) counts as digital silence: nothing for the models to describe. */
export const SILENCE_PEAK = 1e-4;

export interface AnalyzeOptions {
  /** Folder with the verified model files (config MODELS_DIR). Ignored when `models` is given. */
  modelsDir?: string;
  /** Sessions to use instead of the process-wide ones (benchmarks, tests). */
  models?: MusicnnModels;
  /** Patch hop in mel frames: 187 (default, no overlap, as AudioMuse-AI) or e.g. 93 (Essentia's default). */
  patchHop?: number;
  /** `exact` (default): every patch through MusiCNN; `fast`: a spread subset (see profile.ts). */
  profile?: AnalysisProfile;
  /** Sessions created on first use when `models` is not given (see MusicnnOptions). */
  threads?: number;
  batchSize?: number;
  /** Analyse only the first N seconds. */
  maxSeconds?: number;
  /** Cancels decoding and inference; the call then rejects with AnalysisError('aborted'). */
  signal?: AbortSignal;
  /** Called after every inference batch: a hook for activity heartbeats inside long tracks. */
  onProgress?: (p: { seconds: number; patches: number }) => void;
}

export interface TrackAnalysis {
  /** Length of the track in seconds (the source's, when only part of it was analysed). */
  durationSec: number;
  /** Seconds of audio actually decoded and analysed. */
  analyzedSec: number;
  /** Mean of the per-patch 200-d MusiCNN embeddings (of the patches the profile analyses). */
  embedding: Float32Array;
  /** The 50 MSD tag scores in TAGS order: mean over patches of the model's sigmoid outputs, in [0, 1]. */
  tags: Float32Array;
  /** Positive-class probability of each mood head, averaged over patches. */
  moodHeads: MoodScores;
  /** BPM in 40–200; null when the track is too short for a tempo. */
  tempo: number | null;
  key: string | null;
  scale: 'major' | 'minor' | null;
  keyStrength: number | null;
  /** Loudness on a 0–1 scale (see energy.ts) and the mean RMS level in dBFS. */
  energy: number | null;
  rmsDb: number | null;
  patches: number;
  /** Seconds spent waiting for ffmpeg, in the mel front end, in ONNX, in tempo/key/energy, and overall. */
  timings: { decode: number; mel: number; inference: number; dsp: number; total: number };
}

/**
 * Analyses one track (a file path or a byte stream). Throws AnalysisError with a reason code; setup
 * problems (models_missing, ffmpeg_missing) are flagged by `err.isSetupError`.
 */
export async function analyzeTrack(input: string | Readable, opts: AnalyzeOptions = {}): Promise<TrackAnalysis> {
  const t0 = performance.now();
  const models = opts.models ?? (await modelsFor(opts));
  const patchHop = opts.patchHop ?? PATCH_FRAMES;
  // The fast profile's stride depends on the track's length, which ffmpeg reports before the first chunk.
  let patcher: LogMelPatcher | undefined;
  const makePatcher = (sourceSec: number | null) =>
    profilePatcher(
      opts.profile ?? 'exact',
      patchHop,
      sourceSec === null ? (opts.maxSeconds ?? null) : Math.min(sourceSec, opts.maxSeconds ?? Infinity),
    );
  const tempo = new TempoTracker();
  const key = new KeyDetector();
  const energy = new EnergyMeter();
  const averager = new PatchAverager();
  const batch = new Float32Array(models.batchSize * PATCH_SIZE);
  let inBatch = 0;
  const timings = { decode: 0, mel: 0, inference: 0, dsp: 0, total: 0 };
  let samples = 0;
  let peak = 0;

  const flush = async () => {
    if (inBatch === 0) return;
    const t = performance.now();
    averager.add(await models.run(batch, inBatch));
    timings.inference += (performance.now() - t) / 1000;
    inBatch = 0;
    opts.onProgress?.({ seconds: samples / SAMPLE_RATE, patches: averager.patches });
    if (opts.signal?.aborted) throw new AnalysisError('aborted', 'analysis aborted');
  };

  const decoder = decodeAudio(input, {
    maxSeconds: opts.maxSeconds,
    signal: opts.signal,
    onInfo: (i) => (patcher = makePatcher(i.sourceDurationSec)),
  });
  let info;
  try {
    for (;;) {
      let t = performance.now();
      const next = await decoder.next();
      timings.decode += (performance.now() - t) / 1000;
      if (next.done) {
        info = next.value;
        break;
      }
      const chunk = next.value;
      samples += chunk.length;

      t = performance.now();
      for (let i = 0; i < chunk.length; i++) {
        const a = Math.abs(chunk[i]);
        if (a > peak) peak = a;
      }
      tempo.push(chunk);
      key.push(chunk);
      energy.push(chunk);
      const t2 = performance.now();
      timings.dsp += (t2 - t) / 1000;

      patcher ??= makePatcher(null);
      const patches = patcher.push(chunk);
      timings.mel += (performance.now() - t2) / 1000;
      for (const p of patches) {
        batch.set(p, inBatch * PATCH_SIZE);
        if (++inBatch === models.batchSize) await flush();
      }
    }
  } finally {
    if (!info) await decoder.return(undefined as never); // stopped early: let the decoder kill ffmpeg
  }
  const analyzedSec = samples / SAMPLE_RATE;
  const where = typeof input === 'string' ? input : 'input stream';
  if (peak < SILENCE_PEAK) throw new AnalysisError('silent', `${where}: audio is silent (peak ${toDb(peak)} dBFS)`);
  if (averager.patches + inBatch === 0) {
    throw new AnalysisError(
      'too_short',
      `${where}: ${analyzedSec.toFixed(2)} s of audio; at least ${(MIN_PATCH_SAMPLES / SAMPLE_RATE).toFixed(3)} s are needed`,
    );
  }
  await flush();

  let t = performance.now();
  const tempoBpm = orNull(() => tempo.result());
  const k = orNull(() => key.result());
  const e = orNull(() => energy.result());
  timings.dsp += (performance.now() - t) / 1000;

  const { embedding, tags, moodHeads } = averager.result();
  const truncated = opts.maxSeconds !== undefined && analyzedSec >= opts.maxSeconds - 0.05;
  timings.total = (performance.now() - t0) / 1000;
  return {
    durationSec: truncated ? (info.sourceDurationSec ?? analyzedSec) : analyzedSec,
    analyzedSec,
    embedding,
    tags,
    moodHeads,
    tempo: tempoBpm,
    key: k?.key ?? null,
    scale: k?.scale ?? null,
    keyStrength: k?.strength ?? null,
    energy: e?.energy ?? null,
    rmsDb: e?.rmsDb ?? null,
    patches: averager.patches,
    timings,
  };
}

function modelsFor(opts: AnalyzeOptions): Promise<MusicnnModels> {
  if (!opts.modelsDir) throw new TypeError('analyzeTrack: pass modelsDir (config MODELS_DIR) or models');
  return getMusicnnModels({ modelsDir: opts.modelsDir, threads: opts.threads, batchSize: opts.batchSize });
}

/** A detector that saw too little usable audio answers null instead of failing the whole track. */
function orNull<T>(f: () => T): T | null {
  try {
    return f();
  } catch (err) {
    if (err instanceof InsufficientAudioError) return null;
    throw err;
  }
}

function toDb(x: number): string {
  return x > 0 ? (20 * Math.log10(x)).toFixed(1) : '-inf';
}
