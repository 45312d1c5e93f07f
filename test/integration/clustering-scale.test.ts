// `clusterLibrary` at scale on a real Temporal dev server: a 50,000-run search whose generation activity runs
// the REAL engine on a small synthetic library held in memory (the other activities mocked, no database)
// continues as new every 50 generations, keeps every run's history far below Temporal's limits, evaluates
// each generation exactly once and in order, and ends with exactly the state of one long in-process
// runSearch with the same seed and options (the independent reference: no Temporal, no JSON round trips).
// Size: generationSize 100 makes the 50,000 runs 500 generations (10 runs of 50): hundreds of generations
// and round trips through the server, while each generation (100 k-means fits of 300 tracks in the 7-d mood
// space) stays short. The default generationSize of 20 would make 2,500 generations, five times the
// per-generation overhead (activity + workflow task on a 2-core machine) for no new coverage.
// SCALE_CLUSTER_RUNS overrides the runs.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, test } from 'node:test';
import { runSearch } from '../../engines/clustering/search.ts';
import type { clusterLibrary } from '../../workflows/cluster-library.ts';
import type { ClusterLibraryInput, ClusteringProgress } from '../../contracts/clustering.ts';
import { syntheticLibrary } from '../helpers/clustering-library.ts';
import { EventType, runHistories } from '../helpers/histories.ts';
import { mockClusteringActivities, prepareMockRun, startMockClusteringWorkers } from '../helpers/mock-clustering.ts';
import { releaseServices, services } from '../helpers/services.ts';

const RUNS = Number(process.env.SCALE_CLUSTER_RUNS ?? 50_000);
const GENERATION = 100;
const PER_RUN = 50;
const GENERATIONS = Math.ceil(RUNS / GENERATION);
/** A fifth of Temporal's hard limit of 51,200 events per history. */
const MAX_EVENTS_PER_RUN = 10_000;

const INPUT: ClusterLibraryInput = {
  algorithm: 'kmeans',
  runs: RUNS,
  generationSize: GENERATION,
  generationsPerRun: PER_RUN,
  seed: 4242,
  featureSpace: 'moods',
  topNMoods: 5,
  numClustersMin: 3,
  numClustersMax: 16,
  pcaComponentsMin: 0,
  pcaComponentsMax: 0,
  minPlaylistSize: 10,
  maxSongsPerArtist: 100,
  maxDistance: 0.5,
  // Every run is evaluated: no early stop.
  earlyStopGenerations: 0,
  publish: false,
  aiProvider: 'NONE',
};

after(releaseServices);

