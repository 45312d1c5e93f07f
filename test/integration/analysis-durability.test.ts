// The library analysis when things go wrong mid-run, on a real Temporal dev server and PostgreSQL and real
// music: a cancel stops it within seconds and leaves no downloads or children behind; a worker killed with -9,
// a Temporal server restarted mid-run and a PostgreSQL restarted mid-run cost time but never a second analysis
// of a stored track.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CancelledFailure, Client, Connection, WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { createPool, migrate, type Pool } from '../../lib/db.ts';
import { startEmbeddedPostgres, type EmbeddedPostgresHandle } from '../../lib/embedded/postgres.ts';
import { startEmbeddedTemporal, type EmbeddedTemporal } from '../../lib/embedded/temporal.ts';
import type { LibraryProgress } from '../../contracts/analysis.ts';
import { makeClipLibrary, requireSongsAndModels, SONGS_DIR, type ClipLibrary } from '../helpers/analysis-library.ts';
import { freePort, freshDatabase, releaseServices, scratchDir, services } from '../helpers/services.ts';
import { onCleanup, runCleanups, sleep, spawnWorker, type WorkerProcess } from '../helpers/worker-process.ts';
import { startTestWorker, testConfig } from '../helpers/worker.ts';
import { modelsDir, repoRoot } from '../shared-paths.ts';
import { JellyfinStandin } from '../standins/jellyfin.ts';

const ALBUMS = 4;
const TRACKS_PER_ALBUM = 3;
const TRACKS = ALBUMS * TRACKS_PER_ALBUM;

let dir: string;
/** MUSIC_DIR of the local tests; the clips live one folder below, so album ids differ from other test files'. */
let musicRoot: string;
let library: ClipLibrary;
let ready = false;
const have = () => fs.existsSync(SONGS_DIR) && fs.existsSync(modelsDir);

before(
  async () => {
    if (!have()) return;
    dir = scratchDir('analysis-durability');
    musicRoot = path.join(dir, 'music');
    // 25 s clips take one to two seconds each to analyse here: twelve keep a run going well past the interruptions.
    library = await makeClipLibrary(path.join(musicRoot, `lib-${randomUUID().slice(0, 8)}`), {
      albums: ALBUMS,
      tracksPerAlbum: TRACKS_PER_ALBUM,
      seconds: 25,
    });
    ready = true;
  },
  { timeout: 120_000 },
);

after(
  async () => {
    await runCleanups();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
    await releaseServices();
  },
  { timeout: 60_000 },
);

async function newDatabase(): Promise<{ url: string; pool: Pool }> {
  const url = await freshDatabase();
  const pool = createPool(url);
  onCleanup(() => pool.end());
  await migrate(pool);
  return { url, pool };
}

interface FeatureRow {
  trackId: string;
  title: string;
  analyzedAt: string;
  writes: number;
  attempts: number;
}

/** Every track with features: analysed_at as text (microseconds, exact), the write counter and the attempt that stored it. */
async function featureRows(pool: Pool): Promise<FeatureRow[]> {
  const { rows } = await pool.query<FeatureRow>(
    `SELECT t.id::text AS "trackId", t.title, f.analyzed_at::text AS "analyzedAt", f.writes, t.attempts
       FROM track_features f JOIN tracks t ON t.id = f.track_id ORDER BY t.id`,
  );
  return rows;
}

async function countFeatures(pool: Pool): Promise<number> {
  const {
    rows: [r],
  } = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM track_features');
  return r.n;
}

/** Polls until `min` tracks have features; fails early when `alive` says the worker is gone. */
async function waitForFeatures(
  pool: Pool,
  min: number,
  timeoutMs: number,
  alive: () => string | undefined = () => undefined,
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const n = await countFeatures(pool);
    if (n >= min) return n;
    const dead = alive();
    if (dead) throw new Error(`waiting for ${min} analysed tracks (have ${n}): ${dead}`);
    if (Date.now() > deadline) throw new Error(`fewer than ${min} tracks analysed after ${timeoutMs} ms (have ${n})`);
    await sleep(200);
  }
}

function filesUnder(root: string): string[] {
  if (!fs.existsSync(root)) return [];
  return fs
    .readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((e) => !e.isDirectory())
    .map((e) => path.join(e.parentPath, e.name));
}

