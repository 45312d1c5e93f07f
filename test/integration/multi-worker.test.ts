// Three worker processes started separately, as three pods would be (each with its own analysis process and
// download folder), against one Temporal and one PostgreSQL: they share one library analysis and one
// clustering run. One is killed with -9 while it analyses a track and never comes back: the other two finish
// its album after the heartbeat timeout, every track stored once. Then one of the two is killed in the middle of
// a search generation and the last one finishes the clustering, its playlists published once.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import proto from '@temporalio/proto';
import type { LibraryProgress } from '../../contracts/analysis.ts';
import type { ClusterLibraryInput, ClusteringProgress } from '../../contracts/clustering.ts';
import { clusteringProgressQuery } from '../../contracts/clustering.ts';
import { createPool, migrate, type Pool } from '../../lib/db.ts';
import { createMediaProvider } from '../../providers/media/index.ts';
import { analysisTaskQueue, clusteringTaskQueue } from '../../words/task-queues.ts';
import { makeClipLibrary, requireSongsAndModels, SONGS_DIR } from '../helpers/analysis-library.ts';
import { plantLibrary, storePlantedFeatures } from '../helpers/planted-library.ts';
import { freshDatabase, releaseServices, scratchDir, services } from '../helpers/services.ts';
import { waitFor } from '../helpers/wait.ts';
import { onCleanup, runCleanups, sleep, spawnWorker, type WorkerProcess } from '../helpers/worker-process.ts';
import { testConfig, workflowBundle } from '../helpers/worker.ts';
import { modelsDir } from '../shared-paths.ts';

const { PendingActivityState, TaskQueueType, TimeoutType } = proto.temporal.api.enums.v1;
type History = proto.temporal.api.history.v1.IHistory;

const ALBUMS = 12;
const TRACKS_PER_ALBUM = 2;
const TRACKS = ALBUMS * TRACKS_PER_ALBUM;
const PLANTED = 600;
/** 30 generations of 100 candidates, continuing as new every 5 (as clustering-durability): time to kill one. */
const SEARCH: ClusterLibraryInput = {
  algorithm: 'kmeans',
  runs: 3000,
  generationSize: 100,
  seed: 23,
  featureSpace: 'moods',
  topNMoods: 5,
  numClustersMin: 4,
  numClustersMax: 24,
  pcaComponentsMin: 0,
  pcaComponentsMax: 0,
  minPlaylistSize: 10,
  maxSongsPerCluster: 60,
  maxSongsPerArtist: 100,
  maxDistance: 0.5,
  generationsPerRun: 5,
  earlyStopGenerations: 0,
  aiProvider: 'NONE',
  publish: true,
};

let dir: string;
/** MUSIC_DIR of every worker (a volume all pods mount); the clips live one folder below, ids unique per run. */
let musicRoot: string;
let playlistDir: string;
let pool: Pool;
let client: Client;
let taskQueue: string;
/** The three "pods"; `workers` holds those still running. */
let pods: Pod[] = [];
let workers: Pod[] = [];

interface Pod {
  name: string;
  process: WorkerProcess;
  /** Identities it shows Temporal: its main worker, its clustering worker and its analysis process. */
  main: string;
  clustering: string;
  analysis: string;
}

const hasMaterial = () => fs.existsSync(SONGS_DIR) && fs.existsSync(modelsDir);

before(
  async () => {
    if (!hasMaterial()) return;
    dir = scratchDir('multi-worker');
    musicRoot = path.join(dir, 'music');
    playlistDir = path.join(dir, 'playlists');
    // 15 s clips: one to two seconds of analysis each, so the three processes are all busy when one dies.
    await makeClipLibrary(path.join(musicRoot, `lib-${randomUUID().slice(0, 8)}`), {
      albums: ALBUMS,
      tracksPerAlbum: TRACKS_PER_ALBUM,
      seconds: 15,
    });
    const databaseUrl = await freshDatabase();
    pool = createPool(databaseUrl);
    onCleanup(() => pool.end());
    await migrate(pool);
    const { temporalAddress } = await services();
    const connection = await Connection.connect({ address: temporalAddress });
    onCleanup(() => connection.close());
    client = new Client({ connection });
    // The image's pre-built bundle (WORKFLOW_BUNDLE): three webpack runs at once would only cost time.
    const bundlePath = path.join(dir, 'workflow-bundle.js');
    fs.writeFileSync(bundlePath, (await workflowBundle()).code);
    taskQueue = `test-${randomUUID()}`;
    pods = ['pod-a', 'pod-b', 'pod-c'].map((name) => {
      const tempDir = path.join(dir, `tmp-${name}`);
      const process = spawnWorker({
        DATABASE_URL: databaseUrl,
        TEMPORAL_ADDRESS: temporalAddress,
        TEMPORAL_TASK_QUEUE: taskQueue,
        WORKFLOW_BUNDLE: bundlePath,
        ANALYSIS_WORKERS: '1',
        MEDIA_SERVER_TYPE: 'local',
        MUSIC_DIR: musicRoot,
        PLAYLIST_DIR: playlistDir,
        MODELS_DIR: modelsDir,
        TEMP_DIR: tempDir,
        // Three albums of two tracks in flight: more than the three analysis processes can take at once.
        MAX_CONCURRENT_ALBUMS: '3',
      });
      const pid = process.proc.pid!;
      return { name, process, main: identity('worker', pid), clustering: identity('clustering', pid), analysis: '' };
    });
    workers = [...pods];
    await pollersReady();
  },
  { timeout: 240_000 },
);

