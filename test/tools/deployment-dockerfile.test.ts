// Keeps deployment/Dockerfile in step with what CI runs (there is no Docker engine to build it here): a
// maintained Node LTS that package.json engines admit, as they admit CI's Node; the same Debian release and npm
// command, ffmpeg from Debian in both; every file the entry points import is copied and not ignored; the
// image's workflow-bundle step runs here and the bundle replays the recorded histories; the entry point and
// the health check script behave as the chart and compose expect.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import { Worker } from '@temporalio/worker';
import { installRuntime } from '../../lib/runtime.ts';
import { workflowSource } from '../../worker/workflow-source.ts';
import { historyFromJson } from '../helpers/histories.ts';
import type { FixtureEntry } from '../fixtures/record-histories.ts';
import { modelsDir, repoRoot, requireOrSkip } from '../shared-paths.ts';
import { run } from '../helpers/deployment-tools.ts';

const read = (...p: string[]) => fs.readFileSync(path.join(repoRoot, ...p), 'utf8');
const dockerfile = read('deployment', 'Dockerfile');
const ciRun = read('.ci', 'run');
/** Dockerfile instructions with their continuation lines joined. */
const instructions = dockerfile
  .replace(/\\\n/g, ' ')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith('#'));
const runs = instructions.filter((l) => l.startsWith('RUN ')).map((l) => l.slice(4));
const envOf = (name: string) =>
  new RegExp(`\\b${name}=(\\S+)`).exec(instructions.filter((l) => l.startsWith('ENV ')).join(' '))?.[1];

/** End of life of the Node LTS lines (nodejs.org/en/about/previous-releases); odd majors are never LTS. */
const LTS_END_OF_LIFE: Record<number, string> = { 20: '2026-04-30', 22: '2027-04-30', 24: '2028-04-30' };

/** Whether a package.json engines range of `^M.m.p`, `>=M…` alternatives admits Node major `major`. */
function enginesAdmit(range: string, major: number): boolean {
  return range.split('||').some((alt) => {
    const m = /^\s*(\^|>=)(\d+)(?:\.\d+){0,2}\s*$/.exec(alt);
    assert.ok(m, `engines alternative "${alt.trim()}" is ^M.m.p or >=M`);
    return m[1] === '^' ? major === Number(m[2]) : major >= Number(m[2]);
  });
}

test('the image runs a maintained Node LTS that engines admit, as does CI; Debian release, ffmpeg and npm ci as in CI', () => {
  const from = instructions.filter((l) => l.startsWith('FROM '));
  assert.equal(from.length, 1);
  const m = /^FROM node:(\d+)-(\w+)-slim$/.exec(from[0]);
  assert.ok(m, from[0]);
  const imageMajor = Number(m[1]);
  const endOfLife = LTS_END_OF_LIFE[imageMajor];
  assert.ok(endOfLife, `node:${imageMajor} is an LTS line this test knows (add its end of life when moving on)`);
  // A date, not a speed: this fails on the day the image's Node line stops getting security fixes.
  assert.ok(
    new Date().toISOString().slice(0, 10) < endOfLife,
    `node:${imageMajor} reached end of life on ${endOfLife}`,
  );
  const pkg = JSON.parse(read('package.json')) as { engines: { node: string } };
  assert.ok(
    enginesAdmit(pkg.engines.node, imageMajor),
    `engines "${pkg.engines.node}" admit the image's Node ${imageMajor}`,
  );
  // CI runs the tests on this machine's Node: the code must stay within what engines admit there too.
  const ciMajor = Number(process.versions.node.split('.')[0]);
  assert.ok(enginesAdmit(pkg.engines.node, ciMajor), `engines "${pkg.engines.node}" admit CI's Node ${ciMajor}`);
  const osRelease = fs.readFileSync('/etc/os-release', 'utf8');
  assert.equal(/VERSION_CODENAME=(\w+)/.exec(osRelease)?.[1], m[2], 'CI runs on the Debian release of the image');

  const aptInstalls = (text: string) => [...text.matchAll(/apt-get install[^\n&]*/g)].map((x) => x[0]).join(' ');
  assert.match(aptInstalls(runs.join('\n')), /\bffmpeg\b/, "the image installs Debian's ffmpeg");
  assert.match(aptInstalls(ciRun), /\bffmpeg\b/, "CI installs Debian's ffmpeg");

  const npmCi = (text: string) => /^\s*npm ci([^\n&]*)/m.exec(text)?.[1].trim().split(/\s+/).filter(Boolean) ?? [];
  const image = npmCi(runs.join('\n'));
  assert.ok(image.includes('--omit=dev'), 'the image leaves out devDependencies');
  assert.deepEqual(image.filter((f) => f !== '--omit=dev').sort(), npmCi(ciRun).sort(), 'same npm ci flags as .ci/run');
  assert.match(
    instructions.find((l) => l.startsWith('COPY package.json')) ?? '',
    /\.npmrc/,
    '.npmrc (ignore-scripts) is in the install layer',
  );
});

