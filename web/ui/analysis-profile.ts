// Above the analysis panel: the configured analysis profile (exact | fast), what fast gains and what it moves,
// and how to switch. The profile is the worker's setting, not a run's: it is part of the analysis version the
// clustering reads, so a per-run choice would analyse songs the clustering then ignores.
import { ANALYSIS_PROFILES, profileFactsSentence } from '../../words/analysis-profile.ts';
import { api } from './api.ts';
import { h } from './dom.ts';
import { showError } from './song-list.ts';

export async function showAnalysisProfile(root: HTMLElement): Promise<void> {
  try {
    const { variables } = await api<{ variables: { name: string; value: string }[] }>('/api/config');
    const profile = variables.find((v) => v.name === 'ANALYSIS_PROFILE')?.value ?? 'exact';
    const other = ANALYSIS_PROFILES.find((p) => p !== profile)!;
    root.replaceChildren(
      'Analysis profile: ',
      h('strong', { 'data-profile': profile }, profile),
      ` (of ${ANALYSIS_PROFILES.join(' | ')}). ${profileFactsSentence()} `,
      `To analyse with ${other}, set ANALYSIS_PROFILE=${other} for the worker and restart it: the next analysis then analyses every song again, and the clustering reads only songs analysed with the configured profile.`,
    );
  } catch (err) {
    showError(root, err);
  }
}