after(
  async () => {
    await runCleanups();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
    await releaseServices();
  },
  { timeout: 60_000 },
);

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const identity = (kind: string, pid: number) => `audiomuse-${kind}@${os.hostname()}:${pid}`;

/** The process group a pid belongs to (every worker is its own group: its analysis process is in it). */
function groupOf(pid: number): number | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
  } catch {
    return undefined;
  }
}

async function pollers(queue: string, type: proto.temporal.api.enums.v1.TaskQueueType): Promise<string[]> {
  const r = await client.workflowService.describeTaskQueue({
    namespace: 'default',
    taskQueue: { name: queue },
    taskQueueType: type,
  });
  return (r.pollers ?? []).map((p) => p.identity ?? '');
}

/** Waits until each pod polls all three queues; learns each pod's analysis process from its poller. */
async function pollersReady(): Promise<void> {
  const exited = () => workers.map((w) => w.process.exited()).find(Boolean);
  await waitFor(
    'three pods polling the workflow, clustering and analysis queues',
    async () => {
      const dead = exited();
      if (dead) throw new Error(dead);
      const main = await pollers(taskQueue, TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW);
      const clustering = await pollers(clusteringTaskQueue(taskQueue), TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY);
      const analysis = await pollers(analysisTaskQueue(taskQueue), TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY);
      for (const w of workers) {
        w.analysis = analysis.find((id) => groupOf(Number(id.split(':').at(-1))) === w.process.proc.pid) ?? '';
        if (!main.includes(w.main) || !clustering.includes(w.clustering) || !w.analysis) return false;
      }
      return true;
    },
    180_000,
    500,
  );
}

const podOf = (id: string | null | undefined) =>
  pods.find((w) => id === w.main || id === w.clustering || id === w.analysis)?.name ?? `unknown ${id}`;

interface TrackAttempt {
  album: string;
  activityId: string;
  /** The last attempt (history keeps only that one): its number, who ran it, why the one before ended. */
  attempt: number;
  by: string;
  heartbeatTimeout: boolean;
  completed: boolean;
}

/** Every analyzeLibraryTrack of the album children, from their histories. */
async function trackAttempts(albumWorkflowIds: string[]): Promise<TrackAttempt[]> {
  const out: TrackAttempt[] = [];
  for (const album of albumWorkflowIds) {
    const events = ((await client.workflow.getHandle(album).fetchHistory()) as History).events ?? [];
    const scheduled = new Map<string, string>();
    const started = new Map<string, TrackAttempt>();
    for (const e of events) {
      const s = e.activityTaskScheduledEventAttributes;
      if (s?.activityType?.name === 'analyzeLibraryTrack') scheduled.set(String(e.eventId), s.activityId!);
      const st = e.activityTaskStartedEventAttributes;
      const activityId = st && scheduled.get(String(st.scheduledEventId));
      if (st && activityId) {
        const a: TrackAttempt = {
          album,
          activityId,
          attempt: st.attempt ?? 1,
          by: st.identity ?? '',
          heartbeatTimeout: st.lastFailure?.timeoutFailureInfo?.timeoutType === TimeoutType.TIMEOUT_TYPE_HEARTBEAT,
          completed: false,
        };
        started.set(String(e.eventId), a);
        out.push(a);
      }
      const done = e.activityTaskCompletedEventAttributes;
      if (done) {
        const a = started.get(String(done.startedEventId));
        if (a) a.completed = true;
      }
    }
  }
  return out;
}

interface FeatureRow {
  trackId: string;
  title: string;
  analyzedAt: string;
  writes: number;
  attempts: number;
}