test('every file the entry points load is copied into the image and not excluded by .dockerignore', async () => {
  const copied = instructions.filter((l) => l.startsWith('COPY ')).flatMap((l) => l.slice(5).split(/\s+/).slice(0, -1));
  const ignored = read('.dockerignore')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  for (const src of copied) {
    assert.ok(fs.existsSync(path.join(repoRoot, src)), `COPY ${src} exists`);
    assert.ok(!ignored.some((p) => src === p || src.startsWith(`${p}/`)), `COPY ${src} is not in .dockerignore`);
  }
  const entry = read('deployment', 'docker-entrypoint.sh');
  const entries = [...entry.matchAll(/node --import tsx (\S+\.ts)/g)].map((m) => m[1]);
  const bundleStep = runs.find((r) => r.includes('build-workflow-bundle'))!;
  entries.push(/(worker\/\S+\.ts)/.exec(bundleStep)![1], 'worker/analysis-process.ts', 'workflows/index.ts');
  const result = await build({
    entryPoints: entries.map((e) => path.join(repoRoot, e)),
    bundle: true,
    write: false,
    metafile: true,
    platform: 'node',
    format: 'esm',
    packages: 'external',
    outdir: os.tmpdir(),
    logLevel: 'silent',
  });
  const inputs = Object.keys(result.metafile.inputs);
  assert.ok(inputs.length > 30, `the import graph was followed (${inputs.length} files)`);
  const missing = inputs.filter((f) => !copied.some((src) => f === src || f.startsWith(`${src}/`)));
  assert.deepEqual(missing, [], 'files the entry points import but the Dockerfile does not copy');
});

test('the entry point runs the same files as package.json scripts, and runs models-fetch for real', (t) => {
  const entry = read('deployment', 'docker-entrypoint.sh');
  const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;
  for (const role of ['web', 'worker', 'start']) {
    const file = new RegExp(`^\\s*${role}\\) exec node --import tsx (\\S+)`, 'm').exec(entry)?.[1];
    const script = role === 'start' ? scripts.start : scripts[role];
    assert.equal(`tsx ${file}`, script, `role ${role} = npm run ${role}`);
  }
  assert.deepEqual(
    instructions.find((l) => l.startsWith('CMD ')),
    'CMD ["web"]',
  );
  if (!requireOrSkip(t, modelsDir, 'the MusiCNN model files')) return;
  // The init container / compose one-shot: verifies what is there, fetches nothing.
  const r = run(['sh', path.join(repoRoot, 'deployment', 'docker-entrypoint.sh'), 'models-fetch'], {
    env: { ...process.env, MODELS_DIR: modelsDir },
  });
  assert.equal(r.code, 0, r.stdout + r.stderr);
});

