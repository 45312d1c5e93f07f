// TempoTracker on synthetic rhythms whose tempo is known by construction. A result outside ±2 BPM
// (which includes every octave error) fails.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InsufficientAudioError, TempoTracker } from '../../engines/analysis/tempo.ts';
import { SR, clickTrack, drumLoop, drumPattern, mixInto, pad, pushInChunks, scaled } from './analysis-dsp-synth.ts';

const SECONDS = 30;
const tempoOf = (x: Float32Array, chunk = x.length) => {
  const t = new TempoTracker();
  pushInChunks(t, x, chunk);
  return t.result();
};
const near = (got: number, want: number, tol = 2) =>
  assert.ok(Math.abs(got - want) <= tol, `expected ${want} ± ${tol} BPM, got ${got.toFixed(2)}`);

for (const bpm of [70, 100, 128, 150]) {
  test(`click track at ${bpm} BPM`, () => near(tempoOf(clickTrack(bpm, SECONDS)), bpm));
  test(`kick/snare with eighth-note hi-hats at ${bpm} BPM`, () => near(tempoOf(drumLoop(bpm, SECONDS)), bpm));
}

test('sixteenth-note hi-hats do not double the tempo (100 and 128 BPM)', () => {
  near(tempoOf(drumLoop(100, SECONDS, { hatDivision: 4 })), 100);
  near(tempoOf(drumLoop(128, SECONDS, { hatDivision: 4 })), 128);
});

test('swung hi-hats (triplet feel) keep the beat (96 and 128 BPM)', () => {
  near(tempoOf(drumLoop(96, SECONDS, { swing: 1 / 6 })), 96);
  near(tempoOf(drumLoop(128, SECONDS, { swing: 1 / 6 })), 128);
});

test('accented clicks (one strong beat in four) are not read as the bar rate', () => {
  near(tempoOf(clickTrack(120, SECONDS, 4)), 120);
  near(tempoOf(clickTrack(84, SECONDS, 4)), 84);
});

test('other grooves keep their beat: waltz, half-time, hip-hop, four-on-the-floor', () => {
  near(tempoOf(drumPattern(90, ['X.H.Y.H.Y.H.'], SECONDS)), 90); // 3/4, kick on 1
  near(tempoOf(drumPattern(150, ['X.H.Y.H.Y.H.'], SECONDS)), 150);
  near(tempoOf(drumPattern(80, ['XhHhHhHhYhHhHhHh'], SECONDS)), 80); // snare on 3, sixteenth hats
  near(tempoOf(drumPattern(90, ['X.H.Y.HKH.XKY.H.'], SECONDS)), 90); // syncopated kicks
  near(tempoOf(drumPattern(124, ['XhHhXhHhXhHhXhHh'], SECONDS)), 124); // kick on every beat
});

test('a loud sustained pad under quiet clicks does not hide the beat', () => {
  for (const bpm of [72, 110]) {
    const x = mixInto(pad([48, 55, 64, 67, 71], SECONDS, 0.12), clickTrack(bpm, SECONDS), 0.3);
    near(tempoOf(x), bpm);
  }
});

test('sub-frame precision: tempos between onset frames are resolved to 0.25 BPM', () => {
  // at 62.5 envelope frames/s one frame of period is ±2 BPM here; only interpolation gets below that
  for (const bpm of [97.3, 123.4, 141.7]) near(tempoOf(drumLoop(bpm, SECONDS)), bpm, 0.25);
});

test('tempos above 200 BPM are folded by halving', () => {
  near(tempoOf(clickTrack(230, SECONDS)), 115);
});

test('gain does not matter: the same loop at −30 dB gives the same tempo', () => {
  const x = drumLoop(118, 20);
  near(tempoOf(scaled(x, -30)), tempoOf(x), 0.01);
});

test('streaming is exact: chunks of 1, 1000 and all samples give identical envelopes and tempo', () => {
  const x = mixInto(drumLoop(104, 12), pad([50, 57, 62], 12, 0.05));
  const run = (chunk: number) => {
    const t = new TempoTracker();
    pushInChunks(t, x, chunk);
    return { env: t.onsetEnvelope(), bpm: t.result() };
  };
  const whole = run(x.length);
  for (const chunk of [1, 1000, 777]) assert.deepEqual(run(chunk), whole);
});

test('too little or silent audio throws InsufficientAudioError', () => {
  assert.throws(() => new TempoTracker().result(), InsufficientAudioError);
  assert.throws(() => tempoOf(clickTrack(120, 4)), /at least 5 s/);
  assert.throws(() => tempoOf(new Float32Array(SR * 20)), /no onsets/);
});

test('bad options and input are rejected with clear errors', () => {
  assert.throws(() => new TempoTracker({ sampleRate: 4000 }), /sampleRate/);
  assert.throws(() => new TempoTracker().push(new Int16Array(4) as unknown as Float32Array), /Float32Array/);
});

test('other sample rates: 22.05 kHz input gives the same tempo', () => {
  // resample a 16 kHz loop by linear interpolation; the detector is configured with the new rate
  const x = drumLoop(126, 20);
  const ratio = 22050 / SR;
  const y = Float32Array.from({ length: Math.floor(x.length * ratio) }, (_, i) => {
    const p = i / ratio,
      k = Math.floor(p),
      f = p - k;
    return x[k] * (1 - f) + (x[k + 1] ?? 0) * f;
  });
  const t = new TempoTracker({ sampleRate: 22050 });
  t.push(y);
  near(t.result(), 126);
});
