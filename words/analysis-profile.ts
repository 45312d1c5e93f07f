// Analysis profiles: `exact` runs MusiCNN on every patch, `fast` on a spread subset (engines/analysis/profile.ts).
// A word of its own because the configuration, the engine and the analysis version all name it.

export const ANALYSIS_PROFILES = ['exact', 'fast'] as const;
export type AnalysisProfile = (typeof ANALYSIS_PROFILES)[number];

/**
 * What choosing `fast` costs and gains, as measured (docs/analysis.md, Profiles and Performance): the page shows
 * it beside the profile. `playlistChanges` counts tracks whose playlist differs between exact and fast features,
 * against between two seeds of the same clustering on exact features (what the clustering alone moves); null
 * until measured.
 */
export const PROFILE_FACTS: {
  speedUp: number;
  speedUpOn: string;
  playlistChanges: { tracks: number; fastVsExact: number; seedVsSeed: number; measuredOn: string } | null;
} = {
  speedUp: 2.5,
  speedUpOn: '4-minute songs on 2 cores',
  // npm run bench:quality, 2026-12-07 (docs/clustering.md, Quality on the larger set).
  playlistChanges: {
    tracks: 169,
    fastVsExact: 101,
    seedVsSeed: 68,
    measuredOn: '169 tracks of 8 Debian music packages, moods+heads feature space',
  },
};

/** PROFILE_FACTS as one sentence. */
export function profileFactsSentence(facts = PROFILE_FACTS): string {
  const speed = `The fast profile analyses about ${facts.speedUp}× as many songs per hour as exact (${facts.speedUpOn})`;
  const c = facts.playlistChanges;
  if (!c) return `${speed}; playlist changes: measuring.`;
  return `${speed}; ${c.fastVsExact} of ${c.tracks} songs changed playlist between exact and fast features, against ${c.seedVsSeed} of ${c.tracks} between two seeds of the same clustering (${c.measuredOn}).`;
}
