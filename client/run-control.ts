// Start, watch and cancel our long runs (library analysis, clustering) from outside the worker: the CLI and
// the web API. Each kind has a fixed workflow id, so a second start returns the running run; PostgreSQL also
// knows a run started under another id (e.g. by `temporal workflow start`), so that one is found too.
// Imports of workflows/ are the shared query definitions and types only (no workflow code runs here).
import { WorkflowIdConflictPolicy, type Client, type WorkflowHandle } from '@temporalio/client';
import type { QueryDefinition } from '@temporalio/common';
import type { Pool } from '../lib/db.ts';
import { isWorkflowRunning } from '../lib/temporal.ts';
import { lastRun, runningRun, type RunKindName } from '../lib/store/runs.ts';
import { progressQuery, type AnalyzeLibraryInput, type LibraryProgress } from '../contracts/analysis.ts';
import { clusteringProgressQuery, type ClusterLibraryInput, type ClusteringProgress } from '../contracts/clustering.ts';

export interface RunControl {
  client: Client;
  pool: Pool;
  taskQueue: string;
}

export interface RunKind<Input, Progress extends { workflowId: string; status: string }> {
  workflowType: string;
  /** The id our CLI and API start it under. */
  workflowId: string;
  query: QueryDefinition<Progress>;
  /** Its rows in the runs store. */
  kind: RunKindName;
  /** Only for the type: what start() takes. */
  input?: Input;
}

export const ANALYSIS: RunKind<Omit<AnalyzeLibraryInput, 'carried'>, LibraryProgress> = {
  workflowType: 'analyzeLibrary',
  workflowId: 'analyze-library',
  query: progressQuery,
  kind: 'analysis',
};

export const CLUSTERING: RunKind<Omit<ClusterLibraryInput, 'carried'>, ClusteringProgress> = {
  workflowType: 'clusterLibrary',
  workflowId: 'cluster-library',
  query: clusteringProgressQuery,
  kind: 'clustering',
};

/** The workflow id of the run of this kind going on now, if any. */
export async function runningRunId<I, P extends { workflowId: string; status: string }>(
  kind: RunKind<I, P>,
  c: RunControl,
): Promise<string | undefined> {
  const row = await runningRun(c.pool, kind.kind);
  if (row && (await isWorkflowRunning(c.client, row.workflowId))) return row.workflowId;
  // A run whose first activity has not recorded it yet is only known to Temporal.
  return (await isWorkflowRunning(c.client, kind.workflowId)) ? kind.workflowId : undefined;
}

/** Starts a run, or returns the running one (`started: false`). */
export async function startRun<I, P extends { workflowId: string; status: string }>(
  kind: RunKind<I, P>,
  c: RunControl,
  input: I,
): Promise<{ workflowId: string; started: boolean }> {
  const running = await runningRunId(kind, c);
  if (running) return { workflowId: running, started: false };
  const handle = await c.client.workflow.start(kind.workflowType, {
    taskQueue: c.taskQueue,
    workflowId: kind.workflowId,
    args: [input],
    // Two starts racing each other: the second attaches to the first.
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
  });
  return { workflowId: handle.workflowId, started: true };
}

/** Progress of the running run (live, by query), else of the last one (as recorded in PostgreSQL). */
export async function runProgress<I, P extends { workflowId: string; status: string }>(
  kind: RunKind<I, P>,
  c: RunControl,
): Promise<P | undefined> {
  const running = await runningRunId(kind, c);
  if (running) {
    const handle = c.client.workflow.getHandle(running);
    return promptProgress(handle, kind.query, async () => (await handle.describe()).memo);
  }
  const last = await lastRun(c.pool, kind.kind);
  if (!last) return undefined;
  // The row's status wins: a run stopped from outside never wrote its final progress.
  return {
    ...((last.progress ?? {}) as P),
    workflowId: last.workflowId,
    status: last.status,
    ...(last.error && { error: last.error }),
  };
}

/** How long a progress read waits for the workflow's own answer before it answers from the workflow's memo. */
export const QUERY_PATIENCE_MS = 150;

/** Progress as our long runs keep it: `startedAt` names the run (kept across continue-as-new), `updatedAt` its time. */
interface Stamped {
  startedAt?: string | null;
  updatedAt?: string;
}

/** The newest progress answered per workflow id, so an answer from the memo is never older than an earlier one. */
const lastAnswered = new Map<string, Stamped>();
const LAST_ANSWERED_MAX = 64;
const LATE = Symbol('late');

function remember(workflowId: string, p: Stamped): void {
  lastAnswered.delete(workflowId);
  lastAnswered.set(workflowId, p);
  if (lastAnswered.size > LAST_ANSWERED_MAX) lastAnswered.delete(lastAnswered.keys().next().value!);
}

/**
 * A running workflow's progress, answered within QUERY_PATIENCE_MS when it keeps a copy in its memo. A workflow
 * answers a query only between its own tasks, and a busy library analysis always has one in flight (measured at
 * 30,000 albums: p99 0.7–1.2 s); its memo (recorded at the start, every 15 s and at each continue-as-new) is
 * read without a workflow task. A late query gives way to the newer of the memo and the last answer given for
 * this run; `updatedAt` says how old it is. Without a memo (a workflow that keeps none) the query is awaited.
 */
export async function promptProgress<P>(
  handle: WorkflowHandle,
  query: QueryDefinition<P>,
  memo: () => Promise<Record<string, unknown> | undefined>,
): Promise<P> {
  const stop = new AbortController();
  const asked = handle.client.connection.withAbortSignal(stop.signal, () => handle.query(query));
  // Asked at once, so that a late query costs the patience and no more.
  const memoAsked = memo().catch(() => undefined);
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<typeof LATE>((r) => (timer = setTimeout(() => r(LATE), QUERY_PATIENCE_MS)));
  const answer = await Promise.race([asked, late]).finally(() => clearTimeout(timer));
  if (answer !== LATE) {
    remember(handle.workflowId, answer as Stamped);
    return answer;
  }
  const kept = (await memoAsked)?.progress as Stamped | undefined;
  if (!kept?.updatedAt) return asked;
  // Nobody waits for it any more. Cancelled, not left open: a call still retrying when its connection closes
  // (the CLI's exit, the web's shutdown) throws outside any caller. The dev server logs an error line when the
  // worker answers a query whose asker has left.
  stop.abort();
  const before = lastAnswered.get(handle.workflowId);
  const newest =
    before?.updatedAt && before.startedAt === kept.startedAt && before.updatedAt > kept.updatedAt ? before : kept;
  remember(handle.workflowId, newest);
  return newest as P;
}

/** Cancels the running run of this kind; returns its workflow id, or undefined when none runs. */
export async function cancelRun<I, P extends { workflowId: string; status: string }>(
  kind: RunKind<I, P>,
  c: RunControl,
): Promise<string | undefined> {
  const running = await runningRunId(kind, c);
  if (running) await c.client.workflow.getHandle(running).cancel();
  return running;
}
