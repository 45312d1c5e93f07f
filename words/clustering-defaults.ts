// The clustering defaults that both the engine and the workflow input speak: the score's weight names and
// default weights (AudioMuse-AI's SCORE_WEIGHT_*, v0.4+) and the search and playlist defaults a request
// falls back to when the configuration has no variable for them. Declared once here.

export const SCORE_WEIGHT_NAMES = [
  'moodDiversity',
  'moodPurity',
  'otherFeatureDiversity',
  'otherFeaturePurity',
  'silhouette',
  'daviesBouldin',
  'calinskiHarabasz',
] as const;
export type MetricName = (typeof SCORE_WEIGHT_NAMES)[number];
export type ScoreWeights = Record<MetricName, number>;

export const DEFAULT_WEIGHTS: ScoreWeights = {
  moodDiversity: 2.0,
  moodPurity: 1.0,
  otherFeatureDiversity: 0,
  otherFeaturePurity: 0,
  silhouette: 0,
  daviesBouldin: 0,
  calinskiHarabasz: 0,
};

/** Smaller playlists are dropped (MIN_PLAYLIST_SIZE_FOR_TOP_N). */
export const DEFAULT_MIN_PLAYLIST_SIZE = 20;
/** Candidates per generation, one activity (ITERATIONS_PER_BATCH_JOB). */
export const DEFAULT_GENERATION_SIZE = 20;
/** Generations without a better score before the search stops. */
export const DEFAULT_EARLY_STOP_GENERATIONS = 3;
/** Generations per workflow run before continue-as-new: each costs a handful of history events. */
export const GENERATIONS_PER_RUN = 50;
