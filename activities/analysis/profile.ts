// Analysis profiles. `exact` runs MusiCNN on every patch, as the reference does. `fast` runs it on every
// FAST_PATCH_STRIDE-th patch, spread over the whole track (never only its start), and skips the mel work of
// the others; tempo, key and energy still see every sample, so they are identical in both profiles. A short
// track keeps at least FAST_MIN_PATCHES patches (a denser stride): on the Debian test music the worst
// embedding cosine to exact is 0.97 with a plain stride of 4 and 0.987 with this floor
// (docs/analysis.md, "Profiles"). The profile is part of the analysis version: clustering never mixes them.
import type { AnalysisProfile } from '../../lib/config.ts';
import { LogMelPatcher, MEL_SAMPLE_RATE, patchCount } from './mel-spectrogram.ts';

export type { AnalysisProfile };

export const FAST_PATCH_STRIDE = 4;
export const FAST_MIN_PATCHES = 8;

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
