// Our Temporal Schedules on the real dev server, with the analysis workflow on mocked activities (what a run
// does is irrelevant here; when and how often it starts is the point): a failed run shows as failed and the
// next tick runs again; a trigger keeps the overlap policy; pause, resume and delete; and a Temporal restarted
// over several due times catches up once, not once per missed time.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { startEmbeddedTemporal, type EmbeddedTemporal } from '../../lib/embedded/temporal.ts';
import { FailureType } from '../../words/failure-types.ts';
import {
  createSchedule,
  deleteSchedule,
  describeSchedule,
  listSchedules,
  pauseSchedule,
  resumeSchedule,
  scheduleId,
  triggerSchedule,
  UnknownSchedule,
  type ScheduleControl,
  type ScheduleView,
} from '../../client/schedules.ts';
import { analyzeUntilCancelled, mockActivities, startMockWorkers } from '../helpers/mock-analysis.ts';
import { freePort, releaseServices, scratchDir, services } from '../helpers/services.ts';
import { waitFor } from '../helpers/wait.ts';
import { closeServedApps, serveApp } from '../helpers/web-app.ts';
import { createPool } from '../../lib/db.ts';
import { testConfig } from '../helpers/worker.ts';

after(async () => {
  closeServedApps();
  await releaseServices();
});

const unique = (prefix: string) => `${prefix}-${Math.random().toString(36).slice(2, 8)}`;
const ONE_ALBUM = [{ id: 'a1', name: 'Album', tracks: [{ trackId: 't1', title: 'Song' }], skipped: 0 }];

/** `adapt` changes the mocks before the worker takes them (it copies the activity functions). */
async function mockWorld(
  opts: Parameters<typeof mockActivities>[0],
  adapt?: (m: ReturnType<typeof mockActivities>) => void,
) {
  const { temporalAddress } = await services();
  const taskQueue = testConfig().temporal.taskQueue;
  const mocks = mockActivities(opts);
  adapt?.(mocks);
  const w = await startMockWorkers({ address: temporalAddress, taskQueue, mocks });
  const c: ScheduleControl = { client: w.client, taskQueue, temporalUiUrl: 'http://temporal-ui.test' };
  return { c, mocks, stop: w.stop };
}

/** The web API on the mock world's client (its routes of schedules need no database; the pool is never used). */
async function serveApi(c: ScheduleControl) {
  const config = testConfig({ TEMPORAL_TASK_QUEUE: c.taskQueue });
  const pool = createPool('postgres://unused@127.0.0.1:1/unused');
  const app = await serveApp({
    pool,
    config,
    client: c.client,
    temporalAddress: 'unused',
    temporalUiUrl: c.temporalUiUrl,
  });
  const call = async (method: string, url: string, body?: unknown) => {
    const res = await fetch(`${app.base}${url}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as any };
  };
  return { call, close: async () => (app.close(), await pool.end()) };
}

test('a failed scheduled run shows as failed, the schedule stays active and the next tick runs again', async (t) => {
  let failing = true;
  const world = await mockWorld({ albums: [] }, (m) => {
    const begin = m.library.beginAnalysisRun;
    m.library.beginAnalysisRun = async (input) => {
      if (failing)
        throw ApplicationFailure.create({
          message: 'media server said no',
          type: FailureType.mediaAuth,
          nonRetryable: true,
        });
      return begin(input);
    };
  });
  t.after(world.stop);
  const name = unique('fails');
  const id = scheduleId('analysis', name);
  await createSchedule(world.c, { name, kind: 'analysis', every: '2s', input: { numRecentAlbums: 5 } });
  t.after(() => deleteSchedule(world.c, id).catch(() => undefined));

  const failed = await waitFor('a failed scheduled run', async () => {
    const v = await describeSchedule(world.c, id);
    return v.lastRun?.status === 'failed' && v;
  });
  assert.match(failed.lastRun!.workflowId, /^analyze-library-\d{4}-/, 'the run is started under our analysis id');
  assert.equal(
    failed.lastRun!.temporalUrl,
    `http://temporal-ui.test/namespaces/default/workflows/${encodeURIComponent(failed.lastRun!.workflowId)}`,
  );
  // GET /api/schedules (what the page and the CLI list show) says the same.
  const api = await serveApi(world.c);
  t.after(api.close);
  const listed = await waitFor('the schedule in GET /api/schedules', async () => {
    const { body } = await api.call('GET', '/api/schedules');
    return (body.schedules as ScheduleView[]).find((s) => s.id === id);
  });
  assert.ok(
    listed.recentRuns.some((r) => r.status === 'failed'),
    JSON.stringify(listed),
  );
  assert.equal(listed.temporalUrl, `http://temporal-ui.test/namespaces/default/schedules/${id}`);

  failing = false;
  const recovered = await waitFor(
    'a completed run after the failure',
    async () => {
      const v = await describeSchedule(world.c, id);
      return v.lastRun?.status === 'completed' && v;
    },
    30_000,
  );
  assert.equal(recovered.paused, false, 'a failure does not pause the schedule');
  assert.ok(
    recovered.recentRuns.some((r) => r.status === 'failed'),
    'the failure stays in the recent runs',
  );
  assert.deepEqual(world.mocks.calls.begin.at(-1)!.request, { numRecentAlbums: 5 }, 'the schedule passes its input');
});

