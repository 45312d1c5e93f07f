// clusterLibrary end to end on a real Temporal dev server and PostgreSQL: planted analysed libraries →
// search → playlists stored and published to the local folder (.m3u8), the Jellyfin stand-in and the
// Navidrome stand-in; a second run replaces only our playlists and keeps stable names; dry runs; a lost
// reply during publishing; cancellation.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { WorkflowFailedError } from '@temporalio/client';
import { createMediaProvider } from '../../providers/media/index.ts';
import type { MediaProvider } from '../../providers/media/provider.ts';
import { createPool, migrate } from '../../lib/db.ts';
import { findTemporalCli } from '../../lib/embedded/temporal.ts';
import type { ClusterLibraryInput, ClusteringProgress } from '../../contracts/clustering.ts';
import { clusteringProgressQuery } from '../../contracts/clustering.ts';
import { plantLibrary, storePlantedFeatures, type PlantedLibrary } from '../helpers/planted-library.ts';
import { freshDatabase, releaseServices, scratchDir, services } from '../helpers/services.ts';
import { waitFor } from '../helpers/wait.ts';
import { cliEnvironment, runCli } from '../helpers/cli.ts';
import { startTestWorker, testConfig } from '../helpers/worker.ts';
import { JellyfinStandin } from '../standins/jellyfin.ts';
import { answer, failure, startLlmStandin } from '../standins/llm.ts';
import { startNavidromeStandin } from '../standins/navidrome.ts';

const exec = promisify(execFile);
let dir: string;
let lib: PlantedLibrary;
before(() => {
  dir = scratchDir('clustering-wf');
  lib = plantLibrary(dir, { tracks: 240, groups: 6, seed: 5 });
});
after(async () => {
  fs.rmSync(dir, { recursive: true, force: true });
  await releaseServices();
});

/** Small ranges for a small library; 3 generations, continuing as new after every 2. */
const SEARCH: ClusterLibraryInput = {
  runs: 60,
  seed: 3,
  numClustersMin: 4,
  numClustersMax: 9,
  minPlaylistSize: 10,
  maxSongsPerCluster: 60,
  maxSongsPerArtist: 100,
  pcaComponentsMin: 0,
  pcaComponentsMax: 0,
  featureSpace: 'moods',
  generationsPerRun: 2,
  earlyStopGenerations: 0,
};

async function setup(env: Record<string, string>) {
  const { temporalAddress } = await services();
  const databaseUrl = await freshDatabase();
  const pool = createPool(databaseUrl);
  await migrate(pool);
  const config = testConfig({ ANALYSIS_WORKERS: '0', ...env });
  const media = await createMediaProvider(config);
  assert.equal(await storePlantedFeatures(pool, media, lib), 240);
  const w = await startTestWorker({ address: temporalAddress, pool, config });
  const cluster = (workflowId: string, input: ClusterLibraryInput = SEARCH) =>
    w.client.workflow.execute('clusterLibrary', {
      taskQueue: config.temporal.taskQueue,
      workflowId,
      args: [input],
    }) as Promise<ClusteringProgress>;
  return {
    pool,
    databaseUrl,
    config,
    media,
    client: w.client,
    cluster,
    async stop() {
      await w.stop();
      await pool.end();
    },
  };
}

async function stored(pool: ReturnType<typeof createPool>, workflowId: string) {
  const { rows } = await pool.query<{
    name: string;
    status: string;
    server_playlist_id: string | null;
    name_source: string;
    titles: string[];
  }>(
    `SELECT p.name, p.status, p.server_playlist_id, p.name_source,
            array_agg(t.title ORDER BY pt.position) AS titles
       FROM playlists p JOIN clustering_runs r ON r.id = p.clustering_run_id
       JOIN playlist_tracks pt ON pt.playlist_id = p.id JOIN tracks t ON t.id = pt.track_id
      WHERE r.workflow_id = $1 GROUP BY p.id ORDER BY p.position`,
    [workflowId],
  );
  return rows;
}

/** Share of each playlist's tracks from its most common planted group, over all playlists. */
function purity(playlists: { titles: string[] }[]): number {
  let agree = 0,
    total = 0;
  for (const p of playlists) {
    const counts = new Map<number, number>();
    for (const t of p.titles) counts.set(lib.groupOf.get(t)!, (counts.get(lib.groupOf.get(t)!) ?? 0) + 1);
    agree += Math.max(...counts.values());
    total += p.titles.length;
  }
  return agree / total;
}