test(
  `${RUNS} runs of the real engine: ${GENERATIONS} generations, continue-as-new, small histories, the in-process search's state`,
  { timeout: 20 * 60_000 },
  async () => {
    const t0 = Date.now();
    const { temporalAddress } = await services();
    // 300 tracks in 6 planted groups whose dominant tags are among the 5 the mood space keeps.
    const { tracks } = syntheticLibrary({
      tracks: 300,
      groups: 6,
      seed: 77,
      tagsPerGroup: 2,
      tagPool: [0, 1, 2, 3, 4],
    });
    const mocks = mockClusteringActivities({ tracks });
    const taskQueue = `test-cluster-scale-${randomUUID()}`;
    const w = await startMockClusteringWorkers({ address: temporalAddress, taskQueue, activities: mocks.activities });
    const { result, histories, workflowSeconds } = await (async () => {
      const tw = Date.now();
      const workflowId = `cluster-scale-${randomUUID()}`;
      const handle = await w.client.workflow.start<typeof clusterLibrary>('clusterLibrary', {
        taskQueue,
        workflowId,
        args: [INPUT],
      });
      const result: ClusteringProgress = await handle.result();
      const workflowSeconds = (Date.now() - tw) / 1000;
      return {
        result,
        workflowSeconds,
        histories: await runHistories(w.client, workflowId, handle.firstExecutionRunId),
      };
    })().finally(() => w.stop());

    // The reference: the same plan's data and options (resolved by the real resolvePlan), one loop in this thread.
    assert.equal(mocks.calls.begin.length, 1, 'the run is begun once, not once per workflow run');
    const [[runId, plan]] = [...mocks.plans];
    const { data, options } = prepareMockRun(tracks, plan);
    assert.equal(options.runs, RUNS);
    assert.equal(options.generationSize, GENERATION);
    assert.equal(options.earlyStopGenerations, 0);
    assert.equal(plan.seed, INPUT.seed);
    const tr = Date.now();
    const reference = await runSearch(data, { ...options, seed: INPUT.seed });
    const referenceSeconds = (Date.now() - tr) / 1000;

    // The workflow's final state is what it handed to storeClusteringPlaylists.
    assert.equal(mocks.calls.stored.length, 1);
    assert.equal(mocks.calls.stored[0].runId, runId);
    const final = mocks.calls.stored[0].state;
    assert.deepEqual(final, reference.state, 'the same state as one long in-process search');
    assert.equal(reference.state.generation, GENERATIONS);
    assert.equal(reference.state.runs, RUNS);
    assert.equal(reference.state.stopReason, 'runs');
    assert.ok(
      reference.state.best && reference.state.best.viable > 0,
      'the search found viable playlists (the comparison is not of empty states)',
    );
    assert.equal(
      reference.state.elites.length,
      options.eliteCount,
      'a full elite pool (14 distinct parameter sets to choose from)',
    );

    // Each generation evaluated once, in order, each from the previous one's state.
    assert.deepEqual(
      mocks.calls.generations.map((g) => g.generation),
      Array.from({ length: GENERATIONS }, (_, k) => k),
      'one generation activity per generation, in order',
    );
    assert.ok(mocks.calls.generations.every((g, k) => g.runId === runId && g.runs === Math.min(RUNS, k * GENERATION)));

    assert.equal(result.status, 'completed');
    assert.equal(result.runsDone, RUNS);
    assert.equal(result.generation, GENERATIONS);
    assert.equal(result.bestScore, reference.state.best.fitness);
    assert.deepEqual(result.bestParams, reference.state.best.params);
    assert.deepEqual(
      mocks.calls.finished.map((f) => f.status),
      ['completed'],
    );
    assert.deepEqual(mocks.calls.released, [{ runId }]);
    assert.equal(mocks.calls.named.length + mocks.calls.published.length, 0, 'no naming, no publishing');

    // Each run's history, following the continue-as-new chain.
    let tasksFailed = 0,
      tasksTimedOut = 0;
    const runs = histories.map(({ history }, k) => {
      const events = history.events ?? [];
      const last = events[events.length - 1].eventType;
      const expected =
        k < histories.length - 1
          ? EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW
          : EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED;
      assert.equal(last, expected, `run ${k + 1}: last event`);
      let generations = 0;
      for (const e of events) {
        if (
          e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED &&
          e.activityTaskScheduledEventAttributes?.activityType?.name === 'evolveClusteringGeneration'
        )
          generations++;
        if (e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED) tasksFailed++;
        if (e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT) tasksTimedOut++;
      }
      return { events: events.length, generations };
    });
    const maxEvents = Math.max(...runs.map((r) => r.events));
    const totalSeconds = (Date.now() - t0) / 1000;
    console.log(
      `cluster scale: ${RUNS} runs, ${GENERATIONS} generations of ${GENERATION} on ${tracks.length} tracks; workflow ${workflowSeconds.toFixed(1)} s, ` +
        `in-process reference ${referenceSeconds.toFixed(1)} s, whole test ${totalSeconds.toFixed(1)} s; ${runs.length} runs, events per run ` +
        `max ${maxEvents}, min ${Math.min(...runs.map((r) => r.events))}; ${mocks.calls.progress.length} progress records; ` +
        `${tasksTimedOut} workflow tasks timed out; best ${JSON.stringify(reference.state.best.params)} fitness ${reference.state.best.fitness.toFixed(4)}`,
    );
    assert.equal(tasksFailed, 0, 'no workflow task failed');
    assert.ok(result.runNumber > 1, 'the workflow continued as new');
    assert.equal(result.runNumber, runs.length, 'runNumber counts the runs');
    assert.equal(runs.length, Math.ceil(GENERATIONS / PER_RUN));
    for (const [k, r] of runs.entries()) {
      assert.ok(r.events < MAX_EVENTS_PER_RUN, `run ${k + 1}: ${r.events} events`);
      assert.ok(r.generations <= PER_RUN, `run ${k + 1}: ${r.generations} generations`);
    }
    assert.equal(
      runs.reduce((n, r) => n + r.generations, 0),
      GENERATIONS,
      'every generation scheduled in exactly one run',
    );
  },
);