test('a trigger while the triggered run still runs is skipped (overlap policy skip); delete leaves the run going', async (t) => {
  const world = await mockWorld({ albums: ONE_ALBUM, analyzeTrack: analyzeUntilCancelled });
  t.after(world.stop);
  const name = unique('trigger');
  const id = scheduleId('analysis', name);
  // Due once a year: only the triggers run it.
  await createSchedule(world.c, { name, kind: 'analysis', cron: '0 3 1 1 *', note: 'by hand' });
  t.after(() => deleteSchedule(world.c, id).catch(() => undefined));

  await triggerSchedule(world.c, id);
  const running = await waitFor('the triggered run', async () => {
    const v = await describeSchedule(world.c, id);
    return v.lastRun?.status === 'running' && v;
  });
  // A run's id ends in the second it was due: a later second cannot meet the first run's id.
  await new Promise((r) => setTimeout(r, 1100));
  await triggerSchedule(world.c, id);
  const after2 = await waitFor('the second trigger handled', async () => {
    const v = await describeSchedule(world.c, id);
    return v.actionsTaken + v.skippedOverlap >= 2 && v;
  });
  assert.equal(after2.actionsTaken, 1, 'one run started');
  assert.equal(after2.skippedOverlap, 1, 'the second trigger was skipped');
  assert.equal(after2.recentRuns.length, 1);
  assert.equal(after2.note, 'by hand');
  assert.equal(after2.when, '0 3 1 1 *');

  await deleteSchedule(world.c, id);
  await assert.rejects(describeSchedule(world.c, id), UnknownSchedule);
  const handle = world.c.client.workflow.getHandle(running.lastRun!.workflowId);
  assert.equal((await handle.describe()).status.name, 'RUNNING', 'deleting a schedule does not stop its run');
  await handle.terminate('test over');
  await waitFor('the deleted schedule gone from the list', async () =>
    (await listSchedules(world.c)).every((s) => s.id !== id),
  );
});

test('pause stops the ticks and resume brings them back', async (t) => {
  const world = await mockWorld({ albums: [] });
  t.after(world.stop);
  const name = unique('pause');
  const id = scheduleId('clustering', name);
  // Clustering's input is checked on create; the run itself is not needed here: no worker serves it (paused).
  await assert.rejects(
    createSchedule(world.c, { name, kind: 'clustering', every: '2s', input: { runs: -1 } }),
    /input\.runs: expected an integer/,
  );
  const created = await createSchedule(world.c, { name, kind: 'analysis', every: '2s', paused: true });
  t.after(() => deleteSchedule(world.c, created.id).catch(() => undefined));
  assert.equal(created.paused, true);
  assert.equal(created.catchupWindowMs, 3_600_000, 'the default catch-up window is an hour');
  const analysisId = scheduleId('analysis', name);
  assert.equal(created.id, analysisId);
  assert.notEqual(id, analysisId);

  await resumeSchedule(world.c, analysisId);
  const resumed = await waitFor('a run after resume', async () => {
    const v = await describeSchedule(world.c, analysisId);
    return v.actionsTaken >= 1 && v;
  });
  assert.equal(resumed.paused, false);

  await pauseSchedule(world.c, analysisId, 'holiday');
  const paused = await describeSchedule(world.c, analysisId);
  assert.equal(paused.paused, true);
  assert.equal(paused.pauseNote, 'holiday');
  // Two due times pass while paused: nothing more starts (the count is read once the last run has ended).
  await new Promise((r) => setTimeout(r, 5000));
  const later = await describeSchedule(world.c, analysisId);
  assert.ok(later.actionsTaken - paused.actionsTaken <= 1, 'at most the run already being started when paused');
  await new Promise((r) => setTimeout(r, 4000));
  assert.equal((await describeSchedule(world.c, analysisId)).actionsTaken, later.actionsTaken);
});

