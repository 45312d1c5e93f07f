// SQL of analysis_runs: one row per library analysis, at most one of them running (a partial unique index).
import type { RunCounters } from '../../contracts/analysis.ts';
import type { Pool } from '../db.ts';

export type RunStatus = 'running' | 'completed' | 'failed' | 'cancelled';

export interface RunningAnalysis {
  workflowId: string;
  firstRunId: string;
}

/**
 * Records the start of a run. Idempotent for the same workflow run (a retried activity gets the same row).
 * When another run is still marked running, returns it instead of starting.
 */
export async function beginAnalysisRun(
  pool: Pool,
  run: { workflowId: string; firstRunId: string; source: string; params: object },
): Promise<{ runId: string } | { running: RunningAnalysis }> {
  try {
    const { rows } = await pool.query<{ id: string }>(
      `INSERT INTO analysis_runs (workflow_id, first_run_id, source, params) VALUES ($1, $2, $3, $4)
       ON CONFLICT (workflow_id, first_run_id) DO UPDATE SET updated_at = now()
       RETURNING id::text`,
      [run.workflowId, run.firstRunId, run.source, JSON.stringify(run.params)],
    );
    return { runId: rows[0].id };
  } catch (err) {
    if ((err as { constraint?: string }).constraint !== 'analysis_runs_one_running') throw err;
    const running = await runningAnalysis(pool);
    if (!running) return beginAnalysisRun(pool, run); // it finished in between
    return { running };
  }
}

export async function runningAnalysis(pool: Pool): Promise<RunningAnalysis | undefined> {
  const { rows } = await pool.query<RunningAnalysis>(
    `SELECT workflow_id AS "workflowId", first_run_id AS "firstRunId" FROM analysis_runs WHERE status = 'running'`,
  );
  return rows[0];
}

export interface LastRun {
  workflowId: string;
  status: string;
  error: string | null;
  progress: unknown;
}

export async function lastAnalysisRun(pool: Pool): Promise<LastRun | undefined> {
  const { rows } = await pool.query<LastRun>(
    `SELECT workflow_id AS "workflowId", status, error, progress FROM analysis_runs ORDER BY started_at DESC, id DESC LIMIT 1`,
  );
  return rows[0];
}

/** Closes a run whose workflow no longer exists or runs (terminated, reset, history deleted). */
export async function abandonAnalysisRun(pool: Pool, run: RunningAnalysis, why: string): Promise<void> {
  await pool.query(
    `UPDATE analysis_runs SET status = 'failed', error = $3, finished_at = now(), updated_at = now()
      WHERE workflow_id = $1 AND first_run_id = $2 AND status = 'running'`,
    [run.workflowId, run.firstRunId, why],
  );
}

export async function recordAnalysisProgress(
  pool: Pool,
  runId: string,
  c: RunCounters,
  progress: object,
): Promise<void> {
  await pool.query(
    `UPDATE analysis_runs SET albums_total = $2, albums_done = $3, albums_failed = $4, tracks_done = $5,
       tracks_skipped = $6, tracks_failed = $7, progress = $8, updated_at = now()
     WHERE id = $1 AND status = 'running'`,
    [
      runId,
      c.albumsTotal,
      c.albumsDone,
      c.albumsFailed,
      c.tracksAnalyzed,
      c.tracksSkipped,
      c.tracksFailed,
      JSON.stringify(progress),
    ],
  );
}

/** Final status; only a running row changes, so a retried call never rewrites a finished run. */
export async function finishAnalysisRun(
  pool: Pool,
  runId: string,
  status: Exclude<RunStatus, 'running'>,
  c: RunCounters,
  progress: object,
  error?: string,
): Promise<void> {
  await pool.query(
    `UPDATE analysis_runs SET status = $2, albums_total = $3, albums_done = $4, albums_failed = $5, tracks_done = $6,
       tracks_skipped = $7, tracks_failed = $8, progress = $9, error = $10, finished_at = now(), updated_at = now()
     WHERE id = $1 AND status = 'running'`,
    [
      runId,
      status,
      c.albumsTotal,
      c.albumsDone,
      c.albumsFailed,
      c.tracksAnalyzed,
      c.tracksSkipped,
      c.tracksFailed,
      JSON.stringify(progress),
      error ?? null,
    ],
  );
}
