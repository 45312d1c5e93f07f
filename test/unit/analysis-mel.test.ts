// Log-mel front end against librosa (reference numbers from test/python/mel_reference.py, committed in
// test/fixtures/analysis-mel-reference.json) and the streaming contract of LogMelPatcher.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  HOP_LENGTH,
  LogMelPatcher,
  MIN_PATCH_SAMPLES,
  N_FFT,
  N_MELS,
  PATCH_FRAMES,
  hzToMel,
  melFilterbank,
  melToHz,
} from '../../engines/analysis/mel-spectrogram.ts';
import { repoRoot } from '../shared-paths.ts';

interface Reference {
  sampleRate: number;
  samples: number;
  signalSum: number;
  frames: number;
  frameStep: number;
  filterbank: { start: number; weights: number[] }[];
  logmel: number[][];
}
const ref = JSON.parse(readFileSync(join(repoRoot, 'test/fixtures/analysis-mel-reference.json'), 'utf8')) as Reference;

/** Same formula as fixture_signal() in test/python/mel_reference.py. */
function fixtureSignal(): Float32Array {
  const sr = 16000,
    n = sr * 4,
    f0 = 100,
    f1 = 7000,
    dur = 4;
  const y = new Float32Array(n);
  let x = 12345;
  for (let i = 0; i < n; i++) {
    const t = i / sr;
    x = (1664525 * x + 1013904223) % 4294967296;
    if (i >= n - sr / 4) continue;
    let v = 0.3 * Math.sin(2 * Math.PI * (f0 * t + ((f1 - f0) * t * t) / (2 * dur)));
    if (t < 2) v += 0.2 * Math.sin(2 * Math.PI * 440 * t);
    v += 0.05 * Math.sin(2 * Math.PI * 3000 * t);
    v += (x / 4294967296 - 0.5) * 0.02;
    y[i] = v;
  }
  return y;
}

/** All log-mel frames of a signal ([frame][band]), via patches with hop 1 (each new patch adds one frame). */
function allFrames(y: Float32Array): Float32Array[] {
  const p = new LogMelPatcher({ patchHop: 1 });
  const patches = p.push(y);
  const frames: Float32Array[] = [];
  patches.forEach((patch, i) => {
    if (i === 0) for (let f = 0; f < PATCH_FRAMES; f++) frames.push(patch.subarray(f * N_MELS, (f + 1) * N_MELS));
    else frames.push(patch.subarray((PATCH_FRAMES - 1) * N_MELS));
  });
  return frames;
}

test('the TS fixture signal is the one the Python script analysed', () => {
  const y = fixtureSignal();
  assert.equal(y.length, ref.samples);
  const sum = y.reduce((a, v) => a + v, 0);
  assert.ok(Math.abs(sum - ref.signalSum) < 1e-6, `sum ${sum} vs ${ref.signalSum}`);
});

test('slaney mel scale round-trips and is linear below 1 kHz', () => {
  for (const hz of [0, 200, 999, 1000, 1234.5, 8000]) assert.ok(Math.abs(melToHz(hzToMel(hz)) - hz) < 1e-9);
  assert.ok(Math.abs(hzToMel(500) * 2 - hzToMel(1000)) < 1e-12);
});

test('mel filterbank equals librosa.filters.mel(norm="slaney") within 1e-6 relative', () => {
  const fb = melFilterbank();
  assert.equal(fb.nMels, ref.filterbank.length);
  for (let b = 0; b < fb.nMels; b++) {
    const want = ref.filterbank[b];
    assert.equal(fb.start[b], want.start, `band ${b} start`);
    assert.equal(fb.length[b], want.weights.length, `band ${b} width`);
    for (let j = 0; j < fb.length[b]; j++) {
      const got = fb.weights[fb.offset[b] + j];
      assert.ok(
        Math.abs(got - want.weights[j]) <= 1e-6 * Math.abs(want.weights[j]) + 1e-12,
        `band ${b} bin ${j}: ${got} vs ${want.weights[j]}`,
      );
    }
  }
});

// librosa runs the STFT and the mel product in float32; we work in float64. 2e-4 on log10(1+10⁴x)
// (values 0..≈5 here) is far below any change that matters to the model and far above float32 noise.
const TOLERANCE = 2e-4;

test(`log-mel frames match librosa within ${TOLERANCE}`, () => {
  const frames = allFrames(fixtureSignal());
  assert.equal(frames.length, ref.frames, 'frame count (center=False: 1 + floor((n - 512) / 256))');
  let worst = 0;
  ref.logmel.forEach((want, i) => {
    const got = frames[i * ref.frameStep];
    for (let b = 0; b < N_MELS; b++) worst = Math.max(worst, Math.abs(got[b] - want[b]));
  });
  assert.ok(worst < TOLERANCE, `max |diff| ${worst}`);
  // The silent tail must give exactly log10(1 + 0) = 0.
  assert.ok(frames.at(-1)!.every((v) => v === 0));
});

