// `analyzeLibrary` at scale on a real Temporal dev server with mocked activities: every album prepared exactly
// once, never more albums in flight than the window, the work spread over runs joined by continue-as-new, and
// every run's history far below Temporal's limits.
// Size: each album is a child workflow with one local activity, about 35 ms of CPU (dev server and worker) on
// this 2-core machine. CI runs the full 20,000-album library (40 runs, ~12 min alone); a developer's `npm test`
// runs 2,000 (4 runs of 500, ~70 s). SCALE_ALBUMS overrides either
// (SCALE_WINDOW sets maxConcurrentAlbums, default 50).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, test } from 'node:test';
import type { WorkflowExecutionInfo } from '@temporalio/client';
import type { LibraryProgress } from '../../contracts/analysis.ts';
import { progressQuery } from '../../contracts/analysis.ts';
import type { analyzeLibrary } from '../../workflows/analyze-library.ts';
import { EventType, runHistories, type HistoryEvent } from '../helpers/histories.ts';
import { mockActivities, startMockWorkers, type FakeAlbum } from '../helpers/mock-analysis.ts';
import { releaseServices, services } from '../helpers/services.ts';

// CI (CI=true) runs the full 20,000 albums; a developer's `npm test` 2,000.
const ALBUMS = Number(process.env.SCALE_ALBUMS ?? (process.env.CI ? 20_000 : 2_000));
const WINDOW = Number(process.env.SCALE_WINDOW ?? 50);
const PER_RUN = 500;
/** A fifth of Temporal's hard limit of 51,200 events per history. */
const MAX_EVENTS_PER_RUN = 10_000;

const CHILD_CLOSED = new Set([
  EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED,
  EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_FAILED,
  EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_CANCELED,
  EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TIMED_OUT,
  EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TERMINATED,
  EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_FAILED,
]);

after(releaseServices);

// Album i has one track to analyse when i % 10 == 0 and one already analysed track when i % 7 == 0; the track
// of album i is reported failed when i % 100 == 0 and "already stored" when i % 100 == 50.
const album = (i: number): FakeAlbum => ({
  id: `a${i}`,
  name: `Album ${i}`,
  tracks: i % 10 === 0 ? [{ trackId: `t${i}`, title: `Track ${i}` }] : [],
  skipped: i % 7 === 0 ? 1 : 0,
});
const trackIndex = (trackId: string) => Number(trackId.slice(1));
const eventMs = (e: HistoryEvent) => Number(e.eventTime!.seconds) * 1000 + Math.round((e.eventTime!.nanos ?? 0) / 1e6);

