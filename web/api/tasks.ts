// A run as the API reports it (the original's task status: task_id, task_type, state, progress %), built from
// Temporal (is it running? its live progress by query) and PostgreSQL (what a finished run recorded).
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { QueryDefinition } from '@temporalio/common';
import type { Pool } from '../../lib/db.ts';
import { ANALYSIS, CLUSTERING, promptProgress, runningRunId, type RunControl } from '../../client/run-control.ts';
import { findRun, isRunKey, type RunRow } from '../../lib/store/runs.ts';
import { albumProgressQuery } from '../../contracts/analysis.ts';
import { ApiError } from './errors.ts';
import { FreshCache } from './fresh-cache.ts';

export interface TaskDeps {
  pool: Pool;
  client?: Client;
  taskQueue: string;
  namespace: string;
  temporalUiUrl?: string;
}

/** Celery-style states the original's scripts poll for, from Temporal's execution status. */
export type TaskState = 'PENDING' | 'PROGRESS' | 'SUCCESS' | 'FAILURE' | 'REVOKED';

export interface TaskStatus {
  task_id: string;
  task_type: 'main_analysis' | 'main_clustering' | 'album_analysis';
  /** The run's key in GET /api/runs (`analysis-12`), once the run has recorded itself. */
  run_id: string | null;
  state: TaskState;
  /** Same as state (the original reports both). */
  status: TaskState;
  running: boolean;
  /** 0–100. */
  progress: number;
  /** The workflow's own progress (while running, the `progress` query, or its memo when the query is late; the
   *  recorded one after). */
  details: Record<string, unknown>;
  temporal_url: string | null;
}

const TYPES: Record<string, TaskStatus['task_type']> = {
  analyzeLibrary: 'main_analysis',
  clusterLibrary: 'main_clustering',
  analyzeAlbum: 'album_analysis',
};
// All three queries are named `progress`; the definitions differ only in their result type.
const QUERIES: Record<TaskStatus['task_type'], QueryDefinition<unknown>> = {
  main_analysis: ANALYSIS.query,
  main_clustering: CLUSTERING.query,
  album_analysis: albumProgressQuery,
};
const STATES: Record<string, TaskState> = {
  RUNNING: 'PROGRESS',
  COMPLETED: 'SUCCESS',
  FAILED: 'FAILURE',
  TIMED_OUT: 'FAILURE',
  TERMINATED: 'FAILURE',
  CANCELLED: 'REVOKED',
  CONTINUED_AS_NEW: 'PROGRESS',
};
const ROW_STATES: Record<string, TaskState> = {
  running: 'PROGRESS',
  completed: 'SUCCESS',
  failed: 'FAILURE',
  cancelled: 'REVOKED',
};

/** Temporal calls of the API give up after 5 s: a down server answers 503 instead of hanging the page. */
export async function withTemporal<T>(deps: { client?: Client }, fn: (client: Client) => Promise<T>): Promise<T> {
  const client = deps.client;
  if (!client) throw new ApiError(503, 'Temporal is not connected yet; runs cannot be started or watched until it is.');
  return client.connection.withDeadline(Date.now() + 5000, () => fn(client));
}

export const runControl = (deps: TaskDeps, client: Client): RunControl => ({
  client,
  pool: deps.pool,
  taskQueue: deps.taskQueue,
});

export function temporalUrl(deps: TaskDeps, workflowId: string): string | null {
  return deps.temporalUiUrl
    ? `${deps.temporalUiUrl}/namespaces/${encodeURIComponent(deps.namespace)}/workflows/${encodeURIComponent(workflowId)}`
    : null;
}

function percent(type: TaskStatus['task_type'], state: TaskState, d: Record<string, unknown>): number {
  if (state === 'SUCCESS') return 100;
  const n = (k: string) => (typeof d[k] === 'number' ? (d[k] as number) : 0);
  const ratio =
    type === 'main_analysis'
      ? (n('albumsDone') + n('albumsFailed')) / n('albumsTotal')
      : type === 'main_clustering'
        ? n('runsDone') / n('runsTotal')
        : (n('analyzed') + n('skipped') + n('failed')) / n('tracksTotal');
  return Number.isFinite(ratio) ? Math.min(100, Math.round(ratio * 1000) / 10) : 0;
}

