// Analysis profiles. `exact` runs MusiCNN on every patch, as the reference does. `fast` runs it on every
// n-th patch, spread over the whole track (never only its start), and skips the mel work of the others;
// tempo, key and energy still see every sample, so they are identical in both profiles. n is
// FAST_PATCH_STRIDE, smaller for a track too short to keep FAST_MIN_PATCHES that way: on the Debian test
// music a plain stride of 6 drops the worst embedding cosine to exact to 0.945–0.978 (short tracks, depending
// on which patch of each group is kept), while with the floor of 12 it stays ≥ 0.988 for every choice
// (docs/analysis.md, "Profiles"). The profile is part of the analysis version: clustering never mixes them.
import type { AnalysisProfile } from '../../words/analysis-profile.ts';
import { LogMelPatcher, MEL_SAMPLE_RATE, patchCount } from './mel-spectrogram.ts';

export const FAST_PATCH_STRIDE = 6;
export const FAST_MIN_PATCHES = 12;

/** Every n-th patch is analysed; `patches` is how many the track has, null when its length is unknown. */
export function patchStride(profile: AnalysisProfile, patches: number | null): number {
  if (profile === 'exact') return 1;
  if (patches === null) return FAST_PATCH_STRIDE;
  return Math.max(1, Math.min(FAST_PATCH_STRIDE, Math.floor(patches / FAST_MIN_PATCHES)));
}

/** The profile's part of the analysis version ('' for exact, which keeps the version it always had). */
export function profileTag(profile: AnalysisProfile): string {
  return profile === 'exact' ? '' : `-fast${FAST_PATCH_STRIDE}x${FAST_MIN_PATCHES}`;
}

/** The patcher a profile analyses a track of `seconds` (null: unknown length) with. */
export function profilePatcher(profile: AnalysisProfile, patchHop: number, seconds: number | null): LogMelPatcher {
  const patches = seconds === null ? null : patchCount(Math.round(seconds * MEL_SAMPLE_RATE), patchHop);
  return new LogMelPatcher({ patchHop, patchStride: patchStride(profile, patches) });
}