test(
  `${ALBUMS} albums: each prepared once, at most ${WINDOW} in flight, small histories across continue-as-new`,
  { timeout: 4 * 60_000 + ALBUMS * 150 },
  async () => {
    const t0 = Date.now();
    const { temporalAddress } = await services();
    const taskQueue = `test-scale-${randomUUID()}`;
    const albums = Array.from({ length: ALBUMS }, (_, i) => album(i));
    const mocks = mockActivities({
      albums,
      async analyzeTrack(trackId) {
        const i = trackIndex(trackId);
        return i % 100 === 0
          ? { status: 'failed', code: 'decode_failed' }
          : i % 100 === 50
            ? { status: 'already' }
            : { status: 'analyzed' };
      },
    });
    // The expected counters, by hand from the rules above rather than from the workflow.
    let expTracks = 0,
      expFailed = 0,
      expAlready = 0,
      expSkipped = 0;
    for (let i = 0; i < ALBUMS; i++) {
      if (i % 7 === 0) expSkipped++;
      if (i % 10 !== 0) continue;
      expTracks++;
      if (i % 100 === 0) expFailed++;
      else if (i % 100 === 50) expAlready++;
    }

    const w = await startMockWorkers({ address: temporalAddress, taskQueue, mocks });
    try {
      const workflowId = `analysis-scale-${randomUUID()}`;
      const handle = await w.client.workflow.start<typeof analyzeLibrary>('analyzeLibrary', {
        taskQueue,
        workflowId,
        args: [{ maxConcurrentAlbums: WINDOW, albumsPerRun: PER_RUN }],
      });
      // A sample of the progress query while it runs (the exact proof of the window is the history walk below).
      let sampledMax = 0,
        samples = 0,
        finished = false;
      const sampler = (async () => {
        while (!finished) {
          const p = await handle.query(progressQuery).catch(() => undefined);
          if (p) {
            samples++;
            sampledMax = Math.max(sampledMax, p.currentAlbums.length);
          }
          await new Promise((r) => setTimeout(r, 500));
        }
      })();
      const result = (await handle.result()) as LibraryProgress;
      finished = true;
      await sampler;
      const runSeconds = (Date.now() - t0) / 1000;

      // Every album prepared exactly once, every track analysed exactly once, the listing read once.
      assert.equal(mocks.calls.prepared.size, ALBUMS);
      for (const a of albums) assert.equal(mocks.calls.prepared.get(a.id), 1, `album ${a.id} prepared once`);
      assert.equal(mocks.calls.tracks.size, expTracks);
      assert.ok(
        [...mocks.calls.tracks.values()].every((n) => n === 1),
        'each track analysed once',
      );
      assert.deepEqual(
        mocks.calls.pages.map((p) => p.startIndex),
        Array.from({ length: Math.ceil(ALBUMS / 500) }, (_, k) => k * 500),
        'each page listed once, in order, across runs',
      );
      assert.equal(mocks.calls.begin.length, 1, 'the run is begun once, not once per workflow run');
      assert.equal(mocks.calls.trackFailures.length, 0);

      const counters = {
        albumsTotal: ALBUMS,
        albumsDone: ALBUMS,
        albumsFailed: 0,
        tracksAnalyzed: expTracks - expFailed,
        tracksSkipped: expSkipped,
        tracksFailed: expFailed,
      };
      assert.equal(expAlready > 0 && expFailed > 0, true);
      assert.equal(result.status, 'completed');
      assert.deepEqual(
        {
          albumsTotal: result.albumsTotal,
          albumsDone: result.albumsDone,
          albumsFailed: result.albumsFailed,
          tracksAnalyzed: result.tracksAnalyzed,
          tracksSkipped: result.tracksSkipped,
          tracksFailed: result.tracksFailed,
        },
        counters,
      );
      assert.equal(mocks.calls.finished.length, 1);
      assert.equal(mocks.calls.finished[0].status, 'completed');
      assert.deepEqual(mocks.calls.finished[0].counters, counters);

      // Each run's history, following the continue-as-new chain from the first run. The window is checked
      // exactly: children started minus children closed, in history order, never above WINDOW.
      const runs: { events: number; maxOpen: number; started: number; openAtEnd: number }[] = [];
      const histories = await runHistories(w.client, workflowId, handle.firstExecutionRunId);
      // Diagnostics of the library workflow's tasks: the slowest one, and tasks timed out under load (retried by
      // Temporal, harmless). A failed task (non-determinism, a bug in the workflow) must never happen.
      let slowestTaskMs = 0,
        tasksTimedOut = 0,
        tasksFailed = 0;
      for (const { history } of histories) {
        const events = history.events ?? [];
        let open = 0,
          maxOpen = 0,
          started = 0,
          taskStarted = 0;
        for (const e of events) {
          if (e.eventType === EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED) {
            started++;
            maxOpen = Math.max(maxOpen, ++open);
          } else if (CHILD_CLOSED.has(e.eventType!)) {
            open--;
          } else if (e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED) {
            taskStarted = eventMs(e);
          } else if (e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED) {
            slowestTaskMs = Math.max(slowestTaskMs, eventMs(e) - taskStarted);
          } else if (e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT) {
            tasksTimedOut++;
          } else if (e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED) {
            tasksFailed++;
          }
        }
        runs.push({ events: events.length, maxOpen, started, openAtEnd: open });
      }
      const lastEvents = histories[histories.length - 1].history.events ?? [];
      assert.equal(
        lastEvents[lastEvents.length - 1].eventType,
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED,
        'the chain ends in the completed run',
      );
      const maxEvents = Math.max(...runs.map((r) => r.events));
      console.log(
        `scale: ${ALBUMS} albums in ${runSeconds.toFixed(1)} s; ${runs.length} runs; events per run max ${maxEvents}, ` +
          `min ${Math.min(...runs.map((r) => r.events))}; slowest workflow task ${slowestTaskMs} ms, ${tasksTimedOut} timed out; progress query sampled ${samples} times, max ${sampledMax} albums in flight`,
      );
      assert.equal(tasksFailed, 0, 'no workflow task failed');
      assert.ok(runs.length >= Math.ceil(ALBUMS / PER_RUN), `${runs.length} runs`);
      assert.equal(result.runNumber, runs.length, 'runNumber counts the runs');
      assert.equal(
        runs.reduce((n, r) => n + r.started, 0),
        ALBUMS,
        'every album started in exactly one run',
      );
      for (const [k, r] of runs.entries()) {
        assert.ok(r.events < MAX_EVENTS_PER_RUN, `run ${k + 1}: ${r.events} events`);
        assert.ok(r.maxOpen <= WINDOW, `run ${k + 1}: ${r.maxOpen} children in flight`);
        assert.ok(r.started <= PER_RUN, `run ${k + 1}: ${r.started} albums started`);
        assert.equal(r.openAtEnd, 0, `run ${k + 1} ended with children still open`);
      }
      assert.equal(
        Math.max(...runs.map((r) => r.maxOpen)),
        WINDOW,
        'the window was filled (else the bound proves little)',
      );
      assert.ok(sampledMax <= WINDOW && samples > 0);

      // The children as Temporal's visibility records them: one completed execution per album, and their
      // [start, close] intervals never overlap more than WINDOW deep (a close sorts before a start at the same ms).
      const query = `TaskQueue = '${taskQueue}' AND WorkflowType = 'analyzeAlbum'`;
      let children: WorkflowExecutionInfo[] = [];
      for (let tries = 0; tries < 60; tries++) {
        children = [];
        for await (const c of w.client.workflow.list({ query, pageSize: 1000 })) children.push(c);
        if (children.length >= ALBUMS && children.every((c) => c.closeTime)) break;
        await new Promise((r) => setTimeout(r, 1000));
      }
      assert.equal(children.length, ALBUMS);
      assert.equal(new Set(children.map((c) => c.workflowId)).size, ALBUMS);
      assert.ok(children.every((c) => c.status.name === 'COMPLETED'));
      const edges = children
        .flatMap(
          (c) =>
            [
              [c.startTime.getTime(), 1],
              [c.closeTime!.getTime(), -1],
            ] as const,
        )
        .sort((a, b) => a[0] - b[0] || a[1] - b[1]);
      let depth = 0,
        maxDepth = 0;
      for (const [, d] of edges) maxDepth = Math.max(maxDepth, (depth += d));
      console.log(
        `scale: children overlapping at most ${maxDepth} deep by visibility times; whole test ${((Date.now() - t0) / 1000).toFixed(1)} s`,
      );
      assert.ok(maxDepth <= WINDOW, `${maxDepth} children overlapped`);
    } finally {
      await w.stop();
    }
  },
);