async function serverPlaylists(media: MediaProvider) {
  return (await media.listPlaylists()).map((p) => ({ id: p.id, name: p.name, trackCount: p.trackCount }));
}

/** What the database calls published for a run is on the server, whole and under its name. */
async function assertPublishedExist(pool: ReturnType<typeof createPool>, media: MediaProvider, workflowId: string) {
  const rows = (await stored(pool, workflowId)).filter((r) => r.status === 'published');
  assert.ok(rows.length > 0, `${workflowId} published playlists`);
  const onServer = await serverPlaylists(media);
  for (const r of rows) {
    const found = onServer.find((p) => p.id === r.server_playlist_id);
    assert.deepEqual(
      found && [found.name, found.trackCount],
      [r.name, r.titles.length],
      `${r.name} (${r.server_playlist_id}) is on the server`,
    );
  }
  return rows;
}

test('local folder: playlists as .m3u8, a second run keeps names and replaces only our playlists, a dry run touches nothing', async () => {
  const playlistDir = path.join(dir, 'local-playlists');
  const s = await setup({ MEDIA_SERVER_TYPE: 'local', MUSIC_DIR: lib.musicDir, PLAYLIST_DIR: playlistDir });
  try {
    const first = await s.cluster('cluster-local-1');
    assert.equal(first.status, 'completed');
    assert.equal(first.runsDone, 60);
    assert.ok(first.runNumber >= 2, 'the search continued as new');
    assert.ok(first.outcome!.published);
    const rows = await stored(s.pool, 'cluster-local-1');
    assert.ok(rows.length >= 4, `${rows.length} playlists`);
    assert.ok(
      rows.every((r) => r.status === 'published' && r.server_playlist_id && /_automatic( \(\d+\))?$/.test(r.name)),
    );
    assert.ok(purity(rows) > 0.9, `playlists follow the planted groups (purity ${purity(rows).toFixed(3)})`);
    const files = fs.readdirSync(playlistDir).filter((f) => f.endsWith('.m3u8'));
    assert.equal(files.length, rows.length, 'one .m3u8 per playlist');
    const onServer = await serverPlaylists(s.media);
    for (const r of rows)
      assert.equal(onServer.find((p) => p.id === r.server_playlist_id)?.trackCount, r.titles.length);

    // A user's own playlists, one of them named like ours: never deleted.
    fs.writeFileSync(path.join(playlistDir, 'Mine_automatic.m3u8'), '#EXTM3U\n');
    fs.writeFileSync(path.join(playlistDir, 'Road trip.m3u8'), '#EXTM3U\n');

    const second = await s.cluster('cluster-local-2');
    assert.equal(second.status, 'completed');
    assert.equal(second.outcome!.kept, rows.length, 'same library, same seed: every name kept');
    assert.equal(second.outcome!.new, 0);
    assert.equal(second.outcome!.removed, 0);
    const rows2 = await stored(s.pool, 'cluster-local-2');
    assert.deepEqual(
      rows2.map((r) => [r.name, r.titles]),
      rows.map((r) => [r.name, r.titles]),
      'identical playlists',
    );
    assert.ok(rows2.every((r) => r.name_source === 'kept'));
    const { rows: old } = await s.pool
      .query(`SELECT count(*)::int AS n FROM playlists p JOIN clustering_runs r ON r.id = p.clustering_run_id
      WHERE r.workflow_id = 'cluster-local-1' AND p.status = 'superseded'`);
    assert.equal(old[0].n, rows.length, "the first run's playlists are superseded");
    const after2 = fs
      .readdirSync(playlistDir)
      .filter((f) => f.endsWith('.m3u8'))
      .sort();
    assert.ok(after2.includes('Mine_automatic.m3u8') && after2.includes('Road trip.m3u8'), 'user playlists survive');
    assert.equal(after2.length, rows.length + 2, 'no duplicates: the old files were replaced');

    const dry = await s.cluster('cluster-local-dry', { ...SEARCH, seed: 11, publish: false });
    assert.equal(dry.outcome!.published, false);
    const drafts = await stored(s.pool, 'cluster-local-dry');
    assert.ok(drafts.length > 0 && drafts.every((r) => r.status === 'draft' && r.server_playlist_id === null));
    assert.deepEqual(
      fs
        .readdirSync(playlistDir)
        .filter((f) => f.endsWith('.m3u8'))
        .sort(),
      after2,
      'a dry run touches no file',
    );

    // A track deleted from the folder since its analysis: left out of its playlist and counted, not a failure.
    const gone = rows[0].titles[0];
    const file = fs
      .readdirSync(lib.musicDir, { recursive: true, encoding: 'utf8' })
      .find((f) => f.endsWith(` - ${gone}.wav`))!;
    const moved = path.join(dir, 'moved.wav');
    fs.renameSync(path.join(lib.musicDir, file), moved);
    try {
      const third = await s.cluster('cluster-local-3');
      assert.equal(third.status, 'completed');
      assert.equal(third.outcome!.missingTracks, 1, 'one track left out');
      const rows3 = await stored(s.pool, 'cluster-local-3');
      const {
        rows: [p],
      } = await s.pool.query<{ missing_tracks: number }>(
        `SELECT p.missing_tracks FROM playlists p JOIN clustering_runs r ON r.id = p.clustering_run_id WHERE r.workflow_id = 'cluster-local-3' AND p.name = $1`,
        [rows3[0].name],
      );
      assert.equal(p.missing_tracks, 1);
      const m3u8 = fs
        .readdirSync(playlistDir)
        .filter((f) => f.endsWith('.m3u8'))
        .map((f) => fs.readFileSync(path.join(playlistDir, f), 'utf8'))
        .join('\n');
      assert.ok(!m3u8.includes(` - ${gone}.wav`), 'the deleted file is in no playlist');
    } finally {
      fs.renameSync(moved, path.join(lib.musicDir, file));
    }
  } finally {
    await s.stop();
  }
});