test('the API: bad input is a 400 naming the field; create, pause, resume, trigger and delete by id', async (t) => {
  const world = await mockWorld({ albums: [] });
  t.after(world.stop);
  const api = await serveApi(world.c);
  t.after(api.close);
  const name = unique('api');
  const bad = async (body: unknown, field: string) => {
    const r = await api.call('POST', '/api/schedules', body);
    assert.equal(r.status, 400, JSON.stringify(r.body));
    assert.equal(r.body.field, field, JSON.stringify(r.body));
  };
  await bad({ name, kind: 'weekly', every: '1d' }, 'kind');
  await bad({ name, kind: 'analysis', every: '1 day' }, 'every');
  await bad({ name, kind: 'analysis' }, 'cron');
  await bad({ name, kind: 'analysis', cron: '99 3 * * *' }, 'cron'); // Temporal's own check of the fields
  await bad({ name, kind: 'clustering', cron: '0 4 * * 0', input: { runs: -1 } }, 'input.runs');

  const created = await api.call('POST', '/api/schedules', {
    name,
    kind: 'clustering',
    cron: '0 4 * * 0',
    input: { runs: 50 },
    note: 're-cluster every Sunday',
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const id = created.body.id as string;
  t.after(() => deleteSchedule(world.c, id).catch(() => undefined));
  assert.equal(id, `audiomuse-clustering-${name}`);
  assert.deepEqual(created.body.input, { runs: 50 });
  assert.equal(new Date(created.body.nextRuns[0]).getUTCDay(), 0, 'next run on a Sunday');
  await bad({ name, kind: 'clustering', cron: '0 4 * * 0' }, 'name'); // exists

  assert.equal((await api.call('POST', `/api/schedules/${id}/pause`)).status, 200);
  assert.equal((await describeSchedule(world.c, id)).paused, true);
  assert.equal((await api.call('POST', `/api/schedules/${id}/resume`)).status, 200);
  assert.equal((await describeSchedule(world.c, id)).paused, false);
  assert.equal((await api.call('POST', `/api/schedules/${id}/trigger`)).status, 200);
  await waitFor('the triggered clustering', async () => (await describeSchedule(world.c, id)).actionsTaken === 1);
  const triggered = (await describeSchedule(world.c, id)).lastRun!.workflowId;
  assert.equal((await api.call('DELETE', `/api/schedules/${id}`)).status, 200);
  const gone = await api.call('POST', `/api/schedules/${id}/trigger`);
  assert.equal(gone.status, 404);
  assert.equal(gone.body.field, 'id');
  // The triggered clustering has no worker serving it here: end it, and only it (other files' clusterings run
  // beside this one on the same Temporal).
  await world.c.client.workflow.getHandle(triggered).terminate('test over');
});

test('Temporal down over several due times catches up once when it comes back', async (t) => {
  const dir = scratchDir('schedule-catchup');
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const port = await freePort();
  const dbFile = path.join(dir, 'temporal.sqlite');
  const startServer = () =>
    startEmbeddedTemporal({ cliPath: process.env.TEMPORAL_CLI_PATH, port, dbFile, headless: true });
  const connect = async () => {
    const connection = await Connection.connect({ address: `127.0.0.1:${port}` });
    return { client: new Client({ connection }), close: () => connection.close() };
  };
  let server: EmbeddedTemporal | undefined = await startServer();
  t.after(() => server?.stop());
  // No worker anywhere: a run, once started, stays running, so only the schedule's own decisions are counted.
  const taskQueue = testConfig().temporal.taskQueue;
  let conn = await connect();
  const c = (): ScheduleControl => ({ client: conn.client, taskQueue });
  const name = unique('catchup');
  const id = scheduleId('analysis', name);
  await createSchedule(c(), { name, kind: 'analysis', every: '2s', catchup: '10m', paused: true });
  // The first due time a few seconds from now, when the server is already down.
  const firstDue = new Date(Date.now() + 5000);
  await conn.client.schedule.getHandle(id).update((d) => ({
    ...d,
    spec: { ...d.spec, startAt: firstDue },
    state: { paused: false },
  }));
  await conn.close();
  await server.stop();
  server = undefined;
  const downAt = Date.now();
  assert.ok(downAt < firstDue.getTime(), 'the server was down before the first due time');
  await new Promise((r) => setTimeout(r, firstDue.getTime() - downAt + 10_000)); // ≈ 5 due times missed
  server = await startServer();
  const upAt = Date.now(); // the server answers
  conn = await connect();
  t.after(() => conn.close());

  const missed = Math.floor((upAt - firstDue.getTime()) / 2000) + 1;
  const v = await waitFor('the missed due times handled', async () => {
    const d = await describeSchedule(c(), id);
    return d.actionsTaken + d.skippedOverlap + d.missedCatchupWindow >= missed && d;
  });
  const runs = JSON.stringify(v.recentRuns);
  assert.equal(v.missedCatchupWindow, 0, 'every missed due time was within the catch-up window');
  assert.equal(v.actionsTaken, 1, `one run for ${missed} missed due times: ${runs}`);
  // The missed due times were weighed (skipped), not dropped: the one run stands for all of them (Temporal names
  // it after the latest due time it handled, which may be the first one after the restart).
  assert.ok(v.skippedOverlap >= missed - 1, `the other missed due times were skipped: ${JSON.stringify(v)}`);
});
