// Resumability users can trust: with the same seed and library snapshot, a clusterLibrary run interrupted
// twice — its worker process group killed with -9 mid-generation, then its Temporal dev server restarted
// mid-search — publishes playlists identical (names, tracks, order, .m3u8 files) to an uninterrupted run.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Client, Connection, WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import proto from '@temporalio/proto';
import { createMediaProvider } from '../../providers/media/index.ts';
import { createPool, migrate, type Pool } from '../../lib/db.ts';
import { startEmbeddedTemporal, type EmbeddedTemporal } from '../../lib/embedded/temporal.ts';
import type { ClusterLibraryInput, ClusteringProgress } from '../../contracts/clustering.ts';
import { clusteringProgressQuery } from '../../contracts/clustering.ts';
import { plantLibrary, storePlantedFeatures, type PlantedLibrary } from '../helpers/planted-library.ts';
import { freePort, freshDatabase, releaseServices, scratchDir, services } from '../helpers/services.ts';
import { onCleanup, runCleanups, sleep, spawnWorker, type WorkerProcess } from '../helpers/worker-process.ts';
import { startTestWorker, testConfig } from '../helpers/worker.ts';
import { repoRoot } from '../shared-paths.ts';

const { PendingActivityState, TimeoutType } = proto.temporal.api.enums.v1;

const TRACKS = 600;
const GENERATION = 100;
/**
 * 30 generations of 100 candidates (a few hundred ms each on two cores), continuing as new every 5: long
 * enough to kill a worker inside a generation and to restart the server with most of the search still ahead.
 * Every field that would otherwise come from the configuration is explicit, so the in-process reference
 * worker and the worker process (which reads its environment) resolve the same plan (checked below).
 */
const SEARCH: ClusterLibraryInput = {
  algorithm: 'kmeans',
  runs: 3000,
  generationSize: GENERATION,
  seed: 17,
  featureSpace: 'moods',
  topNMoods: 5,
  numClustersMin: 4,
  numClustersMax: 24,
  pcaComponentsMin: 0,
  pcaComponentsMax: 0,
  gmmCovarianceType: 'full',
  minPlaylistSize: 10,
  maxSongsPerCluster: 60,
  maxSongsPerArtist: 100,
  maxDistance: 0.5,
  generationsPerRun: 5,
  earlyStopGenerations: 0,
  aiProvider: 'NONE',
  publish: true,
};
const RUNS = SEARCH.runs!;

let dir: string;
let lib: PlantedLibrary;
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

before(() => {
  dir = scratchDir('clustering-durability');
  // One planted library (one music folder) for both databases: the same files, the same item ids, and
  // .m3u8 paths relative to sibling playlist folders read the same.
  lib = plantLibrary(dir, { tracks: TRACKS, groups: 8, seed: 29 });
});

after(
  async () => {
    await runCleanups();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
    await releaseServices();
  },
  { timeout: 60_000 },
);

/** A fresh migrated database holding the planted library's features, as an analysis would have left it. */
async function plantedDatabase(playlistDir: string): Promise<{ url: string; pool: Pool; env: Record<string, string> }> {
  const url = await freshDatabase();
  const pool = createPool(url);
  onCleanup(() => pool.end());
  await migrate(pool);
  const env = { MEDIA_SERVER_TYPE: 'local', MUSIC_DIR: lib.musicDir, PLAYLIST_DIR: playlistDir, ANALYSIS_WORKERS: '0' };
  assert.equal(await storePlantedFeatures(pool, await createMediaProvider(testConfig(env)), lib), TRACKS);
  return { url, pool, env };
}

interface StoredPlaylist {
  name: string;
  titles: string[];
}

/** The run's playlists from PostgreSQL: name and track titles in playlist order, playlists in run order. */
async function storedPlaylists(pool: Pool, workflowId: string): Promise<(StoredPlaylist & { status: string })[]> {
  const { rows } = await pool.query<StoredPlaylist & { status: string }>(
    `SELECT p.name, p.status, array_agg(t.title ORDER BY pt.position) AS titles
       FROM playlists p JOIN clustering_runs r ON r.id = p.clustering_run_id
       JOIN playlist_tracks pt ON pt.playlist_id = p.id JOIN tracks t ON t.id = pt.track_id
      WHERE r.workflow_id = $1 GROUP BY p.id ORDER BY p.position`,
    [workflowId],
  );
  return rows;
}

