// The FFT behind the mel, tempo and key front ends, against a direct DFT: every size whose passes differ
// (the fused first two stages, pairs of stages, a last unpaired stage).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FFTPlan, RealPowerSpectrumPlan, hannWindow } from '../../engines/analysis/fft.ts';

function dft(re: Float64Array, im: Float64Array): [Float64Array, Float64Array] {
  const n = re.length;
  const R = new Float64Array(n),
    I = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    for (let t = 0; t < n; t++) {
      const a = (-2 * Math.PI * ((k * t) % n)) / n;
      R[k] += re[t] * Math.cos(a) - im[t] * Math.sin(a);
      I[k] += re[t] * Math.sin(a) + im[t] * Math.cos(a);
    }
  }
  return [R, I];
}

// A deterministic pseudo-random signal (no Math.random: a failure must reproduce).
const signal = (n: number, seed: number) =>
  Float64Array.from({ length: n }, (_, i) => Math.sin(i * 12.9898 + seed) * 0.7);

test('complex FFT equals the DFT for sizes 2 to 2048', () => {
  for (let n = 2; n <= 2048; n *= 2) {
    const re = signal(n, 1),
      im = signal(n, 2);
    const [R, I] = dft(re, im);
    new FFTPlan(n).transform(re, im);
    const err = Math.max(...R.map((v, k) => Math.max(Math.abs(v - re[k]), Math.abs(I[k] - im[k]))));
    assert.ok(err < 1e-9 * n, `n ${n}: largest difference ${err}`);
  }
  assert.throws(() => new FFTPlan(12), RangeError);
});

test('real power spectrum equals |DFT|² of the windowed frame, read from an offset', () => {
  for (const n of [4, 8, 64, 512, 2048]) {
    const x = signal(n + 5, 3);
    const w = hannWindow(n);
    const frame = Float64Array.from({ length: n }, (_, i) => x[5 + i] * w[i]);
    const [R, I] = dft(frame, new Float64Array(n));
    const out = new Float64Array(n / 2 + 1);
    new RealPowerSpectrumPlan(n).compute(x, 5, w, out);
    for (let k = 0; k <= n / 2; k++) {
      const want = R[k] ** 2 + I[k] ** 2;
      assert.ok(Math.abs(out[k] - want) <= 1e-9 * (1 + want), `n ${n} bin ${k}: ${out[k]} vs ${want}`);
    }
  }
});