function workerEnv(o: {
  databaseUrl: string;
  temporalAddress: string;
  taskQueue: string;
  tempDir: string;
}): Record<string, string> {
  return {
    DATABASE_URL: o.databaseUrl,
    TEMPORAL_ADDRESS: o.temporalAddress,
    TEMPORAL_TASK_QUEUE: o.taskQueue,
    ANALYSIS_WORKERS: '1',
    MEDIA_SERVER_TYPE: 'local',
    MUSIC_DIR: musicRoot,
    PLAYLIST_DIR: path.join(dir, 'playlists'),
    MODELS_DIR: modelsDir,
    TEMP_DIR: o.tempDir,
    MAX_CONCURRENT_ALBUMS: '2',
  };
}

async function connectClient(address: string): Promise<Client> {
  const connection = await Connection.connect({ address });
  onCleanup(() => connection.close());
  return new Client({ connection });
}

/** Asserts the finished run: every track stored exactly once, the run row completed. */
async function assertCompletedOnce(pool: Pool, result: LibraryProgress, workflowId: string): Promise<FeatureRow[]> {
  assert.equal(result.status, 'completed');
  assert.equal(result.albumsDone, ALBUMS);
  assert.equal(result.albumsFailed, 0);
  assert.equal(result.tracksFailed, 0);
  assert.equal(result.tracksAnalyzed, TRACKS, 'analysed + found already stored = every track');
  const rows = await featureRows(pool);
  assert.equal(rows.length, TRACKS, 'one features row per track');
  for (const r of rows) assert.equal(r.writes, 1, `${r.title}: features written ${r.writes} times`);
  const { rows: statuses } = await pool.query<{ status: string; n: number }>(
    `SELECT analysis_status AS status, count(*)::int AS n FROM tracks GROUP BY 1`,
  );
  assert.deepEqual(statuses, [{ status: 'analyzed', n: TRACKS }]);
  const {
    rows: [run],
  } = await pool.query(
    `SELECT status, tracks_done, finished_at IS NOT NULL AS finished FROM analysis_runs WHERE workflow_id = $1`,
    [workflowId],
  );
  assert.deepEqual(run, { status: 'completed', tracks_done: TRACKS, finished: true });
  return rows;
}