/** What a run leaves in clustering_runs besides playlists: the resolved plan and the final search state. */
async function runRow(
  pool: Pool,
  workflowId: string,
): Promise<{ status: string; params: unknown; searchState: unknown; snapshot: string[] }> {
  const { rows } = await pool.query(
    `SELECT status, params, search_state AS "searchState", snapshot_track_ids::text[] AS snapshot FROM clustering_runs WHERE workflow_id = $1`,
    [workflowId],
  );
  assert.equal(rows.length, 1, `one clustering_runs row for ${workflowId}`);
  return rows[0];
}

interface M3u8 {
  file: string;
  body: string;
  tracks: string[];
  labels: string[];
}

/** The playlist folder's .m3u8 files, sorted by name, with their track lines (paths) and #EXTINF labels. */
function readM3u8(playlistDir: string): M3u8[] {
  return fs
    .readdirSync(playlistDir)
    .filter((f) => f.endsWith('.m3u8'))
    .sort()
    .map((file) => {
      const body = fs.readFileSync(path.join(playlistDir, file), 'utf8');
      const lines = body.split('\n').filter(Boolean);
      return {
        file,
        body,
        tracks: lines.filter((l) => !l.startsWith('#')),
        labels: lines.filter((l) => l.startsWith('#EXTINF:')).map((l) => l.slice(l.indexOf(',') + 1)),
      };
    });
}

/** Checks the files against the stored playlists (names, track order) and the music folder (paths exist). */
function assertFilesMatch(playlistDir: string, playlists: StoredPlaylist[]): M3u8[] {
  const files = readM3u8(playlistDir);
  assert.equal(files.length, playlists.length, 'one .m3u8 per playlist');
  for (const p of playlists) {
    const f = files.find((x) => x.body.includes(`\n#PLAYLIST:${p.name}\n`));
    assert.ok(f, `a file for ${p.name}`);
    assert.deepEqual(
      f.labels.map((l) => l.slice(l.lastIndexOf(' - ') + 3)),
      p.titles,
      `${f.file} lists ${p.name}'s tracks in order`,
    );
    for (const rel of f.tracks) assert.ok(fs.existsSync(path.resolve(playlistDir, rel)), `${f.file}: ${rel} exists`);
  }
  return files;
}

async function connectClient(address: string): Promise<Client> {
  const connection = await Connection.connect({ address });
  onCleanup(() => connection.close());
  return new Client({ connection });
}

/** The progress query with a deadline: undefined while no worker answers (killed, restarting, server away). */
async function progressOf(client: Client, handle: WorkflowHandle): Promise<ClusteringProgress | undefined> {
  try {
    return await client.connection.withDeadline(Date.now() + 5000, () => handle.query(clusteringProgressQuery));
  } catch {
    return undefined;
  }
}

/** Polls the progress query until `until` holds; fails with the last answer after `timeoutMs`, or early when `alive` reports the worker gone. */
async function waitForProgress(
  client: Client,
  handle: WorkflowHandle,
  until: (p: ClusteringProgress) => boolean,
  what: string,
  timeoutMs: number,
  alive: () => string | undefined = () => undefined,
): Promise<ClusteringProgress> {
  const deadline = Date.now() + timeoutMs;
  let last: ClusteringProgress | undefined;
  for (;;) {
    const p = await progressOf(client, handle);
    if (p) {
      last = p;
      if (until(p)) return p;
      if (p.status !== 'searching' && p.status !== 'starting')
        throw new Error(`waiting for ${what}, the run is ${p.status} (${p.runsDone}/${RUNS} runs)`);
    }
    const dead = alive();
    if (dead) throw new Error(`waiting for ${what}: ${dead}`);
    if (Date.now() > deadline)
      throw new Error(
        `no ${what} after ${timeoutMs} ms (last: ${last ? `${last.runsDone} runs, ${last.status}` : 'no answer'})`,
      );
    await sleep(25);
  }
}

interface GenerationAttempt {
  runId: string;
  activityId: string;
  attempt: number;
  failure?: string;
  heartbeatTimeout: boolean;
}

/** Every evolveClusteringGeneration of the chain of runs started at `firstRunId` that took more than one attempt. */
async function retriedGenerations(
  client: Client,
  workflowId: string,
  firstRunId: string,
): Promise<{ runs: number; retried: GenerationAttempt[] }> {
  const retried: GenerationAttempt[] = [];
  let runs = 0;
  let runId: string | undefined = firstRunId;
  while (runId) {
    runs++;
    const history: proto.temporal.api.history.v1.IHistory = await client.workflow
      .getHandle(workflowId, runId)
      .fetchHistory();
    const events = history.events ?? [];
    const generations = new Map(
      events
        .filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'evolveClusteringGeneration')
        .map((e) => [String(e.eventId), e.activityTaskScheduledEventAttributes!.activityId!]),
    );
    for (const e of events) {
      const started = e.activityTaskStartedEventAttributes;
      if (!started || !generations.has(String(started.scheduledEventId)) || (started.attempt ?? 1) < 2) continue;
      retried.push({
        runId,
        activityId: generations.get(String(started.scheduledEventId))!,
        attempt: started.attempt!,
        failure: started.lastFailure?.message ?? undefined,
        heartbeatTimeout: started.lastFailure?.timeoutFailureInfo?.timeoutType === TimeoutType.TIMEOUT_TYPE_HEARTBEAT,
      });
    }
    runId = events.at(-1)?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? undefined;
  }
  return { runs, retried };
}

