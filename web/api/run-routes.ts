// Routes that start, watch and cancel runs. Paths and answers follow the original AudioMuse-AI API
// (task_id, state, progress), so its scripts keep working; the task id is the Temporal workflow id.
import { PassThrough } from 'node:stream';
import { ANALYZE_LIBRARY_INPUT, analyzeInputDefaults } from '../../contracts/analysis.ts';
import { CLUSTER_LIBRARY_INPUT, clusterInputDefaults, resolveClusterInput } from '../../contracts/clustering.ts';
import { inputJsonSchema } from '../../contracts/input-spec.ts';
import { ANALYSIS, CLUSTERING, cancelRun, startRun, type RunKind } from '../../client/run-control.ts';
import { findRun, listRuns } from '../../lib/store/runs.ts';
import { leftOutTracks } from '../../lib/store/clustering.ts';
import { LEFT_OUT_REASONS, type LeftOutReason } from '../../words/clustering-defaults.ts';
import type { ApiDeps, ApiRoute } from './deps.ts';
import { ApiError } from './errors.ts';
import {
  activeTasks,
  forgetTask,
  runControl,
  taskStatus,
  temporalUrl,
  withTemporal,
  type TaskStatus,
} from './tasks.ts';

const TASK_ID = {
  type: 'string',
  minLength: 1,
  maxLength: 255,
  description: 'Task id = Temporal workflow id (or a run key such as analysis-12)',
};
const TASK_TYPES: Record<string, ('analysis' | 'clustering')[]> = {
  analysis: ['analysis'],
  main_analysis: ['analysis'],
  clustering: ['clustering'],
  main_clustering: ['clustering'],
  all: ['analysis', 'clustering'],
};
/** Server-sent events: how often the run is looked at, and a comment line that keeps proxies from closing. */
const SSE_POLL_MS = 1000;
const SSE_PING_MS = 15_000;
const TERMINAL = new Set(['SUCCESS', 'FAILURE', 'REVOKED']);

/** The original's form field names that are not simply the snake_case of ours. */
export const CLUSTERING_ALIASES: Record<string, string> = {
  clustering_method: 'algorithm',
  clustering_runs: 'runs',
  ai_model_provider: 'aiProvider',
  gmm_n_components_min: 'gmmComponentsMin',
  gmm_n_components_max: 'gmmComponentsMax',
};

async function start<I, P extends { workflowId: string; status: string }>(
  deps: ApiDeps,
  kind: RunKind<I, P>,
  input: I,
  taskType: string,
) {
  return withTemporal(deps, async (client) => {
    const r = await startRun(kind, runControl(deps, client), input);
    forgetTask(deps, r.workflowId);
    const what = taskType === 'main_analysis' ? 'library analysis' : 'clustering';
    if (!r.started)
      throw new ApiError(409, `a ${what} is already running: ${r.workflowId}`, undefined, { task_id: r.workflowId });
    return {
      task_id: r.workflowId,
      task_type: taskType,
      status: 'queued',
      temporal_url: temporalUrl(deps, r.workflowId),
    };
  });
}

async function knownTask(deps: ApiDeps, id: string): Promise<TaskStatus> {
  const t = await taskStatus(deps, id);
  if (!t) throw new ApiError(404, `no such task: ${id}`, 'taskId');
  return t;
}