test('patches are identical however the stream is chunked', () => {
  const y = fixtureSignal();
  const whole = new LogMelPatcher().push(y);
  const p = new LogMelPatcher();
  const pieces: Float32Array[] = [];
  const sizes = [1, 255, 256, 511, 7919, 3, 48127, 1];
  for (let off = 0, i = 0; off < y.length; i++) {
    const n = sizes[i % sizes.length];
    pieces.push(...p.push(y.subarray(off, off + n)));
    off += n;
  }
  assert.equal(pieces.length, whole.length);
  pieces.forEach((patch, i) => assert.deepEqual(patch, whole[i]));
});

test('patch count and layout: non-overlapping by default, hop 93 overlaps', () => {
  const one = fixtureSignal();
  const y = new Float32Array(one.length * 2); // 499 frames
  y.set(one, 0);
  y.set(one, one.length);
  const frames = allFrames(y);
  const plain = new LogMelPatcher().push(y);
  assert.equal(plain.length, Math.floor(frames.length / PATCH_FRAMES));
  assert.equal(plain[0].length, PATCH_FRAMES * N_MELS);
  assert.deepEqual(plain[0].subarray(5 * N_MELS, 6 * N_MELS), frames[5]);
  assert.deepEqual(plain[1].subarray(0, N_MELS), frames[PATCH_FRAMES]);
  const overlap = new LogMelPatcher({ patchHop: 93 }).push(y);
  assert.equal(overlap.length, 1 + Math.floor((frames.length - PATCH_FRAMES) / 93));
  assert.deepEqual(overlap[1].subarray(0, N_MELS), frames[93]);
  assert.deepEqual(overlap[2].subarray((PATCH_FRAMES - 1) * N_MELS), frames[2 * 93 + PATCH_FRAMES - 1]);
  // Exactly enough audio for two overlapping patches gives two.
  assert.equal(
    new LogMelPatcher({ patchHop: 93 }).push(y.subarray(0, N_FFT + (93 + PATCH_FRAMES - 1) * HOP_LENGTH)).length,
    2,
  );
});

test('one sample short of a patch gives no patch; the exact minimum gives one', () => {
  const y = fixtureSignal();
  assert.equal(new LogMelPatcher().push(y.subarray(0, MIN_PATCH_SAMPLES - 1)).length, 0);
  assert.equal(new LogMelPatcher().push(y.subarray(0, MIN_PATCH_SAMPLES)).length, 1);
  assert.throws(() => new LogMelPatcher({ patchHop: 0 }), RangeError);
  assert.throws(() => new LogMelPatcher({ patchHop: 188 }), RangeError);
});

test('patch stride keeps exactly every n-th patch and transforms only the frames those patches cover', () => {
  const one = fixtureSignal();
  const y = new Float32Array(one.length * 4); // ≈ 1,000 frames: 5 plain patches
  for (let i = 0; i < 4; i++) y.set(one, i * one.length);
  for (const patchHop of [PATCH_FRAMES, 93, 1]) {
    const whole = new LogMelPatcher({ patchHop });
    const all = whole.push(y);
    for (const patchStride of [2, 3]) {
      const sampled = new LogMelPatcher({ patchHop, patchStride });
      // Fed in uneven chunks: the skipping must not depend on where the chunks end.
      const got: Float32Array[] = [];
      for (let i = 0; i < y.length; i += 7001) got.push(...sampled.push(y.subarray(i, i + 7001)));
      const want = all.filter((_, i) => i % patchStride === 0);
      assert.equal(got.length, want.length, `hop ${patchHop} stride ${patchStride}: patch count`);
      got.forEach((p, i) => assert.deepEqual(p, want[i], `hop ${patchHop} stride ${patchStride}: patch ${i}`));
      // Kept patches cover min(187, hop·stride) new frames each (plus the first patch's 187).
      const covered = PATCH_FRAMES + (want.length - 1) * Math.min(PATCH_FRAMES, patchHop * patchStride);
      assert.ok(
        sampled.transformed <= covered + PATCH_FRAMES,
        `hop ${patchHop} stride ${patchStride}: ${sampled.transformed} frames transformed, ${covered} needed`,
      );
    }
    assert.equal(whole.transformed, 1 + Math.floor((y.length - N_FFT) / HOP_LENGTH));
  }
  assert.throws(() => new LogMelPatcher({ patchStride: 0 }), RangeError);
});
