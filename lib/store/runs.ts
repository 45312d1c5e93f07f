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
