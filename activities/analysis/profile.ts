// Analysis profiles. `exact` runs MusiCNN on every patch, as the reference does. `fast` runs it on every
// FAST_PATCH_STRIDE-th patch, spread over the whole track (never only its start), and skips the mel work of
// the others; tempo, key and energy still see every sample, so they are identical in both profiles.
// The profile is part of the analysis version: clustering never mixes the two kinds of vectors.
import type { AnalysisProfile } from '../../lib/config.ts';

export type { AnalysisProfile };

/** Chosen by `npm run bench:analysis` on the Debian test music (docs/analysis.md, "Profiles"). */
export const FAST_PATCH_STRIDE = 3;

export function patchStride(profile: AnalysisProfile): number {
  return profile === 'fast' ? FAST_PATCH_STRIDE : 1;
}