async function featureRows(): Promise<FeatureRow[]> {
  const { rows } = await pool.query<FeatureRow>(
    `SELECT t.id::text AS "trackId", t.title, f.analyzed_at::text AS "analyzedAt", f.writes, t.attempts
       FROM track_features f JOIN tracks t ON t.id = f.track_id ORDER BY t.id`,
  );
  return rows;
}

/** A started analyzeLibraryTrack of a running album, and who runs it. */
interface Running {
  key: string;
  album: string;
  activityId: string;
  by: string;
}

async function runningTracks(handle: WorkflowHandle): Promise<Running[]> {
  const children = (await handle.describe()).raw.pendingChildren ?? [];
  const out: Running[] = [];
  for (const c of children) {
    const d = await client.workflow
      .getHandle(c.workflowId!)
      .describe()
      .catch(() => undefined);
    for (const a of d?.raw.pendingActivities ?? [])
      if (a.state === PendingActivityState.PENDING_ACTIVITY_STATE_STARTED && a.lastWorkerIdentity)
        out.push({
          key: `${c.workflowId}/${a.activityId}`,
          album: c.workflowId!,
          activityId: a.activityId!,
          by: a.lastWorkerIdentity,
        });
  }
  return out;
}

describe('three worker processes share the work', { timeout: 900_000 }, () => {
  let analysed = false;

  test(
    'one library analysis on three pods, one killed with -9 and never restarted: its album finished by the others, every track stored once',
    { timeout: 420_000 },
    async (t) => {
      if (!requireSongsAndModels(t)) return;
      const workflowId = `multi-worker-analysis-${randomUUID()}`;
      const handle = await client.workflow.start('analyzeLibrary', { taskQueue, workflowId, args: [{}] });

      // Kill the pod whose analysis process has finished a track and holds its next one: a track seen running
      // on it before, and now another.
      const seen = new Map<string, Set<string>>(workers.map((w) => [w.analysis, new Set<string>()]));
      let cut: Running | undefined;
      let victim: Pod | undefined;
      await waitFor(
        'a pod holding its second track',
        async () => {
          const dead = workers.map((w) => w.process.exited()).find(Boolean);
          if (dead) throw new Error(dead);
          for (const r of await runningTracks(handle)) {
            const mine = seen.get(r.by);
            if (!mine) continue;
            if (mine.size > 0 && !mine.has(r.key)) {
              victim = workers.find((w) => w.analysis === r.by)!;
              await victim.process.killGroup();
              cut = r;
              return true;
            }
            mine.add(r.key);
          }
          return false;
        },
        240_000,
        50,
      );
      assert.ok(cut && victim);
      const killedAt = Date.now();
      const storedAtKill = await featureRows();
      const survivors = workers.filter((w) => w !== victim);
      workers = survivors;
      // The kill hit a track in flight: the server still sees it started by the dead process.
      const pendingNow = (await client.workflow.getHandle(cut.album).describe()).raw.pendingActivities ?? [];
      assert.ok(
        pendingNow.some((a) => a.activityId === cut!.activityId && a.lastWorkerIdentity === victim!.analysis),
        `the killed pod held ${cut.key} (pending now: ${JSON.stringify(pendingNow.map((a) => [a.activityId, a.lastWorkerIdentity]))})`,
      );
      assert.ok(storedAtKill.length < TRACKS, `killed mid-run (${storedAtKill.length}/${TRACKS} stored)`);

      const result = (await handle.result()) as LibraryProgress;
      const recoveredMs = Date.now() - killedAt;
      for (const w of survivors) assert.equal(w.process.exited(), undefined, `${w.name} still runs`);
      analysed = true;

      // The run and the database: every track once, nothing failed, nothing stored before the kill rewritten.
      assert.equal(result.status, 'completed');
      assert.equal(result.albumsDone, ALBUMS);
      assert.equal(result.albumsFailed, 0);
      assert.equal(result.tracksFailed, 0, 'no track lost to the kill');
      assert.equal(result.tracksAnalyzed, TRACKS);
      const rows = await featureRows();
      assert.equal(rows.length, TRACKS, 'one features row per track');
      for (const r of rows) assert.equal(r.writes, 1, `${r.title}: features written ${r.writes} times`);
      const { rows: tracks } = await pool.query<{ n: number; distinct: number; analysed: number }>(
        `SELECT count(*)::int AS n, count(DISTINCT (source, item_id))::int AS distinct,
                count(*) FILTER (WHERE analysis_status = 'analyzed')::int AS analysed FROM tracks`,
      );
      assert.deepEqual(tracks[0], { n: TRACKS, distinct: TRACKS, analysed: TRACKS }, 'one analysed row per track');
      for (const b of storedAtKill)
        assert.equal(rows.find((r) => r.trackId === b.trackId)?.analyzedAt, b.analyzedAt, `${b.title} not redone`);

      // Who did what, from the album children's histories.
      const albums = (await client.workflow.getHandle(workflowId).fetchHistory()).events!.flatMap(
        (e) => e.startChildWorkflowExecutionInitiatedEventAttributes?.workflowId ?? [],
      );
      assert.equal(albums.length, ALBUMS);
      const attempts = await trackAttempts(albums);
      assert.equal(attempts.filter((a) => a.completed).length, TRACKS, 'every track activity completed once');
      const share = pods.map((w) => {
        const mine = attempts.filter((a) => a.completed && a.by === w.analysis);
        return { pod: w.name, tracks: mine.length, albums: new Set(mine.map((a) => a.album)).size };
      });
      for (const s of share) assert.ok(s.tracks > 0, `${s.pod} analysed tracks: ${JSON.stringify(share)}`);
      // The killed pod's track: retried after the heartbeat timeout by a surviving pod, its album completed.
      const redo = attempts.find((a) => a.album === cut!.album && a.activityId === cut!.activityId)!;
      assert.ok(
        redo.completed && redo.attempt > 1 && redo.heartbeatTimeout && survivors.some((w) => w.analysis === redo.by),
        `the killed pod's track finished by another pod after a heartbeat timeout: ${JSON.stringify(redo)}`,
      );
      const albumEnd = await client.workflow.getHandle(cut.album).describe();
      assert.equal(albumEnd.status.name, 'COMPLETED', `${cut.album} completed`);

      const retried = rows.filter((r) => r.attempts > 1).map((r) => r.title);
      const line =
        `shares ${share.map((s) => `${s.pod}${s.pod === victim!.name ? ' (killed)' : ''}: ${s.tracks} tracks of ${s.albums} albums`).join(', ')}; ` +
        `${storedAtKill.length}/${TRACKS} stored at the kill, run completed ${seconds(recoveredMs)} after it; ${cut.key} finished on attempt ${redo.attempt} by ${podOf(redo.by)}; stored on a retried attempt: ${retried.join(', ')}`;
      t.diagnostic(line);
      console.log(`[multi-worker] analysis: ${line}`);
    },
  );

  test(
    'one clustering on the two pods left, one killed with -9 mid-generation: the last finishes, playlists published once',
    { timeout: 420_000 },
    async (t) => {
      if (!requireSongsAndModels(t)) return;
      assert.ok(analysed, 'the analysis completed');
      assert.equal(workers.length, 2);
      // A library big enough for a search that takes a while, beside the analysed clips in the same folder.
      const lib = plantLibrary(path.join(musicRoot, `planted-${randomUUID().slice(0, 8)}`), {
        tracks: PLANTED,
        groups: 8,
        seed: 29,
      });
      const media = await createMediaProvider(testConfig({ MEDIA_SERVER_TYPE: 'local', MUSIC_DIR: musicRoot }));
      assert.equal(await storePlantedFeatures(pool, media, lib), PLANTED);

      const workflowId = `multi-worker-clustering-${randomUUID()}`;
      const started = await client.workflow.start('clusterLibrary', { taskQueue, workflowId, args: [SEARCH] });
      const handle = client.workflow.getHandle(workflowId);
      const progress = () =>
        client.connection
          .withDeadline(Date.now() + 5000, () => handle.query(clusteringProgressQuery))
          .catch(() => undefined);

      // Generations go one at a time to whichever pod's clustering worker polls first. After one is done, kill
      // the pod that runs the next one.
      await waitFor('a first generation', async () => ((await progress())?.runsDone ?? 0) > 0, 180_000, 100);
      let cut: { key: string; by: Pod } | undefined;
      const seen = new Set<string>();
      await waitFor(
        'a new generation running',
        async () => {
          const d = await handle.describe();
          const g = (d.raw.pendingActivities ?? []).find(
            (a) =>
              a.activityType?.name === 'evolveClusteringGeneration' &&
              a.state === PendingActivityState.PENDING_ACTIVITY_STATE_STARTED,
          );
          const by = workers.find((w) => w.clustering === g?.lastWorkerIdentity);
          if (!g || !by) return false;
          const key = `${d.runId}/${g.activityId}`;
          if (seen.size > 0 && !seen.has(key)) {
            await by.process.killGroup();
            cut = { key, by };
            return true;
          }
          seen.add(key);
          return false;
        },
        180_000,
        25,
      );
      assert.ok(cut);
      const killedAt = Date.now();
      const last = workers.find((w) => w !== cut!.by)!;
      const atKill = await handle.describe();
      const pending = atKill.raw.pendingActivities?.find((a) => a.activityType?.name === 'evolveClusteringGeneration');
      assert.ok(
        pending &&
          `${atKill.runId}/${pending.activityId}` === cut.key &&
          pending.lastWorkerIdentity === cut.by.clustering,
        `the killed pod held generation ${cut.key}: ${JSON.stringify(pending)}`,
      );

      const result = (await handle.result()) as ClusteringProgress;
      const recoveredMs = Date.now() - killedAt;
      assert.equal(last.process.exited(), undefined, `${last.name} still runs`);
      assert.equal(result.status, 'completed');
      assert.equal(result.runsDone, SEARCH.runs);
      assert.equal(result.outcome?.published, true);

      // The chain of runs: who ran each generation, the cut one retried on the last pod, one publish.
      const generations = new Map<string, number>();
      let retriedCut: { attempt: number; by: string; heartbeatTimeout: boolean } | undefined;
      let publishes = 0;
      for (let runId: string | undefined = started.firstExecutionRunId; runId;) {
        const events: NonNullable<History['events']> =
          ((await client.workflow.getHandle(workflowId, runId).fetchHistory()) as History).events ?? [];
        const scheduled = new Map<string, string>();
        for (const e of events) {
          const s = e.activityTaskScheduledEventAttributes;
          if (s) scheduled.set(String(e.eventId), `${s.activityType?.name}/${s.activityId}`);
          const st = e.activityTaskStartedEventAttributes;
          const [type, activityId] = (st && scheduled.get(String(st.scheduledEventId))?.split('/')) ?? [];
          if (st && type === 'evolveClusteringGeneration') {
            const by = podOf(st.identity);
            generations.set(by, (generations.get(by) ?? 0) + 1);
            if (`${runId}/${activityId}` === cut.key)
              retriedCut = {
                attempt: st.attempt ?? 1,
                by: st.identity ?? '',
                heartbeatTimeout:
                  st.lastFailure?.timeoutFailureInfo?.timeoutType === TimeoutType.TIMEOUT_TYPE_HEARTBEAT,
              };
          }
          const done = e.activityTaskCompletedEventAttributes;
          if (done && scheduled.get(String(done.scheduledEventId))?.startsWith('publishClusteringPlaylists/'))
            publishes++;
        }
        runId = events.at(-1)?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? undefined;
      }
      assert.equal(
        [...generations.values()].reduce((a, b) => a + b, 0),
        SEARCH.runs! / SEARCH.generationSize!,
        'every generation ran to completion once',
      );
      assert.ok(
        retriedCut && retriedCut.attempt > 1 && retriedCut.heartbeatTimeout && retriedCut.by === last.clustering,
        `the cut generation ran again on ${last.name} after a heartbeat timeout: ${JSON.stringify(retriedCut)}`,
      );
      assert.equal(publishes, 1, 'published once');

      // The playlists: stored once, all published, one .m3u8 each.
      const { rows: playlists } = await pool.query<{ name: string; status: string }>(
        `SELECT p.name, p.status FROM playlists p JOIN clustering_runs r ON r.id = p.clustering_run_id
          WHERE r.workflow_id = $1 ORDER BY p.position`,
        [workflowId],
      );
      assert.ok(playlists.length >= 4, `${playlists.length} playlists`);
      assert.equal(playlists.length, result.outcome!.playlists.length);
      assert.equal(new Set(playlists.map((p) => p.name)).size, playlists.length, 'no playlist stored twice');
      assert.ok(
        playlists.every((p) => p.status === 'published'),
        'all published',
      );
      const { rows: all } = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM playlists');
      assert.equal(all[0].n, playlists.length, 'no other playlist rows');
      const files = fs.readdirSync(playlistDir).filter((f) => f.endsWith('.m3u8'));
      assert.equal(files.length, playlists.length, `one .m3u8 per playlist: ${files.join(', ')}`);

      const line =
        `generations ${[...generations].map(([pod, n]) => `${pod}${pod === cut!.by.name ? ' (killed)' : ''}: ${n}`).join(', ')}; ` +
        `generation ${cut.key} finished on attempt ${retriedCut!.attempt} by ${podOf(retriedCut!.by)}, run completed ${seconds(recoveredMs)} after the kill; ${playlists.length} playlists published once`;
      t.diagnostic(line);
      console.log(`[multi-worker] clustering: ${line}`);
    },
  );
});