test('local folder: a re-run keeps every file name; files deleted by hand come back; a playlist the user replaced or renamed is left alone', async () => {
  const playlistDir = path.join(dir, 'keep-playlists');
  const s = await setup({ MEDIA_SERVER_TYPE: 'local', MUSIC_DIR: lib.musicDir, PLAYLIST_DIR: playlistDir });
  const m3u8 = () =>
    fs
      .readdirSync(playlistDir)
      .filter((f) => f.endsWith('.m3u8'))
      .sort();
  const read = (f: string) => fs.readFileSync(path.join(playlistDir, f), 'utf8');
  try {
    assert.equal((await s.cluster('keep-1')).status, 'completed');
    const rows1 = await assertPublishedExist(s.pool, s.media, 'keep-1');
    const files = m3u8();
    assert.equal(files.length, rows1.length);

    // The same result again: every playlist is written over its own file.
    assert.equal((await s.cluster('keep-2')).status, 'completed');
    assert.deepEqual(m3u8(), files, 'every playlist keeps its file name');
    const rows2 = await assertPublishedExist(s.pool, s.media, 'keep-2');
    assert.deepEqual(
      rows2.map((r) => r.server_playlist_id),
      rows1.map((r) => r.server_playlist_id),
    );

    // Files deleted by hand, then a run that keeps the names: written under the freed names, and kept.
    for (const f of files) fs.rmSync(path.join(playlistDir, f));
    assert.equal((await s.cluster('keep-3')).status, 'completed');
    assert.deepEqual(m3u8(), files, 'every file is back');
    await assertPublishedExist(s.pool, s.media, 'keep-3');

    // The user replaces one file with their own and renames another playlist (its #PLAYLIST line).
    const [taken, renamed] = files;
    const theirs = '#EXTM3U\n#PLAYLIST:Mine now\n';
    fs.writeFileSync(path.join(playlistDir, taken), theirs);
    const renamedText = read(renamed).replace(/^#PLAYLIST:.*$/m, '#PLAYLIST:Renamed by me');
    fs.writeFileSync(path.join(playlistDir, renamed), renamedText);
    const fourth = await s.cluster('keep-4');
    assert.equal(fourth.status, 'completed', fourth.error);
    assert.equal(fourth.outcome!.leftAlone, 2, 'left alone: 2');
    assert.equal(read(taken), theirs, "the user's file is untouched");
    assert.equal(read(renamed), renamedText, 'the renamed playlist is untouched');
    assert.equal(m3u8().length, files.length + 2, 'the two taken names got numbered siblings');
    await assertPublishedExist(s.pool, s.media, 'keep-4');
    const { rows: recorded } = await s.pool.query<{ left: number; superseded: number }>(
      `SELECT (r.outcome->>'leftAlone')::int AS left,
              (SELECT count(*)::int FROM playlists p JOIN clustering_runs r3 ON r3.id = p.clustering_run_id
                WHERE r3.workflow_id = 'keep-3' AND p.status = 'superseded') AS superseded
         FROM clustering_runs r WHERE r.workflow_id = 'keep-4'`,
    );
    assert.deepEqual(recorded[0], { left: 2, superseded: rows1.length }, 'counted in the run, ours superseded');
  } finally {
    await s.stop();
  }
});

test('Jellyfin: published, a user playlist ending in _automatic survives, a reply lost during publish leaves no duplicate', async () => {
  const standin = new JellyfinStandin(lib.jellyfin, '10.11.11');
  const url = await standin.listen();
  const user = standin.user('alice');
  const s = await setup({
    MEDIA_SERVER_TYPE: 'jellyfin',
    JELLYFIN_URL: url,
    JELLYFIN_USER_ID: user.id,
    JELLYFIN_TOKEN: user.token,
  });
  try {
    // The user's own playlist, named like ours, made before AudioMuse ever ran.
    const someTrack = (
      await s.media.listAlbumTracks((await s.media.listRecentAlbums({ startIndex: 0, limit: 1 })).albums[0].id)
    )[0];
    const mine = await s.media.createPlaylist('Chill_Slow_automatic', [someTrack.id]);

    // The second playlist's create is done by the server but its reply is lost: the retry must adopt it.
    standin.addFault({ method: 'POST', path: /^\/Playlists$/, status: 500, after: 1, times: 1, afterHandling: true });
    const first = await s.cluster('cluster-jf-1');
    assert.equal(first.status, 'completed');
    const rows = await stored(s.pool, 'cluster-jf-1');
    let onServer = await serverPlaylists(s.media);
    const ours = onServer.filter((p) => p.id !== mine.id);
    assert.equal(
      ours.length,
      rows.length,
      `no duplicate after the lost reply: ${JSON.stringify(ours.map((p) => p.name))}`,
    );
    assert.deepEqual(ours.map((p) => p.name).sort(), rows.map((r) => r.name).sort());
    for (const r of rows)
      assert.equal(
        onServer.find((p) => p.id === r.server_playlist_id)?.trackCount,
        r.titles.length,
        `${r.name} is complete`,
      );

    const second = await s.cluster('cluster-jf-2', { ...SEARCH, seed: 4 });
    assert.equal(second.status, 'completed');
    onServer = await serverPlaylists(s.media);
    assert.ok(
      onServer.some((p) => p.id === mine.id),
      "the user's Chill_Slow_automatic survives",
    );
    const rows2 = await assertPublishedExist(s.pool, s.media, 'cluster-jf-2');
    assert.equal(onServer.length, rows2.length + 1, "only the second run's playlists and the user's");
    assert.ok(second.outcome!.kept + second.outcome!.new === rows2.length);
  } finally {
    await s.stop();
    await standin.close();
  }
});

test('Navidrome: published as Subsonic playlists; one that changed owner or was renamed is left alone', async () => {
  const standin = await startNavidromeStandin({ albums: lib.navidrome });
  const s = await setup({
    MEDIA_SERVER_TYPE: 'navidrome',
    NAVIDROME_URL: standin.url,
    NAVIDROME_USER: 'admin',
    NAVIDROME_PASSWORD: 'sesame',
  });
  try {
    const r = await s.cluster('cluster-nd-1');
    assert.equal(r.status, 'completed');
    const rows = await stored(s.pool, 'cluster-nd-1');
    const onServer = await serverPlaylists(s.media);
    assert.deepEqual(onServer.map((p) => p.name).sort(), rows.map((x) => x.name).sort());
    for (const x of rows)
      assert.equal(onServer.find((p) => p.id === x.server_playlist_id)?.trackCount, x.titles.length);

    // One playlist now belongs to another user (the delete is refused), another was renamed by the user.
    const [given, renamed] = rows.map((x) => standin.playlists.get(x.server_playlist_id!)!);
    given.owner = 'bob';
    renamed.name = 'Renamed by me';
    const second = await s.cluster('cluster-nd-2');
    assert.equal(second.status, 'completed', second.error);
    assert.equal(second.outcome!.leftAlone, 2);
    const rows2 = await assertPublishedExist(s.pool, s.media, 'cluster-nd-2');
    const after = await serverPlaylists(s.media);
    assert.ok(after.some((p) => p.id === given.id) && after.some((p) => p.id === renamed.id), 'both left alone');
    assert.equal(after.length, rows2.length + 2, 'the other old playlists were deleted');
  } finally {
    await s.stop();
    await standin.close();
  }
});

test('cancel mid-search: closed promptly, run cancelled, nothing published; bad input names the field', async () => {
  const playlistDir = path.join(dir, 'cancel-playlists');
  const s = await setup({ MEDIA_SERVER_TYPE: 'local', MUSIC_DIR: lib.musicDir, PLAYLIST_DIR: playlistDir });
  try {
    const handle = await s.client.workflow.start('clusterLibrary', {
      taskQueue: s.config.temporal.taskQueue,
      workflowId: 'cluster-cancel',
      args: [{ ...SEARCH, runs: 200_000, generationsPerRun: 50 }],
    });
    await waitFor('40 search runs done before the cancel', async () => {
      const p = await handle.query(clusteringProgressQuery).catch(() => undefined);
      return p && p.runsDone >= 40;
    });
    const t0 = Date.now();
    await handle.cancel();
    await assert.rejects(handle.result(), WorkflowFailedError);
    const took = Date.now() - t0;
    // Generous: the 200,000-run search would take far longer; a loaded machine can take seconds to close.
    assert.ok(took < 60_000, `cancelled in ${took} ms`);
    assert.equal((await handle.describe()).status.name, 'CANCELLED');
    const {
      rows: [run],
    } = await s.pool.query(`SELECT status, finished_at FROM clustering_runs WHERE workflow_id = 'cluster-cancel'`);
    assert.equal(run.status, 'cancelled');
    assert.ok(run.finished_at);
    assert.ok(!fs.existsSync(playlistDir) || fs.readdirSync(playlistDir).length === 0, 'nothing published');

    await assert.rejects(
      s.cluster('cluster-bad', { numClustersMin: 30, numClustersMax: 10 }),
      (err: unknown) =>
        err instanceof WorkflowFailedError &&
        /numClustersMin=30 is greater than numClustersMax=10/.test(String((err.cause as Error).message)),
    );
    await assert.rejects(
      s.cluster('cluster-bad-2', { algorithm: 'spectral' } as unknown as ClusterLibraryInput),
      (err: unknown) =>
        err instanceof WorkflowFailedError &&
        /algorithm: expected one of kmeans, dbscan, gmm/.test(String((err.cause as Error).message)),
    );
  } finally {
    await s.stop();
  }
});

test('AI naming through the workflow (OpenAI-compatible stand-in): cleaned names published, a failing answer keeps the tag name', async () => {
  const llm = await startLlmStandin({
    protocol: 'openai',
    model: 'namer-1',
    apiKey: 'sk-test-123',
    defaultAnswer: 'Late Night Study Session',
  });
  // First playlist: a reasoning block before the answer; second: the server fails every retry.
  llm.script(
    answer('<think>moods are calm…</think>"Midnight Velvet Grooves"'),
    failure(500),
    failure(500),
    failure(500),
  );
  const playlistDir = path.join(dir, 'ai-playlists');
  const s = await setup({
    MEDIA_SERVER_TYPE: 'local',
    MUSIC_DIR: lib.musicDir,
    PLAYLIST_DIR: playlistDir,
    AI_MODEL_PROVIDER: 'OPENAI',
    OPENAI_SERVER_URL: llm.endpoint,
    OPENAI_MODEL_NAME: 'namer-1',
    OPENAI_API_KEY: 'sk-test-123',
  });
  try {
    const r = await s.cluster('cluster-ai', { ...SEARCH, seed: 21 });
    assert.equal(r.status, 'completed');
    const { rows } = await s.pool.query<{
      name: string;
      name_source: string;
      name_note: string | null;
      tag_name: string;
      position: number;
    }>(
      `SELECT p.name, p.name_source, p.name_note, p.tag_name, p.position FROM playlists p JOIN clustering_runs c ON c.id = p.clustering_run_id
        WHERE c.workflow_id = 'cluster-ai' ORDER BY p.position`,
    );
    assert.ok(rows.length >= 3);
    assert.equal(rows[0].name, 'Midnight Velvet Grooves_automatic', 'reasoning block and quotes removed');
    assert.equal(rows[0].name_source, 'ai');
    assert.equal(rows[1].name_source, 'tag', 'a refusal keeps the tag name');
    assert.match(rows[1].name, new RegExp(`^${rows[1].tag_name}_automatic`));
    assert.match(rows[1].name_note ?? '', /500/);
    assert.ok(!(rows[1].name_note ?? '').includes('sk-test-123'), 'no secret in the recorded reason');
    const rest = rows.slice(2).map((x) => x.name);
    assert.equal(rest[0], 'Late Night Study Session_automatic');
    assert.ok(
      rest.slice(1).every((n) => /^Late Night Study Session \(\d+\)_automatic/.test(n)),
      `made unique: ${rest.join(', ')}`,
    );
    assert.equal(new Set(rows.map((x) => x.name)).size, rows.length);
    assert.equal(r.outcome!.namingFailures, 1);
    const prompt = llm.requests[0].prompt;
    assert.match(prompt, /Slow|Medium|Fast/);
    assert.match(prompt, /Song \d+/, 'the prompt carries a sample of the songs');
    assert.equal(llm.requests[0].headers.authorization, 'Bearer sk-test-123');
    const files = fs.readdirSync(playlistDir);
    assert.ok(
      files.includes('Midnight Velvet Grooves_automatic.m3u8'),
      `published under the AI name: ${files.join(', ')}`,
    );
  } finally {
    await s.stop();
    await llm.close();
  }
});

test('audiomuse cluster start --wait / status, and temporal workflow start --type clusterLibrary', async () => {
  const playlistDir = path.join(dir, 'cli-playlists');
  const env = {
    MEDIA_SERVER_TYPE: 'local',
    MUSIC_DIR: lib.musicDir,
    PLAYLIST_DIR: playlistDir,
    NUM_CLUSTERS_MIN: '4',
    NUM_CLUSTERS_MAX: '9',
    PCA_COMPONENTS_MAX: '0',
    CLUSTERING_RUNS: '40',
  };
  const s = await setup(env);
  const { temporalAddress } = await services();
  const cliEnv = cliEnvironment(env, {
    databaseUrl: s.databaseUrl,
    temporalAddress,
    taskQueue: s.config.temporal.taskQueue,
  });
  const audiomuse = (...args: string[]) => runCli(cliEnv, 'cluster', ...args);
  const last = (out: string) => JSON.parse(out.trim().split('\n').at(-1)!);
  try {
    const started = await audiomuse('start', '--seed', '9', '--no-publish', '--wait');
    assert.equal(started.code, 0, started.stderr);
    assert.deepEqual(JSON.parse(started.stdout.split('\n')[0]), { workflowId: 'cluster-library', started: true });
    const final = last(started.stdout);
    assert.equal(final.status, 'completed');
    assert.equal(final.runsDone, 40, 'CLUSTERING_RUNS is the default');
    assert.equal(final.outcome.published, false);
    assert.match(started.stderr, /runs \d+\/40/);
    assert.equal(last((await audiomuse('status')).stdout).status, 'completed');
    assert.ok(!fs.existsSync(playlistDir), '--no-publish wrote nothing');

    const temporal = findTemporalCli(process.env.TEMPORAL_CLI_PATH)!;
    await exec(temporal, [
      'workflow',
      'execute',
      '--address',
      temporalAddress,
      '--task-queue',
      s.config.temporal.taskQueue,
      '--type',
      'clusterLibrary',
      '--workflow-id',
      'cluster-from-cli',
      '--input',
      JSON.stringify({ runs: 20, seed: 2, publish: false }),
    ]);
    const {
      rows: [run],
    } = await s.pool.query(`SELECT status FROM clustering_runs WHERE workflow_id = 'cluster-from-cli'`);
    assert.equal(run.status, 'completed');
    const bad = await audiomuse('start', '--algorithm', 'spectral');
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--algorithm must be kmeans, dbscan or gmm/);
  } finally {
    await s.stop();
  }
});
