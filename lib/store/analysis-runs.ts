// analysis_runs' own columns: the counters a library analysis records with its progress (the lifecycle
// itself is the runs store's, lib/store/runs.ts).
import type { RunCounters } from '../../contracts/analysis.ts';
import type { KindColumns } from './runs.ts';

export function counterColumns(c: RunCounters): KindColumns {
  return {
    albums_total: c.albumsTotal,
    albums_done: c.albumsDone,
    albums_failed: c.albumsFailed,
    tracks_done: c.tracksAnalyzed,
    tracks_skipped: c.tracksSkipped,
    tracks_failed: c.tracksFailed,
  };
}