test('the image runs as a non-root user and checks /api/health', () => {
  const user = instructions.find((l) => l.startsWith('USER '));
  assert.match(user ?? '', /^USER [1-9]\d*:[1-9]\d*$/, 'a numeric non-root user (runAsNonRoot can verify it)');
  assert.match(instructions.find((l) => l.startsWith('HEALTHCHECK')) ?? '', /healthcheck\.mjs/);
  assert.equal(envOf('WORKFLOW_BUNDLE'), '/app/dist/workflow-bundle.js');
  assert.match(instructions.find((l) => l.startsWith('ENTRYPOINT')) ?? '', /tini/, 'an init reaps ffmpeg children');
});

test(
  "the image's workflow bundle step runs, and workers replay the recorded histories from that file",
  { timeout: 240_000 },
  async () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'audiomuse-bundle-'));
    try {
      const out = path.join(tmp, 'dist', 'workflow-bundle.js');
      const step = runs
        .find((r) => r.includes('build-workflow-bundle'))!
        .replace('"$WORKFLOW_BUNDLE"', JSON.stringify(out));
      const r = run(['sh', '-c', step]);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.ok(fs.statSync(out).size > 100_000, 'a bundle was written');

      const source = workflowSource(out);
      assert.deepEqual(source, { workflowBundle: { codePath: out } });
      installRuntime();
      const dir = path.join(repoRoot, 'test', 'fixtures', 'histories');
      const { fixtures } = JSON.parse(fs.readFileSync(path.join(dir, 'index.json'), 'utf8')) as {
        fixtures: FixtureEntry[];
      };
      const histories = fixtures.map((f) => ({
        workflowId: f.workflowId,
        history: historyFromJson(JSON.parse(fs.readFileSync(path.join(dir, f.file), 'utf8'))),
      }));
      let replayed = 0;
      for await (const res of Worker.runReplayHistories({ ...source }, histories)) {
        assert.equal(res.error, undefined, `${res.workflowId}: ${res.error?.message}`);
        replayed++;
      }
      assert.equal(replayed, fixtures.length);
      assert.throws(() => workflowSource(path.join(tmp, 'absent.js')), /WORKFLOW_BUNDLE=.*absent\.js does not exist/);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  },
);

test('healthcheck.mjs: live when the server answers, ready when PostgreSQL is up', async () => {
  let answer = { status: 200, body: JSON.stringify({ ok: true, postgres: { ok: true } }) };
  const server = http.createServer((req, res) => {
    res.writeHead(req.url === '/api/health' ? answer.status : 404, { 'content-type': 'application/json' });
    res.end(req.url === '/api/health' ? answer.body : '{"error":"no such endpoint"}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  // Asynchronously (execFile): the server above runs in this process.
  const check = (mode: string, url = `http://127.0.0.1:${port}/api/health`) =>
    new Promise<number>((resolve) => {
      execFile(
        process.execPath,
        [path.join(repoRoot, 'deployment', 'healthcheck.mjs'), mode],
        { env: { ...process.env, HEALTHCHECK_URL: url } },
        (err) => resolve(err ? (err.code as number) : 0),
      );
    });
  try {
    assert.equal(await check('live'), 0);
    assert.equal(await check('ready'), 0);
    answer = { status: 503, body: JSON.stringify({ ok: false, postgres: { ok: true }, temporal: { ok: false } }) };
    assert.equal(await check('ready'), 0, 'Temporal down: the page still shows what is down');
    answer = { status: 503, body: JSON.stringify({ ok: false, postgres: { ok: false, error: 'ECONNREFUSED' } }) };
    assert.equal(await check('live'), 0, 'alive: it answers');
    assert.equal(await check('ready'), 1, 'not ready without PostgreSQL');
    assert.equal(await check('live', `http://127.0.0.1:${port}/other`), 1, 'a 404 is not the health endpoint');
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
  assert.equal(await check('live', `http://127.0.0.1:${port}/api/health`), 1, 'no server: unhealthy');
});
