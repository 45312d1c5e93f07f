// EnergyMeter: level ordering, silence, streaming exactness, and agreement with librosa (fixture made by
// test/python/analysis_dsp_energy_reference.py).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { EnergyMeter } from '../../engines/analysis/energy.ts';
import { repoRoot } from '../shared-paths.ts';
import { SR, drumLoop, pushInChunks, scaled, sine } from './analysis-dsp-synth.ts';

const measure = (x: Float32Array, chunk = x.length || 1) => {
  const m = new EnergyMeter();
  pushInChunks(m, x, chunk);
  return m.result();
};

test('louder audio gives strictly higher energy (−20, −10, 0 dB)', () => {
  const music = drumLoop(120, 8);
  const peak = music.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  const base = scaled(music, -20 * Math.log10(peak)); // peak-normalise to 0 dBFS
  const e = [-20, -10, 0].map((db) => measure(scaled(base, db)));
  assert.ok(e[0].energy < e[1].energy && e[1].energy < e[2].energy, JSON.stringify(e));
  assert.ok(e[0].energy > 0 && e[2].energy <= 1);
  // rmsDb tracks the gain: 10 dB steps within rounding
  assert.ok(
    Math.abs(e[1].rmsDb - e[0].rmsDb - 10) < 0.01 && Math.abs(e[2].rmsDb - e[1].rmsDb - 10) < 0.01,
    JSON.stringify(e),
  );
});

test('silence and empty input give energy 0 and rmsDb −100', () => {
  assert.deepEqual(measure(new Float32Array(SR * 3)), { energy: 0, rmsDb: -100 });
  assert.deepEqual(new EnergyMeter().result(), { energy: 0, rmsDb: -100 });
});

test('a full-scale sine sits at −3 dBFS RMS, energy (60 − 3.01) / 60 away from the edges', () => {
  const r = measure(sine(440, 10, 0));
  assert.ok(Math.abs(r.rmsDb - 20 * Math.log10(Math.SQRT1_2)) < 0.01, String(r.rmsDb));
  // 313 frames, the first and last two are half empty (centred zero padding): expect slightly below 0.9498
  assert.ok(r.energy < (60 + 20 * Math.log10(Math.SQRT1_2)) / 60 && r.energy > 0.94, String(r.energy));
});

test('streaming is exact: chunks of 1, 1000 and all samples give identical results', () => {
  const x = drumLoop(97, 5.3);
  const whole = measure(x);
  assert.deepEqual(measure(x, 1), whole);
  assert.deepEqual(measure(x, 1000), whole);
  assert.deepEqual(measure(x, 511), whole);
});

test('result() does not consume state: pushing more afterwards continues the same stream', () => {
  const x = drumLoop(110, 4);
  const m = new EnergyMeter();
  m.push(x.subarray(0, 30_001));
  m.result();
  m.push(x.subarray(30_001));
  assert.deepEqual(m.result(), measure(x));
});

test('matches librosa rms → dB → clip → mean (AudioMuse v3.4) on reference signals', () => {
  const fixture = JSON.parse(readFileSync(path.join(repoRoot, 'test/fixtures/analysis-dsp-energy.json'), 'utf8')) as {
    cases: { kind: string; samples: number; energy: number }[];
  };
  assert.ok(fixture.cases.length >= 4);
  for (const c of fixture.cases) {
    const x = new Float32Array(c.samples);
    for (let i = 0; i < c.samples; i++) {
      if (c.kind === 'ramp') x[i] = (i / c.samples) * Math.sin((2 * Math.PI * 440 * i) / SR);
      else if (c.kind === 'burst')
        x[i] =
          i >= Math.floor(c.samples / 3) && i < Math.floor((2 * c.samples) / 3)
            ? 0.5 * Math.sin((2 * Math.PI * 1000 * i) / SR)
            : 0;
      else if (c.kind === 'quiet') x[i] = 10 ** (-50 / 20) * Math.sin((2 * Math.PI * 220 * i) / SR);
      else throw new Error(`unknown fixture signal ${c.kind}`);
    }
    const { energy } = measure(x);
    assert.ok(Math.abs(energy - c.energy) < 1e-5, `${c.kind}/${c.samples}: ${energy} vs librosa ${c.energy}`);
  }
});

test('bad options and input are rejected with clear errors', () => {
  assert.throws(() => new EnergyMeter({ frameLength: 2048, hopLength: 500 }), /frameLength/);
  assert.throws(() => new EnergyMeter().push([0.1, 0.2] as unknown as Float32Array), /Float32Array/);
});
