// Workflow `clusterLibrary`: the evolutionary Monte Carlo search as a resumable loop of generations (one
// activity each, on the worker's all-core pool), then the winner's playlists stored, optionally named by an
// LLM, and published. The workflow holds only the small search state; every generation's outcome depends on
// (snapshot, state, options) alone, so a run interrupted anywhere ends with the same playlists.
import {
  CancellationScope,
  ContinueAsNew,
  isCancellation,
  makeContinueAsNewFunc,
  proxyActivities,
  setHandler,
  sleep,
  upsertMemo,
  workflowInfo,
} from '@temporalio/workflow';
import type { ClusteringActivities } from '../activities/clustering.ts';
import type { SearchState } from '../words/search-state.ts';
import type { NamingActivities } from '../activities/naming.ts';
import type { PublishingActivities } from '../activities/publishing.ts';
import { clusteringTaskQueue } from '../words/task-queues.ts';
import {
  clusteringProgressQuery,
  type CarriedClusteringState,
  type ClusterLibraryInput,
  type ClusteringOutcome,
  type ClusteringProgress,
} from '../contracts/clustering.ts';
import { NAMING_RETRY, STEP_RETRY } from './retry-policies.ts';
import { failureDetails, workflowFailure } from './failure-details.ts';

/** Progress goes to PostgreSQL and the memo at most this often. */
const RECORD_EVERY_MS = 10_000;

const {
  beginClusteringRun,
  recordClusteringProgress,
  storeClusteringPlaylists,
  finishClusteringRun,
  releaseClusteringRun,
} = proxyActivities<ClusteringActivities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '1 minute',
  retry: STEP_RETRY,
});
const { publishClusteringPlaylists } = proxyActivities<PublishingActivities>({
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '2 minutes',
  retry: STEP_RETRY,
});
const { nameClusteringPlaylist } = proxyActivities<NamingActivities>({
  startToCloseTimeout: '10 minutes',
  retry: NAMING_RETRY,
});

function initialState(seed: number): SearchState {
  return { version: 1, seed, generation: 0, runs: 0, stale: 0, elites: [], best: null, done: false, stopReason: null };
}

