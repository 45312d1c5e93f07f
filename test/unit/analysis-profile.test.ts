// Analysis profiles: which patches the fast profile analyses, and the version that keeps the two apart.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MEL_SAMPLE_RATE, PATCH_FRAMES, patchCount } from '../../engines/analysis/mel-spectrogram.ts';
import { FAST_MIN_PATCHES, FAST_PATCH_STRIDE, patchStride, profilePatcher } from '../../engines/analysis/profile.ts';
import { analysisVersion } from '../../engines/analysis/version.ts';

test('exact analyses every patch; fast every sixth, denser on short tracks, never fewer than the floor', () => {
  for (const n of [0, 1, 15, 40, 80, 1200, null]) assert.equal(patchStride('exact', n), 1);
  assert.equal(patchStride('fast', null), FAST_PATCH_STRIDE, 'unknown length: the plain stride');
  for (let n = 1; n <= 200; n++) {
    const s = patchStride('fast', n);
    assert.ok(s >= 1 && s <= FAST_PATCH_STRIDE, `${n} patches: stride ${s}`);
    const analysed = Math.ceil(n / s);
    assert.ok(analysed >= Math.min(n, FAST_MIN_PATCHES), `${n} patches: only ${analysed} analysed`);
    if (n >= FAST_PATCH_STRIDE * FAST_MIN_PATCHES) assert.equal(s, FAST_PATCH_STRIDE, `${n} patches`);
  }
});

test('patchCount agrees with the patcher on real lengths', () => {
  for (const seconds of [2.9, 3.008, 45, 143.68, 600]) {
    const samples = Math.round(seconds * MEL_SAMPLE_RATE);
    const y = new Float32Array(samples).map((_, i) => Math.sin(i / 7));
    assert.equal(patchCount(samples, PATCH_FRAMES), profilePatcher('exact', PATCH_FRAMES, null).push(y).length);
    const fast = profilePatcher('fast', PATCH_FRAMES, seconds);
    const n = patchCount(samples, PATCH_FRAMES);
    assert.equal(fast.push(y).length, Math.ceil(n / patchStride('fast', n)), `${seconds} s`);
  }
});

test('the fast profile has its own analysis version; exact keeps the one it always had', () => {
  const exact = analysisVersion({ patchHop: 187, profile: 'exact' });
  const fast = analysisVersion({ patchHop: 187, profile: 'fast' });
  assert.match(exact, /^musicnn-[0-9a-f]{12}-hop187-dsp\d+$/);
  assert.notEqual(fast, exact);
  assert.equal(fast, exact.replace('-hop187-', `-hop187-fast${FAST_PATCH_STRIDE}x${FAST_MIN_PATCHES}-`));
});