function fromRow(deps: TaskDeps, row: RunRow): TaskStatus {
  const type = row.kind === 'analysis' ? 'main_analysis' : 'main_clustering';
  const state = ROW_STATES[row.status] ?? 'FAILURE';
  const details = { ...(row.progress ?? {}), status: row.status, ...(row.error && { error: row.error }) };
  return {
    task_id: row.workflowId,
    task_type: type,
    run_id: row.id,
    state,
    status: state,
    running: row.status === 'running',
    progress: percent(type, state, details),
    details,
    temporal_url: temporalUrl(deps, row.workflowId),
  };
}

/**
 * How old a status may be. Pollers (the page's SSE streams, scripts) ask for the same few runs: per app,
 * each id is looked up at most twice a second (a progress query costs the workflow's worker a task).
 */
export const STATUS_FRESH_MS = 500;
const recent = new WeakMap<TaskDeps, FreshCache<TaskStatus | undefined>>();

function statusCache(deps: TaskDeps): FreshCache<TaskStatus | undefined> {
  let cache = recent.get(deps);
  if (!cache) recent.set(deps, (cache = new FreshCache(STATUS_FRESH_MS)));
  return cache;
}

/** The status of a workflow id (its latest run), or of a stored run key; undefined when neither knows it. */
export function taskStatus(deps: TaskDeps, id: string): Promise<TaskStatus | undefined> {
  return statusCache(deps).get(id, () => lookUpTask(deps, id));
}

/** After this app started or cancelled a run, its next status is read afresh. */
export function forgetTask(deps: TaskDeps, id: string): void {
  statusCache(deps).forget(id);
}

/** The workflow's latest execution; undefined when Temporal does not know the id. */
function describe(deps: TaskDeps, workflowId: string) {
  return withTemporal(deps, (client) =>
    client.workflow
      .getHandle(workflowId)
      .describe()
      .catch((err: unknown) => {
        if (err instanceof WorkflowNotFoundError) return undefined;
        throw err;
      }),
  );
}

async function lookUpTask(deps: TaskDeps, id: string): Promise<TaskStatus | undefined> {
  // A workflow id is asked of PostgreSQL and Temporal at once; a run key names the workflow only once read.
  const byKey = isRunKey(id);
  const [stored, described] = await Promise.all([findRun(deps.pool, id), byKey ? undefined : describe(deps, id)]);
  // A run key names one past run, even when its workflow id has been reused since.
  if (stored && stored.id === id && stored.status !== 'running') return fromRow(deps, stored);
  const workflowId = stored?.workflowId ?? id;
  const desc = byKey ? await describe(deps, workflowId) : described;
  if (!desc) return stored && fromRow(deps, stored);
  const type = TYPES[desc.type];
  if (!type) return undefined; // not one of ours
  const running = desc.status.name === 'RUNNING';
  // The stored row describes this execution only if it has the same first run (ids are reused by later runs).
  const firstRunId = desc.raw.workflowExecutionInfo?.firstRunId;
  const row = stored && (!firstRunId || stored.firstRunId === firstRunId) ? stored : undefined;
  if (!running && row && row.status !== 'running') return fromRow(deps, row);
  let details: Record<string, unknown> = row ? { ...(row.progress ?? {}) } : {};
  if (running) {
    const live = await withTemporal(deps, (client) =>
      promptProgress(client.workflow.getHandle(workflowId), QUERIES[type], async () => desc.memo),
    ).catch(() => undefined);
    if (live) details = live as unknown as Record<string, unknown>;
  }
  const state = running && !Object.keys(details).length ? 'PENDING' : (STATES[desc.status.name] ?? 'FAILURE');
  return {
    task_id: workflowId,
    task_type: type,
    run_id: row?.id ?? null,
    state,
    status: state,
    running,
    progress: percent(type, state, details),
    details,
    temporal_url: temporalUrl(deps, workflowId),
  };
}

/** The running analysis and clustering, newest first. */
export async function activeTasks(deps: TaskDeps): Promise<TaskStatus[]> {
  return withTemporal(deps, async (client) => {
    const rc = runControl(deps, client);
    const ids = (await Promise.all([runningRunId(ANALYSIS, rc), runningRunId(CLUSTERING, rc)])).filter(
      (x): x is string => !!x,
    );
    const all = await Promise.all(ids.map((id) => taskStatus(deps, id)));
    return all.filter((t): t is TaskStatus => !!t && t.running);
  });
}
