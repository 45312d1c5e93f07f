// The library analysis end to end on a real Temporal dev server and PostgreSQL, on real music (clips of the
// Debian packages' songs) read from a local folder and downloaded from the Jellyfin stand-in: every track
// analysed once, broken files recorded as typed failures, a re-run that analyses nothing.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import { createPool, migrate, type Pool } from '../../lib/db.ts';
import { analysisVersion } from '../../engines/analysis/version.ts';
import type { LibraryProgress } from '../../contracts/analysis.ts';
import { progressQuery } from '../../contracts/analysis.ts';
import { makeClipLibrary, requireSongsAndModels, SONGS_DIR, type ClipLibrary } from '../helpers/analysis-library.ts';
import { freshDatabase, releaseServices, scratchDir, services } from '../helpers/services.ts';
import { waitFor } from '../helpers/wait.ts';
import { startTestWorker, testConfig } from '../helpers/worker.ts';
import { modelsDir, requireOrSkip } from '../shared-paths.ts';
import { JellyfinStandin } from '../standins/jellyfin.ts';

let dir: string;
let library: ClipLibrary;
let ready = false;

before(async () => {
  if (!fs.existsSync(SONGS_DIR) || !fs.existsSync(modelsDir)) return;
  dir = scratchDir('analysis-wf');
  library = await makeClipLibrary(path.join(dir, 'music'), { albums: 3, tracksPerAlbum: 2, seconds: 12, broken: true });
  ready = true;
});
after(async () => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
  await releaseServices();
});

/** A worker on a fresh database, or on `shared` (which the caller then ends). */
async function setup(env: Record<string, string>, shared?: Pool) {
  const { temporalAddress } = await services();
  const pool = shared ?? createPool(await freshDatabase());
  if (!shared) await migrate(pool);
  const tempDir = path.join(dir, `tmp-${Math.random().toString(36).slice(2)}`);
  fs.mkdirSync(tempDir);
  const config = testConfig({ MODELS_DIR: modelsDir, TEMP_DIR: tempDir, ANALYSIS_WORKERS: '0', ...env });
  const w = await startTestWorker({ address: temporalAddress, pool, config, analysisTempDir: tempDir });
  const analyse = (workflowId: string, input: object = {}) =>
    w.client.workflow.execute('analyzeLibrary', {
      taskQueue: config.temporal.taskQueue,
      workflowId,
      args: [input],
    }) as Promise<LibraryProgress>;
  return {
    pool,
    config,
    tempDir,
    client: w.client,
    analyse,
    async stop() {
      await w.stop();
      if (!shared) await pool.end();
    },
  };
}

async function trackRows(pool: Pool) {
  const { rows } = await pool.query<{
    title: string;
    status: string;
    code: string | null;
    reason: string | null;
    attempts: number;
    writes: number | null;
    dim: number | null;
  }>(
    `SELECT t.title, t.analysis_status AS status, t.failure_code AS code, t.failure_reason AS reason, t.attempts,
            f.writes, octet_length(f.embedding) / 4 AS dim
       FROM tracks t LEFT JOIN track_features f ON f.track_id = t.id ORDER BY t.title`,
  );
  return rows;
}

