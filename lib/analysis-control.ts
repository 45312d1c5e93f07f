// Start, watch and cancel the library analysis from outside the worker (CLI, web API). The workflow id is
// fixed (`analyze-library`) so a second start returns the running analysis; PostgreSQL also knows a run
// started under another id (e.g. by `temporal workflow start`), so that one is found too. Imports of
// workflows/ are the shared query definition and types only (no workflow code runs here).
import { WorkflowIdConflictPolicy, type Client } from '@temporalio/client';
import type { Pool } from './db.ts';
import { runningAnalysis } from './store/analysis-runs.ts';
import { progressQuery, type AnalyzeLibraryInput, type LibraryProgress } from '../workflows/analysis-progress.ts';

export const ANALYSIS_WORKFLOW_ID = 'analyze-library';

export interface AnalysisControl {
  client: Client;
  pool: Pool;
  taskQueue: string;
}

async function isRunning(client: Client, workflowId: string): Promise<boolean> {
  try {
    return (await client.workflow.getHandle(workflowId).describe()).status.name === 'RUNNING';
  } catch (err) {
    if ((err as Error).name === 'WorkflowNotFoundError') return false;
    throw err;
  }
}

/** The workflow id of the analysis running now, if any. */
export async function runningAnalysisId(c: AnalysisControl): Promise<string | undefined> {
  const row = await runningAnalysis(c.pool);
  if (row && (await isRunning(c.client, row.workflowId))) return row.workflowId;
  // A run whose first activity has not recorded it yet is only known to Temporal.
  return (await isRunning(c.client, ANALYSIS_WORKFLOW_ID)) ? ANALYSIS_WORKFLOW_ID : undefined;
}

/** Starts an analysis, or returns the running one (`started: false`). */
export async function startAnalysis(c: AnalysisControl, input: Omit<AnalyzeLibraryInput, 'carried'> = {}): Promise<{ workflowId: string; started: boolean }> {
  const running = await runningAnalysisId(c);
  if (running) return { workflowId: running, started: false };
  const handle = await c.client.workflow.start('analyzeLibrary', {
    taskQueue: c.taskQueue,
    workflowId: ANALYSIS_WORKFLOW_ID,
    args: [input],
    // Two starts racing each other: the second attaches to the first.
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
  });
  return { workflowId: handle.workflowId, started: true };
}

/** Progress of the running analysis (live, by query), else of the last one (as recorded in PostgreSQL). */
export async function analysisProgress(c: AnalysisControl): Promise<LibraryProgress | undefined> {
  const running = await runningAnalysisId(c);
  if (running) return c.client.workflow.getHandle(running).query(progressQuery);
  const { rows } = await c.pool.query<{ progress: LibraryProgress | null; workflow_id: string; status: LibraryProgress['status']; error: string | null }>(
    `SELECT progress, workflow_id, status, error FROM analysis_runs ORDER BY started_at DESC, id DESC LIMIT 1`,
  );
  const last = rows[0];
  if (!last) return undefined;
  // The row's status wins: a run killed from outside never wrote its final progress.
  return { ...(last.progress ?? emptyProgress(last.workflow_id)), status: last.status, ...(last.error && { error: last.error }) };
}

/** Cancels the running analysis; returns its workflow id, or undefined when none runs. */
export async function cancelAnalysis(c: AnalysisControl): Promise<string | undefined> {
  const running = await runningAnalysisId(c);
  if (running) await c.client.workflow.getHandle(running).cancel();
  return running;
}

function emptyProgress(workflowId: string): LibraryProgress {
  return {
    workflowId, status: 'starting', source: null, params: null, albumsTotal: null, albumsDone: 0, albumsFailed: 0,
    tracksAnalyzed: 0, tracksSkipped: 0, tracksFailed: 0, currentAlbums: [], tracksPerHour: null, etaSeconds: null,
    startedAt: null, updatedAt: new Date().toISOString(), runNumber: 1,
  };
}
