// Starting the analysis from outside: `npx audiomuse analysis start|status|cancel` and the official
// `temporal workflow start`, against a real worker, PostgreSQL and Temporal dev server; one analysis at a time.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { promisify } from 'node:util';
import { createPool, migrate } from '../../lib/db.ts';
import { findTemporalCli } from '../../lib/embedded/temporal.ts';
import { makeClipLibrary, requireSongsAndModels } from '../helpers/analysis-library.ts';
import { freshDatabase, freshNamespace, releaseServices, scratchDir, services } from '../helpers/services.ts';
import { startTestWorker, testConfig } from '../helpers/worker.ts';
import { modelsDir, repoRoot } from '../shared-paths.ts';
import { cliEnvironment } from '../helpers/cli.ts';

const exec = promisify(execFile);
let dir: string | undefined;
after(async () => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
  await releaseServices();
});

test(
  'audiomuse analysis start --wait / status / cancel, and temporal workflow start, one analysis at a time',
  // 70 s alone; in CI it shares the Temporal dev server with the 20,000-album scale test, and once ran past
  // 300 s there (seven CLI starts, each a tsx compile, behind a saturated server).
  { timeout: 600_000 },
  async (t) => {
    if (!requireSongsAndModels(t)) return;
    const temporal = findTemporalCli(process.env.TEMPORAL_CLI_PATH);
    assert.ok(temporal, 'the temporal CLI is installed');
    dir = scratchDir('analysis-cli');
    const library = await makeClipLibrary(path.join(dir, 'music'), { albums: 12, tracksPerAlbum: 2, seconds: 15 });
    const { temporalAddress } = await services();
    const databaseUrl = await freshDatabase();
    const pool = createPool(databaseUrl);
    await migrate(pool);
    const env = {
      MEDIA_SERVER_TYPE: 'local',
      MUSIC_DIR: library.musicDir,
      PLAYLIST_DIR: path.join(dir, 'playlists'),
      MODELS_DIR: modelsDir,
      TEMP_DIR: path.join(dir, 'tmp'),
      ANALYSIS_WORKERS: '0',
      // Its own namespace: the fixed `analyze-library` id would meet the web tests' runs.
      TEMPORAL_NAMESPACE: await freshNamespace('analysis-cli'),
    };
    const config = testConfig(env);
    const worker = await startTestWorker({
      address: temporalAddress,
      pool,
      config,
      analysisTempDir: path.join(dir, 'tmp'),
    });
    const cliEnv = cliEnvironment(env, {
      databaseUrl,
      temporalAddress,
      taskQueue: config.temporal.taskQueue,
    });
    const audiomuse = async (...args: string[]) => {
      try {
        const r = await exec(process.execPath, [path.join(repoRoot, 'bin/audiomuse.mjs'), 'analysis', ...args], {
          env: cliEnv,
          cwd: repoRoot,
        });
        return { code: 0, out: r.stdout, err: r.stderr };
      } catch (e) {
        const err = e as { code: number; stdout: string; stderr: string };
        return { code: err.code, out: err.stdout, err: err.stderr };
      }
    };
    const lastJson = (out: string) => JSON.parse(out.trim().split('\n').at(-1)!);
    try {
      const started = await audiomuse('start', '--albums', '2', '--wait');
      assert.equal(started.code, 0, started.err);
      assert.deepEqual(JSON.parse(started.out.split('\n')[0]), { workflowId: 'analyze-library', started: true });
      const final = lastJson(started.out);
      assert.equal(final.status, 'completed');
      assert.equal(final.albumsDone, 2);
      assert.equal(final.tracksAnalyzed, 4);
      assert.match(started.err, /albums \d+\/2/, '--wait prints progress lines');

      const status = await audiomuse('status');
      assert.equal(status.code, 0);
      assert.equal(lastJson(status.out).status, 'completed');
      assert.equal(lastJson(status.out).tracksAnalyzed, 4);

      // Started by the official CLI under its own id: our CLI finds it, refuses a second one, and cancels it.
      await exec(temporal!, [
        'workflow',
        'start',
        '--address',
        temporalAddress,
        '--namespace',
        config.temporal.namespace,
        '--task-queue',
        config.temporal.taskQueue,
        '--type',
        'analyzeLibrary',
        '--workflow-id',
        'from-temporal-cli',
        '--input',
        '{"maxConcurrentAlbums": 1}',
      ]);
      const deadline = Date.now() + 60_000;
      for (;;) {
        const { rows } = await pool.query(
          `SELECT 1 FROM analysis_runs WHERE workflow_id = 'from-temporal-cli' AND status = 'running'`,
        );
        if (rows.length) break;
        assert.ok(Date.now() < deadline, 'the run started by `temporal workflow start` was recorded');
        await new Promise((r) => setTimeout(r, 200));
      }
      const second = await audiomuse('start');
      assert.equal(second.code, 0, second.err);
      assert.deepEqual(lastJson(second.out), { workflowId: 'from-temporal-cli', started: false });
      const live = await audiomuse('status');
      assert.equal(lastJson(live.out).workflowId, 'from-temporal-cli');
      assert.equal(lastJson(live.out).status, 'running');

      const cancelled = await audiomuse('cancel');
      assert.equal(cancelled.code, 0, cancelled.err);
      assert.deepEqual(lastJson(cancelled.out), { cancelled: 'from-temporal-cli' });
      const desc = await worker.client.workflow
        .getHandle('from-temporal-cli')
        .result()
        .then(
          () => 'completed',
          (e: Error) => e.name,
        );
      assert.equal(desc, 'WorkflowFailedError');
      assert.equal((await worker.client.workflow.getHandle('from-temporal-cli').describe()).status.name, 'CANCELLED');
      assert.equal(lastJson((await audiomuse('status')).out).status, 'cancelled');
      const none = await audiomuse('cancel');
      assert.equal(none.code, 1, 'nothing to cancel');

      const bad = await audiomuse('start', '--albums', 'many');
      assert.equal(bad.code, 2);
      assert.match(bad.err, /--albums needs a whole number/);
    } finally {
      await worker.stop();
      await pool.end();
    }
  },
);