export async function clusterLibrary(input: ClusterLibraryInput = {}): Promise<ClusteringProgress> {
  const { carried, ...request } = input;
  // One generation at a time on the clustering queue: its pool already uses every core.
  const { evolveClusteringGeneration } = proxyActivities<ClusteringActivities>({
    taskQueue: clusteringTaskQueue(workflowInfo().taskQueue),
    startToCloseTimeout: '1 hour',
    heartbeatTimeout: '30 seconds',
    retry: STEP_RETRY,
  });
  let c: CarriedClusteringState | undefined = carried;
  let status: ClusteringProgress['status'] = c ? 'searching' : 'starting';
  let outcome: ClusteringOutcome | undefined;
  let error: string | undefined;
  let runningWorkflowId: string | undefined;

  const snapshot = (): ClusteringProgress => {
    const s = c?.state;
    const rps = c && c.searchMs > 0 ? (s!.runs / c.searchMs) * 1000 : null;
    const left = c ? Math.max(0, c.plan.runs - s!.runs) : null;
    return {
      workflowId: workflowInfo().workflowId,
      status,
      runsDone: s?.runs ?? 0,
      runsTotal: c?.plan.runs ?? null,
      generation: s?.generation ?? 0,
      bestScore: s?.best?.fitness ?? null,
      bestParams: s?.best?.params ?? null,
      bestViable: s?.best?.viable ?? null,
      elites: (s?.elites ?? []).map((e) => ({ params: e.params, fitness: e.fitness, viable: e.viable })),
      runsPerSecond: rps === null ? null : Math.round(rps * 100) / 100,
      etaSeconds: status === 'searching' && rps && left !== null ? Math.round(left / rps) : null,
      stopReason: s?.stopReason ?? null,
      trackCount: c?.plan.trackCount ?? null,
      sizeChanges: c?.plan.sizeChanges ?? [],
      runNumber: c?.runNumber ?? 1,
      startedAt: c ? new Date(c.startedAt).toISOString() : null,
      updatedAt: new Date().toISOString(),
      ...(outcome && { outcome }),
      ...(error !== undefined && { error }),
      ...(runningWorkflowId !== undefined && { runningWorkflowId }),
    };
  };
  setHandler(clusteringProgressQuery, snapshot);

  if (!c) {
    const begun = await beginClusteringRun({
      request,
      workflowId: workflowInfo().workflowId,
      firstRunId: workflowInfo().firstExecutionRunId,
    }).catch((err: unknown) => {
      throw workflowFailure(err);
    });
    if ('runningWorkflowId' in begun) {
      status = 'already_running';
      runningWorkflowId = begun.runningWorkflowId;
      return snapshot();
    }
    c = { plan: begun, state: initialState(begun.seed), startedAt: Date.now(), searchMs: 0, runNumber: 1 };
    status = 'searching';
  }
  const run = c;
  let lastRecord = Date.now();
  const record = async () => {
    lastRecord = Date.now();
    const p = snapshot();
    upsertMemo({ progress: p });
    await recordClusteringProgress({ runId: run.plan.runId, state: run.state, progress: p });
    return p;
  };
  const finish = (final: 'completed' | 'cancelled' | 'failed') =>
    CancellationScope.nonCancellable(async () => {
      status = final;
      const progress = snapshot();
      upsertMemo({ progress });
      await finishClusteringRun({ runId: run.plan.runId, status: final, outcome, progress, error });
    });

  try {
    let generationsHere = 0;
    while (!run.state.done) {
      if (generationsHere >= run.plan.generationsPerRun || workflowInfo().continueAsNewSuggested) {
        const progress = await record(); // the next run's memo starts with it (not carried over by itself)
        await makeContinueAsNewFunc<typeof clusterLibrary>({ memo: { progress } })({
          ...request,
          carried: { ...run, runNumber: run.runNumber + 1 },
        });
      }
      const g = await evolveClusteringGeneration({ runId: run.plan.runId, state: run.state });
      run.state = g.state;
      run.searchMs += g.summary.ms;
      generationsHere++;
      if (Date.now() - lastRecord >= RECORD_EVERY_MS) await record();
    }
    await record();

    status = 'naming';
    const stored = await storeClusteringPlaylists({ runId: run.plan.runId, state: run.state });
    outcome = { ...stored, published: false, missingTracks: 0, namingFailures: 0, leftAlone: 0 };
    if (run.plan.aiProvider !== 'NONE') {
      for (const [i, p] of stored.playlists.entries()) {
        if (p.nameSource === 'kept') continue; // a name people know wins over a new one
        if (i > 0 && run.plan.namingDelaySeconds > 0) await sleep(run.plan.namingDelaySeconds * 1000);
        const named = await nameClusteringPlaylist({
          runId: run.plan.runId,
          playlistId: p.id,
          provider: run.plan.aiProvider,
        });
        if (named.source === 'ai') outcome.playlists[i] = { ...p, name: named.name, nameSource: 'ai' };
        else outcome.namingFailures++;
      }
    }
    if (run.plan.publish) {
      status = 'publishing';
      upsertMemo({ progress: snapshot() });
      const published = await publishClusteringPlaylists({ runId: run.plan.runId });
      outcome = {
        ...outcome,
        published: true,
        missingTracks: published.missingTracks,
        leftAlone: published.leftAlone ?? 0, // absent from results recorded before it was counted
      };
    }
    await releaseClusteringRun({ runId: run.plan.runId });
  } catch (err) {
    if (err instanceof ContinueAsNew) throw err;
    if (isCancellation(err)) {
      await finish('cancelled');
      throw err;
    }
    error = failureDetails(err).message;
    await finish('failed');
    throw workflowFailure(err, 'clustering stopped: ');
  }
  await finish('completed');
  return snapshot();
}
