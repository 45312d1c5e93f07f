// The similarity index of this web process: where it stands (GET /api/index) and a rebuild of its checkpoint
// (POST /api/index/rebuild). The similarity routes share this module's queries, so both see one index.
import { libraryMapScope } from '../../queries/library-map.ts';
import { SimilarityQueries } from '../../queries/similarity.ts';
import { startVectorIndexBuild, vectorIndexBuildProgress } from '../../client/vector-index.ts';
import type { ApiDeps, ApiRoute } from './deps.ts';
import { ApiError } from './errors.ts';

const shared = new WeakMap<ApiDeps, SimilarityQueries>();

/** The app's one SimilarityQueries: the index loaded from its checkpoint, a build asked for when it has none. */
export function similarityQueries(deps: ApiDeps): SimilarityQueries {
  let queries = shared.get(deps);
  if (!queries) {
    const scope = libraryMapScope(deps.config);
    queries = new SimilarityQueries(deps.pool, scope, {
      minTracks: deps.config.similarity.indexMinTracks,
      requestCheckpoint: async (mode) => {
        // Without Temporal (yet) the next look for a checkpoint asks again; the exact scan answers meanwhile.
        if (deps.client) await startVectorIndexBuild(deps.client, deps.taskQueue, { ...scope, mode });
      },
    });
    shared.set(deps, queries);
  }
  return queries;
}

export function indexRoutes(deps: ApiDeps): ApiRoute[] {
  const scope = libraryMapScope(deps.config);
  return [
    {
      method: 'get',
      path: '/api/index',
      operationId: 'vectorIndexStatus',
      tag: 'similarity',
      summary: "This web process's similarity index: tracks, whether it answers, the checkpoint and log seq it holds",
      responses: { 200: 'The index status and the last checkpoint build' },
      async handler() {
        const build = deps.client ? await vectorIndexBuildProgress(deps.client, scope) : undefined;
        return { ...scope, ...(await similarityQueries(deps).indexStatus()), build: build ?? null };
      },
    },
    {
      method: 'post',
      path: '/api/index/rebuild',
      operationId: 'rebuildVectorIndex',
      tag: 'similarity',
      summary: 'Rebuild the similarity index checkpoint from every stored embedding (the rebuildVectorIndex workflow)',
      responses: { 202: 'The workflow started (or the running one)', 503: 'Temporal is not reachable' },
      async handler(ctx) {
        if (!deps.client) throw new ApiError(503, 'Temporal is not connected');
        const workflowId = await startVectorIndexBuild(deps.client, deps.taskQueue, { ...scope, mode: 'rebuild' });
        ctx.status = 202;
        return { workflow_id: workflowId };
      },
    },
  ];
}