test('a local music folder: every track analysed once, broken files recorded, the re-run analyses nothing', async (t) => {
  if (!requireSongsAndModels(t)) return;
  assert.ok(ready);
  const s = await setup({
    MEDIA_SERVER_TYPE: 'local',
    MUSIC_DIR: library.musicDir,
    PLAYLIST_DIR: path.join(dir, 'playlists'),
  });
  try {
    const first = await s.analyse('analysis-local-1');
    const good = library.files.filter((f) => !f.broken).length;
    assert.equal(first.status, 'completed');
    assert.equal(first.albumsTotal, 4);
    assert.equal(first.albumsDone, 4);
    assert.equal(first.albumsFailed, 0, 'broken files fail their tracks, not their album');
    assert.equal(first.tracksAnalyzed, good);
    assert.equal(first.tracksFailed, 2);

    const rows = await trackRows(s.pool);
    assert.equal(rows.length, library.files.length);
    for (const r of rows.filter((r) => r.status === 'analyzed')) {
      assert.equal(r.writes, 1, `${r.title} stored once`);
      assert.equal(r.dim, 200);
    }
    const corrupt = rows.find((r) => r.title === 'Corrupt')!;
    const truncated = rows.find((r) => r.title === 'Truncated')!;
    assert.equal(corrupt.status, 'failed');
    assert.ok(
      ['decode_failed', 'unsupported'].includes(corrupt.code!),
      `corrupt file: ${corrupt.code} ${corrupt.reason}`,
    );
    assert.ok(corrupt.reason && corrupt.reason.length > 10);
    assert.equal(corrupt.attempts, 1, 'bad audio is not retried');
    assert.equal(truncated.status, 'failed');
    assert.ok(
      ['decode_failed', 'too_short', 'empty'].includes(truncated.code!),
      `truncated file: ${truncated.code} ${truncated.reason}`,
    );

    const {
      rows: [run],
    } = await s.pool.query(
      `SELECT status, albums_total, albums_done, tracks_done, tracks_failed, finished_at FROM analysis_runs WHERE workflow_id = 'analysis-local-1'`,
    );
    assert.deepEqual(
      { ...run, finished_at: run.finished_at instanceof Date },
      { status: 'completed', albums_total: 4, albums_done: 4, tracks_done: good, tracks_failed: 2, finished_at: true },
    );

    const second = await s.analyse('analysis-local-2');
    assert.equal(second.status, 'completed');
    assert.equal(second.tracksAnalyzed, 0, 'nothing changed: nothing analysed');
    assert.equal(second.tracksSkipped, library.files.length, 'good and permanently bad tracks are skipped');
    const again = await trackRows(s.pool);
    assert.deepEqual(
      again.map((r) => r.writes),
      rows.map((r) => r.writes),
      'no features row was rewritten',
    );

    // A changed file (new size and mtime) is analysed again, and only that one.
    const changed = library.files.find((f) => !f.broken)!;
    fs.appendFileSync(changed.file, Buffer.alloc(0));
    fs.utimesSync(changed.file, new Date(), new Date(Date.now() + 5000));
    const third = await s.analyse('analysis-local-3');
    assert.equal(third.tracksAnalyzed, 1);
    const {
      rows: [w],
    } = await s.pool.query(
      `SELECT f.writes FROM tracks t JOIN track_features f ON f.track_id = t.id WHERE t.title = $1`,
      [changed.title],
    );
    assert.equal(w.writes, 2);
    assert.deepEqual(fs.readdirSync(s.tempDir), [], 'local files are analysed in place: no temp files');
  } finally {
    await s.stop();
  }
});

test('ANALYSIS_PROFILE: fast features carry their own version; switching back to exact analyses the library again', async (t) => {
  if (!requireSongsAndModels(t)) return;
  assert.ok(ready);
  const pool = createPool(await freshDatabase());
  await migrate(pool);
  const env = { MEDIA_SERVER_TYPE: 'local', MUSIC_DIR: library.musicDir, PLAYLIST_DIR: path.join(dir, 'playlists') };
  const good = library.files.filter((f) => !f.broken).length;
  const versions = async () =>
    (
      await pool.query<{ v: string; n: number }>(
        `SELECT analysis_version AS v, count(*)::int AS n FROM track_features GROUP BY 1 ORDER BY 1`,
      )
    ).rows;
  try {
    const fast = await setup({ ...env, ANALYSIS_PROFILE: 'fast' }, pool);
    try {
      const run = await fast.analyse('analysis-profile-fast');
      assert.equal(run.tracksAnalyzed, good);
      assert.deepEqual(await versions(), [{ v: analysisVersion({ patchHop: 187, profile: 'fast' }), n: good }]);
      assert.equal((await fast.analyse('analysis-profile-fast-again')).tracksAnalyzed, 0, 'fast features are current');
    } finally {
      await fast.stop();
    }
    const exact = await setup(env, pool);
    try {
      const run = await exact.analyse('analysis-profile-exact');
      assert.equal(run.tracksAnalyzed, good, 'fast features are not exact ones: analysed again');
      assert.deepEqual(await versions(), [{ v: analysisVersion({ patchHop: 187, profile: 'exact' }), n: good }]);
    } finally {
      await exact.stop();
    }
  } finally {
    await pool.end();
  }
});

