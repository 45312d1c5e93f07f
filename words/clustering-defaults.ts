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
  'coverage',
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
  // Not the original's: the share of the library in playlists of at least the floor (0–1). The mood scores
  // alone rise as clusters split, while the songs of the clusters that fall under the floor are lost.
  coverage: 2,
};

/** Smaller playlists are dropped (MIN_PLAYLIST_SIZE_FOR_TOP_N). */
export const DEFAULT_MIN_PLAYLIST_SIZE = 20;
/** Candidates per generation, one activity (ITERATIONS_PER_BATCH_JOB). */
export const DEFAULT_GENERATION_SIZE = 20;
/** Generations without a better score before the search stops. */
export const DEFAULT_EARLY_STOP_GENERATIONS = 3;
/** Generations per workflow run before continue-as-new: each costs a handful of history events. */
export const GENERATIONS_PER_RUN = 50;

/**
 * The distance filter's default, in units of the clustering's median song-to-centroid distance: a song more
 * than this many times as far from its centroid as the typical song is an outlier. Unlike MAX_DISTANCE (a
 * fraction of the run's largest distance), it means the same in a 7-d mood space and the 200-d embedding.
 */
export const DEFAULT_MAX_DISTANCE_MEDIANS = 3;
/** What the distance filter's number counts: median distances (default) or the run's largest (MAX_DISTANCE). */
export type DistanceUnit = 'median' | 'largest';

/** Why a song of the library is in no playlist of a run. */
export const LEFT_OUT_REASONS = ['noise', 'distance', 'artistCap', 'duplicate', 'smallCluster'] as const;
export type LeftOutReason = (typeof LEFT_OUT_REASONS)[number];
/** A song of a run's library in none of its playlists (tracks.id), and why. */
export interface LeftOutTrack {
  trackId: string;
  reason: LeftOutReason;
}

/** A search setting the library's size changed (engines/clustering/library-size.ts), named as the input spells it. */
export interface SizeChange {
  field: 'minPlaylistSize' | 'numClusters' | 'gmmComponents' | 'dbscanMinSamples';
  from: number | [number, number];
  to: number | [number, number];
}