describe('analysis durability', { timeout: 800_000 }, () => {
  test(
    'cancel mid-run: closed promptly as cancelled, run marked, stored tracks kept, no downloads or children left',
    { timeout: 180_000 },
    async (t) => {
      if (!requireSongsAndModels(t)) return;
      assert.ok(ready);
      // Artist names of our own: the stand-in derives album ids (and so child workflow ids) from them, and other
      // test files on the same Temporal server use the plain names.
      const token = randomUUID().slice(0, 8);
      const standin = new JellyfinStandin(
        { artists: library.standin.artists.map((a) => ({ ...a, name: `${a.name} ${token}` })) },
        '10.11.11',
      );
      const url = await standin.listen();
      const closeStandin = onCleanup(() => standin.close());
      const user = standin.user('alice');
      const { temporalAddress } = await services();
      const { pool } = await newDatabase();
      const tempDir = path.join(dir, `tmp-cancel-${token}`);
      fs.mkdirSync(tempDir);
      const config = testConfig({
        MEDIA_SERVER_TYPE: 'jellyfin',
        JELLYFIN_URL: url,
        JELLYFIN_USER_ID: user.id,
        JELLYFIN_TOKEN: user.token,
        MODELS_DIR: modelsDir,
        TEMP_DIR: tempDir,
        ANALYSIS_WORKERS: '0',
      });
      const w = await startTestWorker({ address: temporalAddress, pool, config, analysisTempDir: tempDir });
      const stopWorker = onCleanup(() => w.stop());

      const workflowId = `durability-cancel-${token}`;
      const handle = await w.client.workflow.start('analyzeLibrary', {
        taskQueue: config.temporal.taskQueue,
        workflowId,
        args: [{ maxConcurrentAlbums: 2 }],
      });
      await waitForFeatures(pool, 1, 90_000);
      const storedBefore = await featureRows(pool);

      const cancelAt = Date.now();
      await handle.cancel();
      const err = await handle.result().then(
        () => undefined,
        (e: unknown) => e,
      );
      const closedAfterMs = Date.now() - cancelAt;
      const d = await handle.describe();
      t.diagnostic(`cancel latency: ${closedAfterMs} ms; ${storedBefore.length} track(s) stored before the cancel`);
      console.log(
        `[durability] cancel: closed ${closedAfterMs} ms after the request; ${storedBefore.length}/${TRACKS} tracks stored before it`,
      );
      assert.equal(d.status.name, 'CANCELLED');
      assert.ok(
        err instanceof WorkflowFailedError && err.cause instanceof CancelledFailure,
        `result rejects as cancelled: ${String(err)}`,
      );
      // Generous (a loaded machine): the bound catches a cancel that waits for the run, not a slow one.
      assert.ok(closedAfterMs < 60_000, `closed ${closedAfterMs} ms after the cancel request`);

      const {
        rows: [run],
      } = await pool.query(`SELECT status, finished_at FROM analysis_runs WHERE workflow_id = $1`, [workflowId]);
      assert.equal(run.status, 'cancelled');
      assert.ok(run.finished_at instanceof Date, 'finished_at set');

      // Tracks analysed before the cancel keep their features, untouched; the run really was cut short.
      const storedAfter = await featureRows(pool);
      assert.ok(storedAfter.length < TRACKS, `the cancel came mid-run (${storedAfter.length}/${TRACKS} stored)`);
      for (const b of storedBefore) {
        const a = storedAfter.find((r) => r.trackId === b.trackId);
        assert.deepEqual(a, b, `${b.title} keeps its features`);
      }
      for (const r of storedAfter) assert.equal(r.writes, 1);
      const { rows: analysed } = await pool.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM tracks t JOIN track_features f ON f.track_id = t.id WHERE t.analysis_status = 'analyzed'`,
      );
      assert.equal(analysed[0].n, storedAfter.length, 'every stored track is marked analysed');

      // Downloads happened, and none is left (an activity cancelled mid-download or mid-analysis removes its file).
      const downloads = standin.requests.filter(
        (r) => r.method === 'GET' && /\/Items\/[0-9a-f]+\/Download$/.test(r.path),
      ).length;
      assert.ok(downloads >= storedBefore.length, `tracks were downloaded to TEMP_DIR (${downloads})`);
      let left = filesUnder(tempDir);
      for (const until = Date.now() + 30_000; left.length > 0 && Date.now() < until; left = filesUnder(tempDir))
        await sleep(100);
      assert.deepEqual(left, [], 'TEMP_DIR is empty');

      // No album child outlives the cancelled parent.
      const albumIds = standin.albumIdsNewestFirst();
      assert.equal(albumIds.length, ALBUMS);
      const children: { id: string; status: string }[] = [];
      for (const id of albumIds) {
        const childId = `analyze-album-jellyfin-${id}`;
        try {
          children.push({ id: childId, status: (await w.client.workflow.getHandle(childId).describe()).status.name });
        } catch (e) {
          if ((e as Error).name !== 'WorkflowNotFoundError') throw e;
        }
      }
      assert.ok(children.length >= 1, 'at least one album child was started');
      assert.deepEqual(
        children.filter((c) => c.status === 'RUNNING'),
        [],
        'no album child still running',
      );
      assert.ok(
        children.some((c) => c.status === 'CANCELLED'),
        `an album in flight was cancelled: ${JSON.stringify(children)}`,
      );
      // The same through visibility (updated asynchronously, so given up to 30 s): nothing on this test's
      // task queue runs any more.
      let stillRunning: string[] = [];
      for (const until = Date.now() + 30_000; ;) {
        stillRunning = [];
        for await (const e of w.client.workflow.list({
          query: `TaskQueue = "${config.temporal.taskQueue}" AND ExecutionStatus = "Running"`,
        }))
          stillRunning.push(e.workflowId);
        if (stillRunning.length === 0 || Date.now() > until) break;
        await sleep(250);
      }
      assert.deepEqual(stillRunning, [], 'visibility lists no running workflow on the task queue');
      await stopWorker();
      await closeStandin();
    },
  );

  test(
    'the worker killed with -9 mid-run: a new worker finishes it, no stored track analysed again',
    { timeout: 300_000 },
    async (t) => {
      if (!requireSongsAndModels(t)) return;
      assert.ok(ready);
      const { temporalAddress } = await services();
      const { url: databaseUrl, pool } = await newDatabase();
      const taskQueue = `test-${randomUUID()}`;
      const tempDir = path.join(dir, `tmp-kill-${randomUUID().slice(0, 8)}`);
      const env = workerEnv({ databaseUrl, temporalAddress, taskQueue, tempDir });
      const client = await connectClient(temporalAddress);

      const first = spawnWorker(env);
      const workflowId = `durability-kill-${randomUUID()}`;
      const handle = await client.workflow.start('analyzeLibrary', { taskQueue, workflowId, args: [{}] });
      await waitForFeatures(pool, 3, 150_000, first.exited);
      assert.equal(first.exited(), undefined);

      await first.killGroup();
      const killedAt = Date.now();
      // Read after the kill: exactly what the dead processes managed to store.
      const before = await featureRows(pool);
      assert.ok(before.length < TRACKS, `the kill came mid-run (${before.length}/${TRACKS} stored)`);

      const second = spawnWorker(env);
      const result = (await handle.result()) as LibraryProgress;
      const recoveryMs = Date.now() - killedAt;
      assert.equal(second.exited(), undefined, 'the new worker still runs');

      const rows = await assertCompletedOnce(pool, result, workflowId);
      for (const b of before) {
        const a = rows.find((r) => r.trackId === b.trackId)!;
        assert.equal(a.analyzedAt, b.analyzedAt, `${b.title} was not analysed again`);
        assert.equal(a.writes, 1);
      }
      const retried = rows.filter((r) => r.attempts > 1).map((r) => r.title);
      t.diagnostic(
        `${before.length}/${TRACKS} tracks stored before the kill; completed ${recoveryMs} ms after it; stored on a retried attempt: ${retried.join(', ') || 'none'}`,
      );
      console.log(
        `[durability] kill -9: ${before.length}/${TRACKS} tracks stored before the kill; run completed ${(recoveryMs / 1000).toFixed(1)} s after it; retried attempts stored: ${retried.join(', ') || 'none'}`,
      );
      await second.killGroup();
    },
  );

  test(
    'the Temporal server restarted mid-run: the worker reconnects and the run completes, every track stored once',
    { timeout: 300_000 },
    async (t) => {
      if (!requireSongsAndModels(t)) return;
      assert.ok(ready);
      const port = await freePort();
      const dbFile = path.join(dir, `temporal-${randomUUID().slice(0, 8)}`, 'temporal.sqlite');
      const start = () =>
        startEmbeddedTemporal({ cliPath: process.env.TEMPORAL_CLI_PATH, port, dbFile, headless: true });
      let server: EmbeddedTemporal | undefined = await start();
      const stopServer = onCleanup(() => server?.stop());
      const address = server.address;
      const { url: databaseUrl, pool } = await newDatabase();
      const taskQueue = `test-${randomUUID()}`;
      const tempDir = path.join(dir, `tmp-restart-${randomUUID().slice(0, 8)}`);
      const worker = spawnWorker(workerEnv({ databaseUrl, temporalAddress: address, taskQueue, tempDir }));

      const workflowId = `durability-restart-${randomUUID()}`;
      const firstClient = await connectClient(address);
      await firstClient.workflow.start('analyzeLibrary', { taskQueue, workflowId, args: [{}] });
      await waitForFeatures(pool, 3, 150_000, worker.exited);

      const stopping = server;
      server = undefined;
      const stoppedAt = Date.now();
      await stopping.stop();
      const storedWhileUp = await countFeatures(pool);
      assert.ok(storedWhileUp < TRACKS, `the server stopped mid-run (${storedWhileUp}/${TRACKS} stored)`);
      await sleep(2000);
      server = await start();
      assert.equal(server.reused, false, 'a new server process, not the old one');
      const downMs = Date.now() - stoppedAt;

      // A fresh client: the old one's calls failed while the server was away.
      const client = await connectClient(address);
      const handle: WorkflowHandle = client.workflow.getHandle(workflowId);
      let result: LibraryProgress | undefined;
      for (let attempt = 0; !result; attempt++) {
        try {
          result = (await handle.result()) as LibraryProgress;
        } catch (err) {
          if (attempt >= 5 || err instanceof WorkflowFailedError) throw err;
          await sleep(1000);
        }
      }
      const recoveryMs = Date.now() - stoppedAt;
      assert.equal(worker.exited(), undefined, 'the worker process survived the outage');
      // The pool logs every restart of an analysis process: none should have died either.
      assert.doesNotMatch(worker.output(), /analysis process \d+ \(pid \d+\) exited/);
      const rows = await assertCompletedOnce(pool, result, workflowId);
      const retried = rows.filter((r) => r.attempts > 1).map((r) => r.title);
      t.diagnostic(
        `server away ${downMs} ms; ${storedWhileUp}/${TRACKS} stored when it stopped; completed ${recoveryMs} ms after the stop; stored on a retried attempt: ${retried.join(', ') || 'none'}`,
      );
      console.log(
        `[durability] Temporal restart: away ${(downMs / 1000).toFixed(1)} s with ${storedWhileUp}/${TRACKS} tracks stored; run completed ${(recoveryMs / 1000).toFixed(1)} s after the stop; retried attempts stored: ${retried.join(', ') || 'none'}`,
      );
      await worker.killGroup();
      await stopServer();
    },
  );

  test(
    'PostgreSQL restarted mid-run: activities retry until it is back, the run completes, every track stored once',
    { timeout: 300_000 },
    async (t) => {
      if (!requireSongsAndModels(t)) return;
      assert.ok(ready);
      // A PostgreSQL of this test's own (the shared one serves the other test files): same data folder and port
      // across the restart, as a service manager or a container restart would do.
      const port = await freePort();
      const dataDir = path.join(scratchDir('durability-pg'), 'data');
      const start = () =>
        startEmbeddedPostgres({ dataDir, port, user: 'audiomuse', password: 'test', database: 'durability' });
      let server: EmbeddedPostgresHandle | undefined = await start();
      const stopServer = onCleanup(() => server?.stop());
      const pool = createPool(server.url);
      onCleanup(() => pool.end());
      await migrate(pool);
      const { temporalAddress } = await services();
      const taskQueue = `test-${randomUUID()}`;
      const tempDir = path.join(dir, `tmp-pg-${randomUUID().slice(0, 8)}`);
      const worker = spawnWorker(workerEnv({ databaseUrl: server.url, temporalAddress, taskQueue, tempDir }));
      const client = await connectClient(temporalAddress);

      const workflowId = `durability-pg-${randomUUID()}`;
      const handle = await client.workflow.start('analyzeLibrary', { taskQueue, workflowId, args: [{}] });
      await waitForFeatures(pool, 3, 150_000, worker.exited);

      const stopping = server;
      server = undefined;
      const stoppedAt = Date.now();
      await stopping.stop(); // fast shutdown: every open connection and transaction is cut
      await assert.rejects(pool.query('SELECT 1'), 'PostgreSQL is down');
      await sleep(3000);
      server = await start();
      assert.equal(server.reused, false, 'a new server process, not the old one');
      const downMs = Date.now() - stoppedAt;
      const before = await featureRows(pool);
      assert.ok(before.length < TRACKS, `the restart came mid-run (${before.length}/${TRACKS} stored)`);

      const result = (await handle.result()) as LibraryProgress;
      const recoveryMs = Date.now() - stoppedAt;
      assert.equal(worker.exited(), undefined, 'the worker process survived the outage');
      assert.doesNotMatch(worker.output(), /analysis process \d+ \(pid \d+\) exited/);
      const rows = await assertCompletedOnce(pool, result, workflowId);
      for (const b of before) {
        const a = rows.find((r) => r.trackId === b.trackId)!;
        assert.equal(a.analyzedAt, b.analyzedAt, `${b.title} was not analysed again`);
      }
      const retried = rows.filter((r) => r.attempts > 1).map((r) => r.title);
      t.diagnostic(
        `PostgreSQL away ${downMs} ms with ${before.length}/${TRACKS} stored; completed ${recoveryMs} ms after the stop; stored on a retried attempt: ${retried.join(', ') || 'none'}`,
      );
      console.log(
        `[durability] PostgreSQL restart: away ${(downMs / 1000).toFixed(1)} s with ${before.length}/${TRACKS} tracks stored; run completed ${(recoveryMs / 1000).toFixed(1)} s after the stop; retried attempts stored: ${retried.join(', ') || 'none'}`,
      );
      await worker.killGroup();
      await stopServer();
    },
  );
});
