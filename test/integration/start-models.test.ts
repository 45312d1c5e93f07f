// `npm start` on a fresh checkout fetches the MusiCNN model files itself (here from a local mirror of the
// release, through MODELS_BASE_URL) with progress lines; with the mirror down it says so in one line and runs.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { verifyModels } from '../../engines/analysis/model-files.ts';
import { startModelMirror } from '../helpers/model-mirror.ts';
import { freePort, freshDatabase, releaseServices, scratchDir, services } from '../helpers/services.ts';
import { startProcess } from '../helpers/start-process.ts';
import { modelsDir, repoRoot, requireOrSkip } from '../shared-paths.ts';

const work = scratchDir('start-models');
after(async () => {
  fs.rmSync(work, { recursive: true, force: true });
  await releaseServices();
});

async function startEnv(
  name: string,
  modelsBaseUrl: string,
): Promise<{ env: NodeJS.ProcessEnv; webPort: number; target: string }> {
  const webPort = await freePort();
  const target = path.join(work, name, 'models');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: await freshDatabase(),
    TEMPORAL_ADDRESS: (await services()).temporalAddress,
    TEMPORAL_TASK_QUEUE: `start-models-${name}-${process.pid}`,
    WEB_PORT: String(webPort),
    ANALYSIS_WORKERS: '1',
    MODELS_DIR: target,
    MODELS_BASE_URL: modelsBaseUrl,
    MUSIC_DIR: path.join(work, 'music'),
    DATA_DIR: path.join(work, name, 'data'),
  };
  return { env, webPort, target };
}

test(
  'npm start fills an empty MODELS_DIR from MODELS_BASE_URL, showing progress, then comes up',
  { timeout: 180_000 },
  async (t) => {
    if (!requireOrSkip(t, path.join(modelsDir, 'msd-musicnn-1.onnx'), 'MusiCNN ONNX models (MODELS_DIR)')) return;
    const mirror = await startModelMirror(modelsDir);
    const { env, webPort, target } = await startEnv('fetch', mirror.url);
    const run = startProcess(repoRoot, env);
    try {
      await run.healthy(webPort, 120_000);
      await verifyModels(target);
      assert.equal(mirror.requests.length, 8);
      const out = run.output();
      assert.match(out, /MusiCNN models: fetching 8 file\(s\), 3\.7 MB, from 127\.0\.0\.1:\d+ into /);
      assert.match(out, /MusiCNN models: 100 % \(3\.7 of 3\.7 MB\)/);
      assert.match(out, /MusiCNN models: 8 file\(s\) fetched and verified/);
      assert.ok(
        out.indexOf('fetched and verified') < out.indexOf('web UI and API on'),
        'the models are in place before the system reports ready',
      );
    } finally {
      assert.equal(await run.stop(), 0, run.output());
      await mirror.close();
    }
  },
);

test(
  'with the mirror unreachable, npm start warns in one line and runs without models',
  { timeout: 180_000 },
  async () => {
    const { env, webPort, target } = await startEnv('dead', `http://127.0.0.1:${await freePort()}/models`);
    const run = startProcess(repoRoot, env);
    try {
      await run.healthy(webPort, 120_000);
      const warnings = run
        .output()
        .split('\n')
        .filter((l) => l.includes('MusiCNN models: could not fetch'));
      assert.equal(warnings.length, 1, run.output());
      assert.match(
        warnings[0],
        /^warning: MusiCNN models: could not fetch msd-musicnn-1\.onnx: .*ECONNREFUSED.*npm run models:fetch/,
      );
      assert.doesNotMatch(run.output(), /\n\s+at /, 'no stack trace');
      assert.deepEqual(fs.readdirSync(target), [], 'nothing half-fetched is left in MODELS_DIR');
    } finally {
      assert.equal(await run.stop(), 0, run.output());
    }
  },
);