export function runRoutes(deps: ApiDeps): ApiRoute[] {
  return [
    {
      method: 'post',
      path: '/api/analysis/start',
      operationId: 'startAnalysis',
      tag: 'runs',
      snakeCase: {},
      summary:
        "Start a library analysis (one at a time). Fields may also be given in the original's snake_case (num_recent_albums, top_n_moods).",
      body: inputJsonSchema(ANALYZE_LIBRARY_INPUT, analyzeInputDefaults(deps.config)),
      responses: { 202: 'Started', 409: 'An analysis is already running; `task_id` names it' },
      example: {
        body: { numRecentAlbums: 100 },
        response: { task_id: 'analyze-library', task_type: 'main_analysis', status: 'queued' },
      },
      async handler(ctx, { body }) {
        ctx.status = 202;
        return start(deps, ANALYSIS, body, 'main_analysis');
      },
    },
    {
      method: 'post',
      path: '/api/clustering/start',
      operationId: 'startClustering',
      tag: 'runs',
      snakeCase: CLUSTERING_ALIASES,
      summary:
        "Start a clustering run: every parameter optional, defaults from the configuration. The original's snake_case names (num_clusters_min, clustering_method …) are accepted too.",
      body: inputJsonSchema(CLUSTER_LIBRARY_INPUT, clusterInputDefaults(deps.config)),
      responses: { 202: 'Started', 409: 'A clustering is already running; `task_id` names it' },
      example: {
        body: { algorithm: 'kmeans', runs: 200, numClustersMin: 10, numClustersMax: 30, publish: true },
        response: { task_id: 'cluster-library', task_type: 'main_clustering', status: 'queued' },
      },
      async handler(ctx, { body }) {
        resolveClusterInput(body, clusterInputDefaults(deps.config)); // min > max against the configured defaults → 400 naming the field
        ctx.status = 202;
        return start(deps, CLUSTERING, body, 'main_clustering');
      },
    },
    {
      method: 'get',
      path: '/api/status/:taskId',
      operationId: 'taskStatus',
      tag: 'runs',
      params: { taskId: TASK_ID },
      summary:
        "Status of a task: state (PENDING, PROGRESS, SUCCESS, FAILURE, REVOKED), progress %, the workflow's progress details (at most 0.5 s old)",
      responses: { 200: 'The task', 404: 'Unknown task id' },
      example: {
        response: {
          task_id: 'analyze-library',
          task_type: 'main_analysis',
          run_id: 'analysis-3',
          state: 'PROGRESS',
          status: 'PROGRESS',
          running: true,
          progress: 42.5,
          details: { albumsTotal: 40, albumsDone: 17 },
          temporal_url: null,
        },
      },
      handler: (_ctx, { params }) => knownTask(deps, params.taskId),
    },
    {
      method: 'post',
      path: '/api/cancel/:taskId',
      operationId: 'cancelTask',
      tag: 'runs',
      params: { taskId: TASK_ID },
      summary: 'Cancel a running task: its albums and activities stop, finished tracks stay stored',
      responses: { 202: 'Cancellation requested', 404: 'Unknown task id', 409: 'The task is not running' },
      example: { response: { task_id: 'analyze-library', status: 'cancelling' } },
      async handler(ctx, { params }) {
        const t = await knownTask(deps, params.taskId);
        if (!t.running)
          throw new ApiError(409, `task ${t.task_id} is not running (${t.state})`, 'taskId', { task_id: t.task_id });
        await withTemporal(deps, (client) => client.workflow.getHandle(t.task_id).cancel());
        forgetTask(deps, t.task_id);
        ctx.status = 202;
        return { task_id: t.task_id, status: 'cancelling' };
      },
    },
    {
      method: 'post',
      path: '/api/cancel_all/:taskType',
      operationId: 'cancelAll',
      tag: 'runs',
      params: { taskType: { type: 'string', enum: Object.keys(TASK_TYPES) } },
      summary: 'Cancel every running task of a type',
      responses: { 200: 'The ids cancelled (empty when nothing ran)' },
      example: { response: { cancelled: ['cluster-library'] } },
      handler: (_ctx, { params }) =>
        withTemporal(deps, async (client) => {
          const rc = runControl(deps, client);
          const ids = await Promise.all(
            TASK_TYPES[params.taskType].map((k) =>
              k === 'analysis' ? cancelRun(ANALYSIS, rc) : cancelRun(CLUSTERING, rc),
            ),
          );
          const cancelled = ids.filter((x): x is string => !!x);
          for (const id of cancelled) forgetTask(deps, id);
          return { cancelled };
        }),
    },
    {
      method: 'get',
      path: '/api/active_tasks',
      operationId: 'activeTasks',
      tag: 'runs',
      summary: 'The running analysis and clustering (an empty list when idle)',
      responses: { 200: 'Running tasks' },
      handler: () => activeTasks(deps),
    },
    {
      method: 'get',
      path: '/api/last_task',
      operationId: 'lastTask',
      tag: 'runs',
      summary: 'The newest task: the running one, else the last finished ({} when there was none)',
      responses: { 200: 'The task, or {}' },
      async handler() {
        const [active] = await activeTasks(deps);
        if (active) return active;
        const {
          runs: [last],
        } = await listRuns(deps.pool, { limit: 1, offset: 0 });
        return last ? knownTask(deps, last.id) : {};
      },
    },
    {
      method: 'get',
      path: '/api/runs',
      operationId: 'listRuns',
      tag: 'runs',
      query: {
        limit: { type: 'integer', minimum: 1, maximum: 200, default: 20 },
        offset: { type: 'integer', minimum: 0, default: 0 },
        kind: { type: 'string', enum: ['analysis', 'clustering'] },
      },
      summary: 'Recent runs of both kinds, newest first, paged; each with a link to it in Temporal Web',
      responses: { 200: '{total, runs}' },
      async handler(_ctx, { query }) {
        const page = await listRuns(deps.pool, {
          limit: (query.limit as number) ?? 20,
          offset: (query.offset as number) ?? 0,
          kind: query.kind as 'analysis' | 'clustering' | undefined,
        });
        return {
          total: page.total,
          runs: page.runs.map((r) => ({ ...r, temporalUrl: temporalUrl(deps, r.workflowId) })),
        };
      },
    },
    {
      method: 'get',
      path: '/api/runs/:id/left_out',
      operationId: 'leftOutSongs',
      tag: 'runs',
      params: { id: TASK_ID },
      query: {
        reason: { type: 'string', enum: [...LEFT_OUT_REASONS] },
        limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
        offset: { type: 'integer', minimum: 0, default: 0 },
      },
      summary:
        "The songs a clustering run put in no playlist and why: noise (DBSCAN), distance (farther from the centroid than the distance filter), artistCap, duplicate, smallCluster (a cluster under the playlist floor); with each reason's count",
      responses: { 200: '{runId, total, counts, tracks}', 404: 'Unknown clustering run' },
      async handler(_ctx, { params, query }) {
        const run = await findRun(deps.pool, params.id);
        if (run?.kind !== 'clustering') throw new ApiError(404, `no clustering run ${params.id}`, 'id');
        const page = await leftOutTracks(deps.pool, run.id.slice('clustering-'.length), {
          reason: query.reason as LeftOutReason | undefined,
          limit: (query.limit as number) ?? 100,
          offset: (query.offset as number) ?? 0,
        });
        return { runId: run.id, ...page };
      },
    },
    {
      method: 'get',
      path: '/api/runs/:id/events',
      operationId: 'runEvents',
      tag: 'runs',
      stream: true,
      params: { id: TASK_ID },
      summary:
        'Server-sent events: `progress` with the task status whenever it changes, then `end` when the run is over',
      responses: { 200: 'text/event-stream', 404: 'Unknown run' },
      async handler(ctx, { params }) {
        let last = await knownTask(deps, params.id);
        const stream = new PassThrough();
        ctx.req.socket.setTimeout(0);
        ctx.set({
          'Content-Type': 'text/event-stream',
          'Cache-Control': 'no-cache, no-transform',
          'X-Accel-Buffering': 'no',
        });
        ctx.status = 200;
        ctx.body = stream;
        const send = (event: string, data: unknown) =>
          stream.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
        send('progress', last);
        let closed = false;
        const stop = () => {
          closed = true;
        };
        ctx.req.on('close', stop);
        void (async () => {
          let lastJson = JSON.stringify(last),
            lastWrite = Date.now();
          while (!closed && !TERMINAL.has(last.state)) {
            await new Promise((r) => setTimeout(r, SSE_POLL_MS));
            if (closed) break;
            try {
              last = await knownTask(deps, params.id);
              const json = JSON.stringify(last);
              if (json !== lastJson) {
                send('progress', last);
                lastJson = json;
                lastWrite = Date.now();
              }
            } catch (err) {
              send('unavailable', {
                error: err instanceof ApiError ? err.message : 'the run cannot be read right now',
              });
              lastWrite = Date.now();
            }
            if (Date.now() - lastWrite > SSE_PING_MS) {
              stream.write(': ping\n\n');
              lastWrite = Date.now();
            }
          }
          if (!closed) send('end', { state: last.state });
          stream.end();
        })();
        return undefined;
      },
    },
  ];
}
