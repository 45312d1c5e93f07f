// Read model of past and current runs (library analyses and clusterings) for the web API: one list of both
// tables, newest first, and a run found by its key (`analysis-12`) or by its workflow id.
import type { Pool } from '../db.ts';

export type RunKindName = 'analysis' | 'clustering';

export interface RunRow {
  /** `<kind>-<row id>`: unique across runs, while workflow ids such as `analyze-library` are reused. */
  id: string;
  kind: RunKindName;
  workflowId: string;
  firstRunId: string;
  status: string;
  error: string | null;
  progress: Record<string, unknown> | null;
  startedAt: string;
  finishedAt: string | null;
}

const COLUMNS = (kind: RunKindName) =>
  `'${kind}-' || id AS id, '${kind}' AS kind, workflow_id AS "workflowId", first_run_id AS "firstRunId", status, error, progress,
   started_at AS "startedAt", finished_at AS "finishedAt", id AS row_id`;
const BOTH = `SELECT ${COLUMNS('analysis')} FROM analysis_runs UNION ALL SELECT ${COLUMNS('clustering')} FROM clustering_runs`;
const strip = ({ row_id: _id, ...r }: RunRow & { row_id?: string }): RunRow => r;

export async function listRuns(
  pool: Pool,
  opts: { limit: number; offset: number; kind?: RunKindName },
): Promise<{ total: number; runs: RunRow[] }> {
  const kinds = opts.kind ? [opts.kind] : ['analysis', 'clustering'];
  const [{ rows }, count] = await Promise.all([
    pool.query<RunRow>(
      `SELECT * FROM (${BOTH}) r WHERE kind = ANY($1) ORDER BY "startedAt" DESC, row_id DESC LIMIT $2 OFFSET $3`,
      [kinds, opts.limit, opts.offset],
    ),
    pool.query<{ n: string }>(`SELECT count(*) AS n FROM (${BOTH}) r WHERE kind = ANY($1)`, [kinds]),
  ]);
  return { total: Number(count.rows[0].n), runs: rows.map(strip) };
}

const RUN_KEY = /^(analysis|clustering)-(\d{1,18})$/;
/** Whether findRun takes this id as a run key (`clustering-7`) rather than a workflow id. */
export const isRunKey = (id: string): boolean => RUN_KEY.test(id);

/** A run by its key (`clustering-7`), or the latest run of a workflow id. */
export async function findRun(pool: Pool, idOrWorkflowId: string): Promise<RunRow | undefined> {
  const m = RUN_KEY.exec(idOrWorkflowId);
  const { rows } = m
    ? await pool.query<RunRow>({
        name: 'find-run-by-key',
        text: `SELECT * FROM (${BOTH}) r WHERE kind = $1 AND row_id = $2`,
        values: [m[1], m[2]],
      })
    : // Named (prepared once per connection): status pollers call this for every answer.
      await pool.query<RunRow>({
        name: 'find-run',
        text: `SELECT * FROM (${BOTH}) r WHERE "workflowId" = $1 ORDER BY "startedAt" DESC, row_id DESC LIMIT 1`,
        values: [idOrWorkflowId],
      });
  return rows[0] && strip(rows[0]);
}

// ---------------------------------------------------------------------------------------------------------
// The lifecycle both long runs share, written once: begin-or-attach, progress, finish. Each kind keeps its
// own table (ids stay stable for playlists and run keys) with kind-specific columns next to the common ones.

const TABLE: Record<RunKindName, string> = { analysis: 'analysis_runs', clustering: 'clustering_runs' };
/** The columns a kind may set besides the common ones (names are code, never input: checked anyway). */
const KIND_COLUMNS: Record<RunKindName, readonly string[]> = {
  analysis: ['albums_total', 'albums_done', 'albums_failed', 'tracks_done', 'tracks_skipped', 'tracks_failed'],
  clustering: [
    'analysis_version',
    'snapshot_track_ids',
    'generation',
    'best_score',
    'best_params',
    'search_state',
    'outcome',
  ],
};
/** JSON columns get their values serialised; the rest are passed as they are. */
const JSON_COLUMNS = new Set(['best_params', 'search_state', 'outcome']);

export type RunStatus = 'running' | 'completed' | 'failed' | 'cancelled';
export type KindColumns = Record<string, unknown>;

export interface RunningRun {
  workflowId: string;
  firstRunId: string;
}

export interface LastRun {
  workflowId: string;
  status: string;
  error: string | null;
  progress: unknown;
}

function checkedColumns(kind: RunKindName, cols: KindColumns): string[] {
  const names = Object.keys(cols);
  for (const n of names) if (!KIND_COLUMNS[kind].includes(n)) throw new Error(`${TABLE[kind]} has no column ${n}`);
  return names;
}