test('Jellyfin: tracks downloaded to TEMP_DIR, analysed, the downloads removed; progress query and bad input', async (t) => {
  if (!requireSongsAndModels(t)) return;
  const standin = new JellyfinStandin(library.standin, '10.11.11');
  const url = await standin.listen();
  const user = standin.user('alice');
  const s = await setup({
    MEDIA_SERVER_TYPE: 'jellyfin',
    JELLYFIN_URL: url,
    JELLYFIN_USER_ID: user.id,
    JELLYFIN_TOKEN: user.token,
  });
  try {
    const handle = await s.client.workflow.start('analyzeLibrary', {
      taskQueue: s.config.temporal.taskQueue,
      workflowId: 'analysis-jellyfin',
      args: [{ numRecentAlbums: 2, maxConcurrentAlbums: 1 }],
    });
    const seen: LibraryProgress[] = [];
    await waitFor(
      'the Jellyfin analysis to finish',
      async () => {
        const p = await handle.query(progressQuery).catch(() => undefined);
        if (p) seen.push(p);
        if (p && p.status !== 'running' && p.status !== 'starting') return true;
        return (await handle.describe()).status.name !== 'RUNNING';
      },
      300_000,
      300,
    );
    const result = (await handle.result()) as LibraryProgress;
    assert.equal(result.albumsTotal, 2, 'numRecentAlbums caps the run');
    assert.equal(result.albumsDone, 2);
    assert.ok(result.tracksAnalyzed >= 2);
    assert.ok(
      seen.some((p) => p.currentAlbums.length === 1),
      'the query shows the album in flight',
    );
    assert.ok(
      seen.every((p) => p.currentAlbums.length <= 1),
      'maxConcurrentAlbums=1 is never exceeded',
    );
    const downloads = standin.requests.filter(
      (r) => r.method === 'GET' && /\/Items\/[0-9a-f]+\/Download$/.test(r.path),
    );
    assert.equal(downloads.length, result.tracksAnalyzed, 'each analysed track downloaded once');
    assert.deepEqual(fs.readdirSync(s.tempDir), [], 'every download removed');
    const memo = (await handle.describe()).memo as { progress?: LibraryProgress };
    assert.equal(memo.progress?.status, 'completed', 'Temporal Web shows the final progress in the memo');

    await assert.rejects(
      s.client.workflow.execute('analyzeLibrary', {
        taskQueue: s.config.temporal.taskQueue,
        workflowId: 'analysis-bad-input',
        args: [{ maxConcurrentAlbums: 0 }],
      }),
      (err: unknown) =>
        err instanceof WorkflowFailedError && /maxConcurrentAlbums/.test(String((err.cause as Error)?.message)),
    );
  } finally {
    await s.stop();
    await standin.close();
  }
});

test('setup problems fail the run at once with one clear message: missing models, a rejected token', async (t) => {
  if (!requireOrSkip(t, SONGS_DIR, 'Debian packages fretsonfire-songs-*')) return;
  const emptyModels = path.join(dir, 'no-models');
  fs.mkdirSync(emptyModels, { recursive: true });
  const s = await setup({
    MEDIA_SERVER_TYPE: 'local',
    MUSIC_DIR: library.musicDir,
    PLAYLIST_DIR: path.join(dir, 'playlists'),
    MODELS_DIR: emptyModels,
  });
  try {
    const t0 = Date.now();
    const err = await s.analyse('analysis-no-models').then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(err instanceof WorkflowFailedError, 'the run fails');
    assert.match(
      String((err.cause as Error).message),
      /analysis stopped: MusiCNN models: .*no-models.*npm run models:fetch/,
      'the message says what is missing and what to do',
    );
    assert.ok(Date.now() - t0 < 60_000, `failed fast (${Date.now() - t0} ms), not after retries`);
    const {
      rows: [run],
    } = await s.pool.query(`SELECT status, error FROM analysis_runs WHERE workflow_id = 'analysis-no-models'`);
    assert.equal(run.status, 'failed');
    assert.match(run.error, /npm run models:fetch/);
    const {
      rows: [c],
    } = await s.pool.query(
      `SELECT count(*) FILTER (WHERE analysis_status = 'failed')::int AS failed, count(*)::int AS all FROM tracks`,
    );
    assert.equal(c.failed, 0, 'a setup problem is not blamed on the tracks');
    assert.ok(c.all > 0);
  } finally {
    await s.stop();
  }

  const standin = new JellyfinStandin(library.standin, '10.11.11');
  const url = await standin.listen();
  const j = await setup({
    MEDIA_SERVER_TYPE: 'jellyfin',
    JELLYFIN_URL: url,
    JELLYFIN_USER_ID: standin.user('alice').id,
    JELLYFIN_TOKEN: 'f'.repeat(32),
  });
  try {
    const err = await j.analyse('analysis-bad-token').then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(err instanceof WorkflowFailedError);
    assert.match(String((err.cause as Error).message), /analysis stopped: .*(token|401|authori)/i);
    assert.ok(standin.requests.length <= 3, `a rejected token is not retried (${standin.requests.length} requests)`);
    const {
      rows: [run],
    } = await j.pool.query(`SELECT status FROM analysis_runs WHERE workflow_id = 'analysis-bad-token'`);
    assert.equal(run.status, 'failed');
  } finally {
    await j.stop();
    await standin.close();
  }
});
