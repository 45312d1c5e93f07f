// What the analysis workflows take, carry and report. Shared with client code (CLI, web): one definition of
// the `progress` query, typed on both sides. Workflow-safe: no Node built-ins, no I/O.
import { defineQuery } from '@temporalio/workflow';
import type { InputOf, InputSpec } from './input-spec.ts';

/** What `analyzeLibrary` accepts (every field optional), with the help the API document shows. */
export const ANALYZE_LIBRARY_INPUT = {
  numRecentAlbums: {
    kind: 'int',
    min: 0,
    max: 10_000_000,
    help: 'Most recently added albums to analyse (0 = the whole library)',
  },
  topNMoods: { kind: 'int', min: 1, max: 50, help: 'Mood tags kept per track' },
  maxConcurrentAlbums: { kind: 'int', min: 1, max: 1000, help: 'Albums analysed at the same time' },
  albumsPerRun: { kind: 'int', min: 1, max: 1000, help: 'Albums per workflow run before it continues as new' },
} as const satisfies InputSpec;

export type AnalyzeLibraryInput = InputOf<typeof ANALYZE_LIBRARY_INPUT> & {
  /** Carried across continue-as-new; never set by callers. */
  carried?: CarriedLibraryState;
};

/** Albums started per workflow run before it drains and continues as new (keeps histories small). */
export const ALBUMS_PER_RUN = 500;

/** Every field's value when the request leaves it out (NUM_RECENT_ALBUMS, TOP_N_MOODS, MAX_CONCURRENT_ALBUMS). */
export function analyzeInputDefaults(config: {
  analysis: { numRecentAlbums: number; topNMoods: number; maxConcurrentAlbums: number };
}): CarriedLibraryState['params'] {
  const a = config.analysis;
  return {
    numRecentAlbums: a.numRecentAlbums,
    topNMoods: a.topNMoods,
    maxConcurrentAlbums: a.maxConcurrentAlbums,
    albumsPerRun: ALBUMS_PER_RUN,
  };
}

export interface AlbumRef {
  id: string;
  name: string;
}

export interface AnalyzeAlbumInput {
  source: string;
  albumId: string;
  albumName: string;
  /** Carried across continue-as-new of a very large album. */
  carried?: {
    tracks: { trackId: string; title: string }[];
    tracksTotal: number;
    analyzed: number;
    skipped: number;
    failed: number;
    alreadyStored: number;
  };
}

export interface AlbumResult {
  albumId: string;
  tracksTotal: number;
  analyzed: number;
  skipped: number;
  failed: number;
  /** Tracks an earlier attempt had already stored (a retry after a crash found them done). */
  alreadyStored: number;
}

export interface TrackResult {
  status: 'analyzed' | 'failed' | 'already';
  code?: string;
}

/** One throughput sample (workflow time, counters); a short window of them gives rate and ETA. */
export interface RateSample {
  t: number;
  albums: number;
  tracks: number;
}

export interface CarriedLibraryState {
  runId: string;
  source: string;
  params: Required<Omit<AnalyzeLibraryInput, 'carried'>>;
  startedAt: number;
  /** Next album index to list from the provider, and albums listed but not started yet. */
  cursor: number;
  queue: AlbumRef[];
  listingDone: boolean;
  counters: RunCounters;
  samples: RateSample[];
  runNumber: number;
}

/** The run's counters, as analysis_runs records them. */
export interface RunCounters {
  albumsTotal: number | null;
  albumsDone: number;
  albumsFailed: number;
  tracksAnalyzed: number;
  tracksSkipped: number;
  tracksFailed: number;
}

export interface LibraryProgress extends RunCounters {
  workflowId: string;
  status: 'starting' | 'running' | 'completed' | 'cancelled' | 'failed' | 'already_running';
  source: string | null;
  params: CarriedLibraryState['params'] | null;
  currentAlbums: AlbumRef[];
  /** Tracks analysed per hour over the last RATE_WINDOW_MS; null until there is a window. */
  tracksPerHour: number | null;
  etaSeconds: number | null;
  startedAt: string | null;
  updatedAt: string;
  /** Workflow runs so far (continue-as-new count + 1). */
  runNumber: number;
  error?: string;
  /** Set when this start found another analysis running. */
  runningWorkflowId?: string;
}

export interface AlbumProgress {
  albumId: string;
  albumName: string;
  tracksTotal: number | null;
  analyzed: number;
  skipped: number;
  failed: number;
  inFlight: string[];
}

export const progressQuery = defineQuery<LibraryProgress>('progress');
export const albumProgressQuery = defineQuery<AlbumProgress>('progress');

export const RATE_WINDOW_MS = 10 * 60_000;

/** Adds a sample and keeps those inside the window (plus the newest one before it, as the baseline). */
export function addSample(samples: RateSample[], s: RateSample): RateSample[] {
  const all = [...samples, s];
  let first = 0;
  while (first + 1 < all.length - 1 && all[first + 1].t <= s.t - RATE_WINDOW_MS) first++;
  return all.slice(first).slice(-60);
}

/** Tracks per hour and seconds left, from the sample window (null without two samples a second apart). */
export function rateAndEta(
  samples: RateSample[],
  albumsLeft: number | null,
): { tracksPerHour: number | null; etaSeconds: number | null } {
  if (samples.length < 2) return { tracksPerHour: null, etaSeconds: null };
  const a = samples[0],
    b = samples[samples.length - 1];
  const dt = (b.t - a.t) / 1000;
  if (dt < 1) return { tracksPerHour: null, etaSeconds: null };
  const tracksPerHour = ((b.tracks - a.tracks) / dt) * 3600;
  const albumsPerSecond = (b.albums - a.albums) / dt;
  const etaSeconds =
    albumsLeft === null
      ? null
      : albumsLeft === 0
        ? 0
        : albumsPerSecond > 0
          ? Math.round(albumsLeft / albumsPerSecond)
          : null;
  return { tracksPerHour: Math.round(tracksPerHour), etaSeconds };
}
