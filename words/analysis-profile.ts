// Analysis profiles: `exact` runs MusiCNN on every patch, `fast` on a spread subset (engines/analysis/profile.ts).
// A word of its own because the configuration, the engine and the analysis version all name it.

export const ANALYSIS_PROFILES = ['exact', 'fast'] as const;
export type AnalysisProfile = (typeof ANALYSIS_PROFILES)[number];