interface Reference {
  playlists: StoredPlaylist[];
  files: M3u8[];
  result: ClusteringProgress;
  params: unknown;
  searchState: unknown;
  snapshotTitles: string[];
  ms: number;
}
let reference: Reference | undefined;

/** Titles of the snapshot's tracks in snapshot order (the search's row order). */
async function snapshotTitles(pool: Pool, snapshot: string[]): Promise<string[]> {
  const { rows } = await pool.query<{ title: string }>(
    `SELECT t.title FROM unnest($1::bigint[]) WITH ORDINALITY s (id, ord) JOIN tracks t ON t.id = s.id ORDER BY s.ord`,
    [snapshot],
  );
  return rows.map((r) => r.title);
}

describe('clustering durability', { timeout: 900_000 }, () => {
  test('reference: the search uninterrupted, published to a local folder', { timeout: 300_000 }, async (t) => {
    const playlistDir = path.join(dir, 'playlists-reference');
    const { pool, env } = await plantedDatabase(playlistDir);
    const { temporalAddress } = await services();
    const config = testConfig(env);
    const w = await startTestWorker({ address: temporalAddress, pool, config });
    const stopWorker = onCleanup(() => w.stop());
    const workflowId = `clustering-reference-${randomUUID()}`;
    const t0 = Date.now();
    const result = (await w.client.workflow.execute('clusterLibrary', {
      taskQueue: config.temporal.taskQueue,
      workflowId,
      args: [SEARCH],
    })) as ClusteringProgress;
    const ms = Date.now() - t0;
    await stopWorker();

    assert.equal(result.status, 'completed');
    assert.equal(result.runsDone, RUNS);
    assert.equal(
      result.runNumber,
      RUNS / GENERATION / SEARCH.generationsPerRun!,
      'continued as new every 5 generations',
    );
    assert.equal(result.outcome?.published, true);
    const playlists = await storedPlaylists(pool, workflowId);
    assert.ok(playlists.length >= 4, `${playlists.length} playlists`);
    assert.ok(
      playlists.every((p) => p.status === 'published'),
      'all published',
    );
    assert.equal(result.outcome!.playlists.length, playlists.length);
    const files = assertFilesMatch(playlistDir, playlists);
    const row = await runRow(pool, workflowId);
    assert.equal(row.status, 'completed');
    assert.equal(row.snapshot.length, TRACKS);
    reference = {
      playlists: playlists.map(({ name, titles }) => ({ name, titles })),
      files,
      result,
      params: row.params,
      searchState: row.searchState,
      snapshotTitles: await snapshotTitles(pool, row.snapshot),
      ms,
    };
    const tracks = playlists.reduce((n, p) => n + p.titles.length, 0);
    t.diagnostic(
      `reference: ${playlists.length} playlists (${tracks} tracks) in ${seconds(ms)}, ${result.runNumber} workflow runs`,
    );
    console.log(
      `[clustering-durability] reference: ${playlists.length} playlists, ${tracks} tracks, search + publish ${seconds(ms)}, ${result.runNumber} workflow runs`,
    );
  });

  test(
    'interrupted: worker group killed with -9 mid-generation, Temporal restarted mid-search — identical playlists',
    { timeout: 600_000 },
    async (t) => {
      assert.ok(reference, 'the reference run completed');
      const playlistDir = path.join(dir, 'playlists-interrupted');
      const { url: databaseUrl, pool, env } = await plantedDatabase(playlistDir);

      // Our own Temporal dev server: a fixed port and SQLite file, so it can be stopped and started again.
      const port = await freePort();
      const dbFile = path.join(dir, 'temporal', 'temporal.sqlite');
      const startServer = () =>
        startEmbeddedTemporal({ cliPath: process.env.TEMPORAL_CLI_PATH, port, dbFile, headless: true });
      let server: EmbeddedTemporal | undefined = await startServer();
      assert.equal(server.reused, false);
      onCleanup(() => server?.stop());
      const address = server.address;
      const workerEnv = {
        ...env,
        DATABASE_URL: databaseUrl,
        TEMPORAL_ADDRESS: address,
        TEMPORAL_TASK_QUEUE: `test-${randomUUID()}`,
      };

      const t0 = Date.now();
      const first = spawnWorker(workerEnv);
      let client = await connectClient(address);
      const workflowId = `clustering-interrupted-${randomUUID()}`;
      const started = await client.workflow.start('clusterLibrary', {
        taskQueue: workerEnv.TEMPORAL_TASK_QUEUE,
        workflowId,
        args: [SEARCH],
      });
      const firstRunId = started.firstExecutionRunId;
      let handle: WorkflowHandle = client.workflow.getHandle(workflowId);

      // 1. Kill the worker's whole process group (worker + its search threads) while a generation runs: once the
      //    query shows a generation done, watch the server and kill as soon as it shows a new one started there.
      await waitForProgress(client, handle, (p) => p.runsDone > 0, 'a first generation', 180_000, first.exited);
      let worker = first;
      let killed: { key: string; runId: string } | undefined;
      let killedAt = 0;
      const misses: string[] = [];
      while (!killed) {
        const seen = new Set<string>();
        let shot: { key: string; runId: string } | undefined;
        for (const until = Date.now() + 120_000; !shot;) {
          const d = await handle.describe();
          const running = (d.raw.pendingActivities ?? []).find(
            (a) =>
              a.activityType?.name === 'evolveClusteringGeneration' &&
              a.state === PendingActivityState.PENDING_ACTIVITY_STATE_STARTED &&
              a.lastWorkerIdentity?.endsWith(`:${worker.proc.pid}`),
          );
          const key = running && `${d.runId}/${running.activityId}`;
          if (key && seen.size > 0 && !seen.has(key)) {
            await worker.killGroup();
            killedAt = Date.now();
            shot = { key, runId: d.runId };
          } else {
            seen.add(key ?? '');
            const dead = worker.exited();
            if (dead) throw new Error(`waiting for a generation to start: ${dead}`);
            if (Date.now() > until)
              throw new Error(
                `no new generation started on worker ${worker.proc.pid} within 120 s: ${JSON.stringify(d.raw.pendingActivities)}`,
              );
          }
        }
        // Hit when the server still sees that generation started by the dead worker (its heartbeat will time out).
        const cut = (await handle.describe()).raw.pendingActivities?.find(
          (a) => a.activityType?.name === 'evolveClusteringGeneration',
        );
        if (
          cut?.state === PendingActivityState.PENDING_ACTIVITY_STATE_STARTED &&
          `${shot.runId}/${cut.activityId}` === shot.key &&
          cut.lastWorkerIdentity?.endsWith(`:${worker.proc.pid}`)
        ) {
          killed = shot;
        } else {
          // The generation finished between the look and the kill: a miss, not a finding. Try again.
          misses.push(`${shot.key}: ${JSON.stringify(cut)}`);
          assert.ok(misses.length < 3, `three kills missed a running generation: ${misses.join('; ')}`);
          worker = spawnWorker(workerEnv);
        }
      }
      const killAfterMs = killedAt - t0;
      const second = spawnWorker(workerEnv);
      // The first answer of the new worker replays the history: the runs done when the old one died.
      const atKill = await waitForProgress(
        client,
        handle,
        () => true,
        'an answer from the new worker',
        120_000,
        second.exited,
      );
      assert.ok(atKill.runsDone > 0 && atKill.runsDone < RUNS, `killed mid-search (${atKill.runsDone}/${RUNS} runs)`);
      const resumed = await waitForProgress(
        client,
        handle,
        (p) => p.runsDone > atKill.runsDone,
        'a generation after the kill',
        180_000,
        second.exited,
      );
      const killRecoveryMs = Date.now() - killedAt;

      // 2. Later, still mid-search: stop the Temporal server, wait 2 s, start it again on the same port and file.
      const beforeStop = await waitForProgress(
        client,
        handle,
        (p) => p.runsDone >= resumed.runsDone + 2 * GENERATION,
        'two more generations',
        120_000,
        second.exited,
      );
      const stopping = server;
      server = undefined;
      const stoppedAt = Date.now();
      await stopping.stop();
      const {
        rows: [midway],
      } = await pool.query<{ status: string; playlists: number }>(
        `SELECT r.status, (SELECT count(*)::int FROM playlists p WHERE p.clustering_run_id = r.id) AS playlists
         FROM clustering_runs r WHERE r.workflow_id = $1`,
        [workflowId],
      );
      assert.deepEqual(
        midway,
        { status: 'running', playlists: 0 },
        'the server stopped mid-search: nothing stored yet',
      );
      assert.ok(beforeStop.runsDone < RUNS, `the server stopped mid-search (${beforeStop.runsDone}/${RUNS} runs)`);
      await sleep(2000);
      server = await startServer();
      assert.equal(server.reused, false, 'a new server process, not the old one');
      assert.equal(server.address, address);
      const downMs = Date.now() - stoppedAt;

      // A fresh client: the old one's calls failed while the server was away.
      client = await connectClient(address);
      handle = client.workflow.getHandle(workflowId);
      const afterRestart = await waitForProgress(
        client,
        handle,
        () => true,
        'an answer after the restart',
        120_000,
        second.exited,
      );
      await waitForProgress(
        client,
        handle,
        (p) => p.runsDone > afterRestart.runsDone || p.status !== 'searching',
        'progress after the restart',
        180_000,
        second.exited,
      );
      const restartRecoveryMs = Date.now() - stoppedAt;
      let result: ClusteringProgress | undefined;
      for (let attempt = 0; !result; attempt++) {
        try {
          result = (await handle.result()) as ClusteringProgress;
        } catch (err) {
          if (attempt >= 5 || err instanceof WorkflowFailedError) throw err;
          await sleep(1000);
        }
      }
      const totalMs = Date.now() - t0;
      assert.equal(second.exited(), undefined, 'the new worker process survived the server restart');

      // The run: complete, continued as new, every run of the search done once.
      assert.equal(result.status, 'completed');
      assert.equal(result.runsDone, RUNS);
      assert.ok(result.runNumber > 1, `continued as new (run ${result.runNumber})`);
      assert.equal(result.runNumber, reference.result.runNumber, 'the same chain of workflow runs');
      assert.equal(result.outcome?.published, true);
      // The interruption was real: the generation the killed worker ran timed out on its heartbeat and ran again.
      const chain = await retriedGenerations(client, workflowId, firstRunId);
      assert.equal(chain.runs, result.runNumber, 'the history chain has every workflow run');
      assert.ok(
        chain.retried.some((g) => `${g.runId}/${g.activityId}` === killed.key && g.heartbeatTimeout),
        `the cut generation retried after a heartbeat timeout: ${JSON.stringify(chain.retried)}`,
      );

      // The same library snapshot and plan on both databases; then the same search and the same playlists.
      const row = await runRow(pool, workflowId);
      assert.equal(row.status, 'completed');
      assert.deepEqual(
        await snapshotTitles(pool, row.snapshot),
        reference.snapshotTitles,
        'identical snapshots (tracks and order)',
      );
      assert.deepEqual(row.params, reference.params, 'identical resolved plans');
      assert.deepEqual(row.searchState, reference.searchState, 'identical final search state (best, elites)');
      const playlists = await storedPlaylists(pool, workflowId);
      assert.ok(
        playlists.every((p) => p.status === 'published'),
        'all published',
      );
      assert.deepEqual(
        playlists.map((p) => p.name),
        reference.playlists.map((p) => p.name),
        'same playlist names, same order',
      );
      assert.deepEqual(
        playlists.map(({ name, titles }) => ({ name, titles })),
        reference.playlists,
        'same tracks in the same order',
      );
      const files = assertFilesMatch(playlistDir, playlists);
      assert.deepEqual(
        files.map((f) => f.file),
        reference.files.map((f) => f.file),
        'same .m3u8 file names',
      );
      for (const [i, f] of files.entries()) {
        assert.deepEqual(f.tracks, reference.files[i].tracks, `${f.file}: same track lines`);
        assert.equal(f.body, reference.files[i].body, `${f.file}: same contents`);
      }

      const retried = chain.retried
        .map((g) => `attempt ${g.attempt}${g.heartbeatTimeout ? ' (heartbeat timeout)' : ''}`)
        .join(', ');
      const timings =
        `killed ${seconds(killAfterMs)} after the start at ${atKill.runsDone}/${RUNS} runs, next generation done ${seconds(killRecoveryMs)} after the kill; ` +
        `server stopped at ≥${beforeStop.runsDone}/${RUNS} runs, away ${seconds(downMs)}, progress ${seconds(restartRecoveryMs)} after the stop; ` +
        `${misses.length} missed kill(s); completed in ${seconds(totalMs)} (reference ${seconds(reference.ms)}); ${result.runNumber} workflow runs; retried generations: ${retried}`;
      t.diagnostic(timings);
      console.log(`[clustering-durability] ${playlists.length} identical playlists; ${timings}`);
      await second.killGroup();
    },
  );
});