function columns(kind: RunKindName, cols: KindColumns, firstParam: number): { names: string[]; values: unknown[] } {
  const names = checkedColumns(kind, cols);
  const values = names.map((n) => (JSON_COLUMNS.has(n) ? JSON.stringify(cols[n] ?? null) : cols[n]));
  return { names: names.map((n, i) => `${n} = $${firstParam + i}`), values };
}

/**
 * Records the start of a run. Idempotent for the same workflow run (a retried activity gets the same row).
 * When another run of the kind is still marked running, returns it instead of starting.
 */
export async function beginRun(
  pool: Pool,
  kind: RunKindName,
  run: RunningRun & { source: string; params: object; columns?: KindColumns },
): Promise<{ runId: string } | { running: RunningRun }> {
  const extra = checkedColumns(kind, run.columns ?? {});
  try {
    const { rows } = await pool.query<{ id: string }>(
      `INSERT INTO ${TABLE[kind]} (workflow_id, first_run_id, source, params${extra.map((n) => `, ${n}`).join('')})
       VALUES ($1, $2, $3, $4${extra.map((_, i) => `, $${5 + i}`).join('')})
       ON CONFLICT (workflow_id, first_run_id) DO UPDATE SET updated_at = now()
       RETURNING id::text`,
      [run.workflowId, run.firstRunId, run.source, JSON.stringify(run.params), ...extra.map((n) => run.columns![n])],
    );
    return { runId: rows[0].id };
  } catch (err) {
    if ((err as { constraint?: string }).constraint !== `${TABLE[kind]}_one_running`) throw err;
    const running = await runningRun(pool, kind);
    if (!running) return beginRun(pool, kind, run); // it finished in between
    return { running };
  }
}

/**
 * beginRun, attaching to the running run when its workflow still runs and closing it as failed when not
 * (terminated, reset, history deleted), then trying again.
 */
export async function beginOrAttachRun(
  pool: Pool,
  kind: RunKindName,
  run: Parameters<typeof beginRun>[2],
  mayBeRunning: (workflowId: string) => Promise<boolean>,
): Promise<{ runId: string } | { runningWorkflowId: string }> {
  for (;;) {
    const r = await beginRun(pool, kind, run);
    if ('runId' in r) return r;
    if (await mayBeRunning(r.running.workflowId)) return { runningWorkflowId: r.running.workflowId };
    await abandonRun(pool, kind, r.running, 'its workflow is no longer running (terminated or reset)');
  }
}

export async function runningRun(pool: Pool, kind: RunKindName): Promise<RunningRun | undefined> {
  const { rows } = await pool.query<RunningRun>(
    `SELECT workflow_id AS "workflowId", first_run_id AS "firstRunId" FROM ${TABLE[kind]} WHERE status = 'running'`,
  );
  return rows[0];
}

export async function lastRun(pool: Pool, kind: RunKindName): Promise<LastRun | undefined> {
  const { rows } = await pool.query<LastRun>(
    `SELECT workflow_id AS "workflowId", status, error, progress FROM ${TABLE[kind]} ORDER BY started_at DESC, id DESC LIMIT 1`,
  );
  return rows[0];
}

/** Closes a run whose workflow no longer exists or runs. */
export async function abandonRun(pool: Pool, kind: RunKindName, run: RunningRun, why: string): Promise<void> {
  await pool.query(
    `UPDATE ${TABLE[kind]} SET status = 'failed', error = $3, finished_at = now(), updated_at = now()
      WHERE workflow_id = $1 AND first_run_id = $2 AND status = 'running'`,
    [run.workflowId, run.firstRunId, why],
  );
}

/** The progress JSON and the kind's columns of a running run. */
export async function recordRunProgress(
  pool: Pool,
  kind: RunKindName,
  runId: string,
  progress: unknown,
  cols: KindColumns = {},
): Promise<void> {
  const c = columns(kind, cols, 3);
  await pool.query(
    `UPDATE ${TABLE[kind]} SET progress = $2, ${[...c.names, 'updated_at = now()'].join(', ')}
      WHERE id = $1 AND status = 'running'`,
    [runId, JSON.stringify(progress), ...c.values],
  );
}

/** Final status; only a running row changes, so a retried call never rewrites a finished run. */
export async function finishRun(
  pool: Pool,
  kind: RunKindName,
  runId: string,
  end: { status: Exclude<RunStatus, 'running'>; progress: unknown; error?: string; columns?: KindColumns },
): Promise<void> {
  const c = columns(kind, end.columns ?? {}, 5);
  await pool.query(
    `UPDATE ${TABLE[kind]} SET status = $2, progress = $3, error = $4, ${[...c.names, 'finished_at = now(), updated_at = now()'].join(', ')}
      WHERE id = $1 AND status = 'running'`,
    [runId, end.status, JSON.stringify(end.progress), end.error ?? null, ...c.values],
  );
}
