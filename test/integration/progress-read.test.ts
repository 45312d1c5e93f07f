// Reading a running analysis's progress when the workflow is slow to answer its query (a busy library analysis
// answers between its own tasks; here no worker answers at all): the read takes the progress the workflow keeps
// in its memo, or the newer last answer given for the same run, instead of waiting for the query. Real Temporal,
// the real analysis workflow on mocked activities, the real web API.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { promptProgress } from '../../client/run-control.ts';
import { progressQuery, type LibraryProgress } from '../../contracts/analysis.ts';
import { createPool, migrate } from '../../lib/db.ts';
import { mockActivities, startMockWorkers } from '../helpers/mock-analysis.ts';
import { freshDatabase, releaseServices, services } from '../helpers/services.ts';
import { waitFor } from '../helpers/wait.ts';
import { closeServedApps, serveApp } from '../helpers/web-app.ts';
import { testConfig } from '../helpers/worker.ts';

const pool = createPool(await freshDatabase());
after(async () => {
  closeServedApps();
  await pool.end();
  await releaseServices();
});

const ALBUMS = Array.from({ length: 2000 }, (_, i) => ({
  id: `a${i}`,
  name: `Album ${i}`,
  tracks: [{ trackId: `t${i}`, title: `Song ${i}` }],
  skipped: 0,
}));

test('a late progress query gives way to the memo, or to the newer answer already given for the run', async () => {
  await migrate(pool);
  const { temporalAddress } = await services();
  const config = testConfig();
  const taskQueue = config.temporal.taskQueue;
  // Albums finish one at a time every ~100 ms, 20 per workflow run: the memo (recorded at each continue-as-new)
  // trails the live progress.
  const mocks = mockActivities({
    albums: ALBUMS,
    analyzeTrack: async () => (await new Promise((r) => setTimeout(r, 100)), { status: 'analyzed' }),
  });
  // Each worker stops once, here or after the test.
  const startWorker = async () => {
    const w = await startMockWorkers({ address: temporalAddress, taskQueue, mocks });
    let stopped: Promise<void> | undefined;
    const stop = () => (stopped ??= w.stop());
    after(stop);
    return { stop };
  };
  let worker = await startWorker();
  const connection = await Connection.connect({ address: temporalAddress });
  after(() => connection.close());
  const client = new Client({ connection });
  const workflowId = `progress-read-${Math.random().toString(36).slice(2, 8)}`;
  const handle = await client.workflow.start('analyzeLibrary', {
    taskQueue,
    workflowId,
    args: [{ maxConcurrentAlbums: 1, albumsPerRun: 20 }],
  });
  after(() => handle.terminate('test over').catch(() => undefined));
  const memo = async () => (await handle.describe()).memo;
  const kept = () => memo().then((m) => m?.progress as LibraryProgress | undefined);
  // A later run starts with the progress its predecessor carried over in its memo (runs last ~2 s, far less
  // than the 15 s between records within a run). Nothing is asked of the workflow before this: the first answer below can
  // only come from the memo.
  const recorded = await waitFor(
    'a continued run with progress in its memo',
    async () => {
      const d = await handle.describe();
      const p = d.memo?.progress as LibraryProgress | undefined;
      // Recorded before this run started: carried over, not the copy a run makes before it continues.
      return d.runId !== handle.firstExecutionRunId && p && Date.parse(p.updatedAt) <= d.startTime.getTime() && p;
    },
    60_000,
    200,
  );
  assert.ok(recorded.albumsDone >= 20, `carried over after 20 albums: ${recorded.albumsDone}`);

  // No worker: the query cannot be answered; the read answers with the memo.
  await worker.stop();
  await assert.rejects(
    client.connection.withDeadline(Date.now() + 3000, () => handle.query(progressQuery)),
    'no worker answers the query',
  );
  const fromMemo = await client.connection.withDeadline(Date.now() + 3000, () =>
    promptProgress(handle, progressQuery, memo),
  );
  assert.deepEqual(fromMemo, await kept(), 'the memo, as the workflow recorded it');
  assert.equal(fromMemo.workflowId, workflowId);
  assert.ok(fromMemo.albumsDone >= recorded.albumsDone);

  // A worker again: the live answer runs ahead of the memo.
  worker = await startWorker();
  const live = await waitFor(
    'a live answer ahead of the memo',
    async () => {
      const [p, m] = await Promise.all([promptProgress(handle, progressQuery, memo), kept()]);
      return p.albumsDone > m!.albumsDone && p;
    },
    60_000,
    100,
  );
  assert.equal(live.startedAt, fromMemo.startedAt, 'the same run');
  assert.ok(live.updatedAt > fromMemo.updatedAt);

  // No worker again: the read answers with the newer of that answer and the memo (the memo, only when a run
  // continued between the answer and the stop).
  await worker.stop();
  const memoNow = (await kept())!;
  const newest = memoNow.updatedAt > live.updatedAt ? memoNow : live;
  const again = await client.connection.withDeadline(Date.now() + 3000, () =>
    promptProgress(handle, progressQuery, memo),
  );
  assert.deepEqual(again, newest);

  // The web API's status of the run reads it the same way.
  const app = await serveApp({ pool, config, client, temporalAddress });
  const res = await fetch(`${app.base}/api/status/${workflowId}`);
  assert.equal(res.status, 200);
  const status = (await res.json()) as { state: string; running: boolean; details: LibraryProgress };
  assert.equal(status.state, 'PROGRESS');
  assert.deepEqual(status.details, newest);
});
