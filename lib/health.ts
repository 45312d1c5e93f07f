// The state of each part, shared by GET /api/health and `audiomuse health` so both print the same JSON.
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import proto from '@temporalio/proto';
import type { Pool } from './db.ts';
import type { Health, PartHealth } from './health-types.ts';
import { analysisTaskQueue, clusteringTaskQueue } from '../words/task-queues.ts';

export type { Health, PartHealth } from './health-types.ts';

/** A poller seen this recently counts as a live worker (workers long-poll about once a minute at most). */
const POLLER_FRESH_MS = 90_000;

const { TaskQueueType } = proto.temporal.api.enums.v1;

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

async function withTimeout<T>(ms: number, what: string, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
  });
  // The call may still fail after the timeout won (e.g. its connection is closed): that is not a crash.
  p.catch(() => undefined);
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export async function postgresHealth(pool: Pool | undefined): Promise<PartHealth> {
  if (!pool) return { ok: false, error: 'not connected' };
  const t0 = performance.now();
  try {
    const { rows } = await withTimeout(
      3000,
      'PostgreSQL',
      pool.query<{ version: string; schema: number | null }>(
        `SELECT current_setting('server_version') AS version,
              (SELECT max(version) FROM schema_migrations) AS schema`,
      ),
    );
    return {
      ok: true,
      version: rows[0].version,
      schemaVersion: rows[0].schema,
      latencyMs: Math.round(performance.now() - t0),
    };
  } catch (err) {
    return { ok: false, error: message(err) };
  }
}

/** The gRPC calls themselves end at the timeout too, instead of retrying a dead server in the background. */
const deadline = <T>(client: Client, fn: () => Promise<T>) => client.connection.withDeadline(Date.now() + 3000, fn);

export async function temporalHealth(client: Client | undefined, address: string): Promise<PartHealth> {
  if (!client) return { ok: false, address, error: 'not connected' };
  try {
    const info = await withTimeout(
      3000,
      'Temporal',
      deadline(client, () => client.workflowService.getSystemInfo({})),
    );
    return { ok: true, address, namespace: client.options.namespace, serverVersion: info.serverVersion || undefined };
  } catch (err) {
    return { ok: false, address, error: message(err) };
  }
}

export async function workerHealth(client: Client | undefined, taskQueue: string): Promise<PartHealth> {
  if (!client) return { ok: false, taskQueue, error: 'Temporal not connected' };
  try {
    const describeQueue = (name: string, taskQueueType: proto.temporal.api.enums.v1.TaskQueueType) =>
      client.workflowService.describeTaskQueue({
        namespace: client.options.namespace,
        taskQueue: { name },
        taskQueueType,
      });
    const [wf, act, analysis, clustering] = await withTimeout(
      3000,
      'Temporal',
      deadline(client, () =>
        Promise.all([
          describeQueue(taskQueue, TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW),
          describeQueue(taskQueue, TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY),
          describeQueue(analysisTaskQueue(taskQueue), TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY),
          describeQueue(clusteringTaskQueue(taskQueue), TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY),
        ]),
      ),
    );
    const now = Date.now();
    const fresh = (pollers: typeof wf.pollers) =>
      (pollers ?? [])
        .filter((p) => {
          const seconds = Number(p.lastAccessTime?.seconds ?? 0);
          return now - seconds * 1000 < POLLER_FRESH_MS;
        })
        .map((p) => p.identity ?? '');
    const workflowPollers = fresh(wf.pollers);
    const activityPollers = fresh(act.pollers);
    const ok = workflowPollers.length > 0 && activityPollers.length > 0;
    return {
      ok,
      taskQueue,
      workflowPollers,
      activityPollers,
      // Informational: analysis processes (one track each) and clustering workers polling their queues.
      analysisPollers: fresh(analysis.pollers).length,
      clusteringPollers: fresh(clustering.pollers).length,
      ...(ok ? {} : { error: `no worker is polling task queue "${taskQueue}" (start one with \`npm run worker\`)` }),
    };
  } catch (err) {
    return { ok: false, taskQueue, error: message(err) };
  }
}

/**
 * Runs the round-trip workflow: client -> server -> worker -> activity -> Postgres, then deletes the row the
 * activity wrote (probes run this often; the delete also proves the row reached the database).
 */
export async function roundTripHealth(
  client: Client | undefined,
  taskQueue: string,
  pool: Pool | undefined,
  timeoutMs = 15_000,
): Promise<PartHealth> {
  if (!client) return { ok: false, error: 'Temporal not connected' };
  const token = randomUUID();
  const t0 = performance.now();
  try {
    const result = (await client.workflow.execute('roundTripWorkflow', {
      taskQueue,
      workflowId: `health-roundtrip-${token}`,
      args: [token],
      workflowExecutionTimeout: timeoutMs,
    })) as { token: string; worker: string };
    if (result.token !== token)
      return { ok: false, error: `round trip returned token ${result.token}, expected ${token}` };
    const removed = await pool?.query('DELETE FROM round_trips WHERE token = $1', [token]);
    if (removed?.rowCount !== 1) return { ok: false, error: `the round trip's row is not in PostgreSQL` };
    return { ok: true, worker: result.worker, latencyMs: Math.round(performance.now() - t0) };
  } catch (err) {
    return { ok: false, error: message(err) };
  }
}

/** What health needs of a media provider (providers/media/provider.ts implements it). */
export interface MediaHealthSource {
  type: string;
  health(): Promise<{ ok: boolean }>;
}

export async function mediaServerHealth(media: MediaHealthSource): Promise<PartHealth> {
  try {
    const h = await withTimeout(10_000, 'The media server', media.health());
    return { ...h, type: media.type };
  } catch (err) {
    return { ok: false, type: media.type, error: message(err) };
  }
}

export async function checkHealth(opts: {
  pool?: Pool;
  client?: Client;
  temporalAddress: string;
  taskQueue: string;
  roundTrip?: boolean;
  media?: MediaHealthSource;
}): Promise<Health> {
  const [postgres, temporalPart, worker, mediaServer] = await Promise.all([
    postgresHealth(opts.pool),
    temporalHealth(opts.client, opts.temporalAddress),
    workerHealth(opts.client, opts.taskQueue),
    opts.media ? mediaServerHealth(opts.media) : undefined,
  ]);
  const health: Health = {
    ok: postgres.ok && temporalPart.ok && worker.ok,
    postgres,
    temporal: temporalPart,
    worker,
    checkedAt: new Date().toISOString(),
  };
  if (mediaServer) health.mediaServer = mediaServer;
  if (opts.roundTrip) {
    health.roundTrip = await roundTripHealth(opts.client, opts.taskQueue, opts.pool);
    health.ok &&= health.roundTrip.ok;
  }
  return health;
}
