// The analysis version written with every features row: model files, patch hop, profile and DSP revision. Readers
// (clustering) filter on it so vectors from different models never mix, and a new version re-analyses.
import { createHash } from 'node:crypto';
import { MODEL_MANIFEST } from './model-files.ts';
import type { AnalysisProfile } from '../../words/analysis-profile.ts';
import { profileTag } from './profile.ts';

/** Bump when mel, tempo, key or energy change what they compute. */
export const DSP_REVISION = 1;

export function analysisVersion(opts: { patchHop: number; profile: AnalysisProfile }): string {
  const models = createHash('sha256')
    .update(
      MODEL_MANIFEST.files
        .map((f) => `${f.role}:${f.sha256}`)
        .sort()
        .join('\n'),
    )
    .digest('hex')
    .slice(0, 12);
  return `musicnn-${models}-hop${opts.patchHop}${profileTag(opts.profile)}-dsp${DSP_REVISION}`;
}
