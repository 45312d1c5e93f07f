// `npm run bench:web -- [--rate 100] [--duration 30] [--warmup 3] [--tracks 2000] [--runs 200] [--cpu-prof DIR]`
//
// The REST API under load against the running system: an embedded PostgreSQL and Temporal dev server, the real
// worker process, and the web server as `npm run web` runs it (its own process). A planted library of N analysed
// tracks (plus one album nobody analyses) is clustered by a real `clusterLibrary` started through the API, then a
// library analysis is started that stays running on the unanalysed album. An open-loop generator then fires
// `GET /api/status/:id` (alternating the running `analyze-library` and the finished `cluster-library`) and
// `GET /api/playlists`, each at --rate requests/s, interleaved, on a fixed schedule: a request's latency counts
// from when it was due, so a slow answer cannot delay (and hide) the ones behind it.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { createMediaProvider } from '../providers/media/index.ts';
import { loadConfig, repoRoot } from '../lib/config.ts';
import { createPool, migrate } from '../lib/db.ts';
import { plantLibrary, storePlantedFeatures } from '../test/helpers/planted-library.ts';
import { freePort } from '../test/helpers/services.ts';
import { writeSineWav } from '../test/standins/jellyfin.ts';
import { startBenchStack, treeCpu, waitForPollers } from './services.ts';

const argv = process.argv.slice(2);
const arg = (name: string, dflt: number) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] !== undefined ? Number(argv[i + 1]) : dflt;
};
const rate = arg('rate', 100);
const duration = arg('duration', 30);
const warmup = arg('warmup', 3);
const nTracks = arg('tracks', 2000);
const runs = arg('runs', 200);
/** --cpu-prof DIR: the web server writes a V8 CPU profile there when it stops (open it in Chrome's DevTools). */
const profileDir = argv.includes('--cpu-prof') ? path.resolve(argv[argv.indexOf('--cpu-prof') + 1]) : undefined;
const TIMEOUT_MS = 10_000;
const loadavg = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

interface Target {
  name: string;
  path: string;
}
interface Sample {
  target: Target;
  dueAt: number;
  firedAt: number;
  ms: number;
  status: number;
}

const agent = new http.Agent({ keepAlive: true });

/** One GET; resolves with the status (0 on a network error or timeout) once the whole body has arrived. */
function get(port: number, urlPath: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: urlPath, agent, timeout: TIMEOUT_MS }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', () => resolve({ status: 0, body: '' }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve({ status: 0, body: '' }));
  });
}

async function getJson<T>(port: number, urlPath: string): Promise<T> {
  const r = await get(port, urlPath);
  if (r.status < 200 || r.status >= 300) throw new Error(`GET ${urlPath}: ${r.status} ${r.body.slice(0, 200)}`);
  return JSON.parse(r.body) as T;
}

function post(port: number, urlPath: string, body: unknown): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const data = JSON.stringify(body);
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path: urlPath,
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

async function until<T>(what: string, fn: () => Promise<T | undefined>, ms = 300_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Fires every target at `perTarget` requests/s, interleaved evenly, for `seconds`. */
async function openLoop(
  port: number,
  targets: Target[],
  perTarget: number,
  seconds: number,
): Promise<{ samples: Sample[]; maxLagMs: number; wallS: number }> {
  const total = Math.round(perTarget * seconds) * targets.length;
  const step = 1000 / (perTarget * targets.length);
  const t0 = performance.now() + 50;
  const samples: Sample[] = [];
  const inFlight: Promise<void>[] = [];
  let maxLagMs = 0;
  for (let i = 0; i < total; i++) {
    const dueAt = t0 + i * step;
    const wait = dueAt - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    const firedAt = performance.now();
    maxLagMs = Math.max(maxLagMs, firedAt - dueAt);
    const target = targets[i % targets.length];
    inFlight.push(
      get(port, target.path).then((r) => {
        samples.push({ target, dueAt, firedAt, ms: performance.now() - dueAt, status: r.status });
      }),
    );
  }
  await Promise.all(inFlight);
  return { samples, maxLagMs, wallS: (performance.now() - t0) / 1000 };
}

const ok = (s: Sample) => s.status >= 200 && s.status < 300;
const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];

function report(rows: [string, Sample[]][], seconds: number): void {
  console.log(
    `\n${'endpoint'.padEnd(46)} ${'count'.padStart(6)} ${'errors'.padStart(6)} ${'p50'.padStart(7)} ${'p90'.padStart(7)} ${'p99'.padStart(7)} ${'max'.padStart(7)}  rate/s`,
  );
  for (const [name, s] of rows) {
    const ms = s.map((x) => x.ms).sort((a, b) => a - b);
    const errors = s.filter((x) => !ok(x)).length;
    const f = (v: number) => v.toFixed(1).padStart(7);
    // Achieved rate: requests fired over the schedule's span.
    const span = (Math.max(...s.map((x) => x.firedAt)) - Math.min(...s.map((x) => x.firedAt))) / 1000;
    console.log(
      `${name.padEnd(46)} ${String(s.length).padStart(6)} ${String(errors).padStart(6)} ${f(pct(ms, 50))} ${f(pct(ms, 90))} ${f(pct(ms, 99))} ${f(ms[ms.length - 1])}  ${((s.length - 1) / (span || seconds)).toFixed(1)}`,
    );
  }
}

async function main(): Promise<void> {
  const cpu = os.cpus()[0]?.model ?? '?';
  console.log(
    `bench:web — ${nTracks} tracks, ${rate} requests/s per endpoint for ${duration} s (+${warmup} s warm-up, not counted); ` +
      `${os.cpus().length} CPUs (${cpu}); load average ${loadavg()}`,
  );
  const stack = await startBenchStack('web');
  const web: { pid?: number; exited?: Promise<unknown> } = {};
  try {
    const taskQueue = 'bench-web';
    const lib = plantLibrary(stack.scratch, { tracks: nTracks, groups: 20, seed: 1 });
    const env = {
      TEMPORAL_TASK_QUEUE: taskQueue,
      MEDIA_SERVER_TYPE: 'local',
      MUSIC_DIR: lib.musicDir,
      PLAYLIST_DIR: path.join(stack.scratch, 'playlists'),
      ANALYSIS_WORKERS: '0',
      DATABASE_URL: stack.databaseUrl,
      TEMPORAL_ADDRESS: stack.temporalAddress,
    };
    const pool = createPool(stack.databaseUrl);
    await migrate(pool);
    const t = performance.now();
    const stored = await storePlantedFeatures(pool, await createMediaProvider(loadConfig(env)), lib);
    await pool.end();
    console.log(`stored ${stored} analysed tracks in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    // One album nobody analyses (no analysis process polls): the library analysis stays running on it.
    for (const title of ['Pending One', 'Pending Two']) {
      const file = path.join(lib.musicDir, 'Unanalysed', 'Album', `${title}.wav`);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      writeSineWav(file, 0.05, 8000, 440);
    }

    stack.startWorker(env);
    const port = await freePort();
    const child = spawn(
      process.execPath,
      [
        ...(profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : []),
        '--import',
        'tsx',
        path.join(repoRoot, 'web/main.ts'),
      ],
      {
        cwd: repoRoot,
        detached: true,
        stdio: ['ignore', 'inherit', 'inherit'],
        env: { ...process.env, ...env, WEB_PORT: String(port), WEB_HOST: '127.0.0.1' },
      },
    );
    web.pid = child.pid;
    web.exited = new Promise((r) => child.once('exit', r));
    await waitForPollers(stack.client, [
      { name: taskQueue, kind: 'workflow', pollers: 1 },
      { name: `${taskQueue}-clustering`, kind: 'activity', pollers: 1 },
    ]);
    // The web server connects to Temporal in the background: ready once a status answers.
    await until('the web server', async () =>
      (await get(port, '/api/status/cluster-library')).status === 404 ? true : undefined,
    );

    const tc = performance.now();
    const started = await post(port, '/api/clustering/start', {
      runs,
      numClustersMin: 10,
      numClustersMax: 40,
      seed: 1,
    });
    if (started.status !== 202) throw new Error(`clustering start: ${started.status} ${started.body}`);
    await until(
      'the clustering',
      async () => {
        const s = await getJson<{ state: string; details: { error?: string } }>(port, '/api/status/cluster-library');
        if (s.state === 'FAILURE' || s.state === 'REVOKED')
          throw new Error(`clustering ${s.state}: ${s.details.error}`);
        return s.state === 'SUCCESS' ? true : undefined;
      },
      900_000,
    );
    const answer = await get(port, '/api/playlists');
    const playlists = JSON.parse(answer.body) as { playlists: { size: number }[] };
    const size = Buffer.byteLength(answer.body);
    console.log(
      `clusterLibrary (${runs} runs) in ${((performance.now() - tc) / 1000).toFixed(1)} s: ${playlists.playlists.length} playlists, ` +
        `${playlists.playlists.reduce((n, p) => n + p.size, 0)} tracks in them, /api/playlists answers ${(size / 1024).toFixed(0)} KB`,
    );

    const analysis = await post(port, '/api/analysis/start', { numRecentAlbums: 0 });
    if (analysis.status !== 202) throw new Error(`analysis start: ${analysis.status} ${analysis.body}`);
    const progress = await until('the analysis to reach the unanalysed album', async () => {
      const s = await getJson<{ state: string; details: { albumsTotal?: number; albumsDone?: number } }>(
        port,
        '/api/status/analyze-library',
      );
      const d = s.details;
      return s.state === 'PROGRESS' && d.albumsTotal && d.albumsDone === d.albumsTotal - 1 ? d : undefined;
    });
    console.log(
      `analyzeLibrary running: ${progress.albumsDone}/${progress.albumsTotal} albums done, the last one waits for an analysis process`,
    );

    const targets: Target[] = [
      { name: 'GET /api/status/analyze-library (running)', path: '/api/status/analyze-library' },
      { name: 'GET /api/playlists', path: '/api/playlists' },
      { name: 'GET /api/status/cluster-library (finished)', path: '/api/status/cluster-library' },
      { name: 'GET /api/playlists', path: '/api/playlists' },
    ];
    // Unloaded: one request at a time, what each answer costs on its own.
    for (const x of targets.slice(0, 3)) {
      const ms: number[] = [];
      for (let i = 0; i < 40; i++) {
        const t1 = performance.now();
        const r = await get(port, x.path);
        if (r.status !== 200) throw new Error(`${x.path}: ${r.status} ${r.body.slice(0, 200)}`);
        ms.push(performance.now() - t1);
      }
      ms.sort((a, b) => a - b);
      console.log(`unloaded ${x.name}: p50 ${pct(ms, 50).toFixed(1)} ms, max ${ms[ms.length - 1].toFixed(1)} ms`);
    }
    // Each endpoint gets `rate`/s: status alternates its two ids, playlists takes every other slot.
    if (warmup > 0) await openLoop(port, targets, rate / 2, warmup);
    console.log(`load average before the measured run: ${loadavg()}`);
    const cpu0 = treeCpu('load generator (this process)');
    const run = await openLoop(port, targets, rate / 2, duration);
    const cpu1 = treeCpu('load generator (this process)');
    const by = (pred: (s: Sample) => boolean) => run.samples.filter(pred);
    const status = by((s) => s.target.path.startsWith('/api/status/'));
    const lists = by((s) => s.target.path === '/api/playlists');
    report(
      [
        ['GET /api/status/:id (both ids)', status],
        ...targets
          .slice(0, 3)
          .filter((x) => x.path !== '/api/playlists')
          .map((x): [string, Sample[]] => [`  ${x.name}`, by((s) => s.target === x)]),
        ['GET /api/playlists', lists],
      ],
      duration,
    );
    const p99 = (s: Sample[]) =>
      pct(
        s.map((x) => x.ms).sort((a, b) => a - b),
        99,
      );
    const failed = run.samples.filter((s) => !ok(s));
    const errors = failed.length;
    if (errors) {
      const codes = new Map<number, number>();
      for (const s of failed) codes.set(s.status, (codes.get(s.status) ?? 0) + 1);
      console.log(
        `errors by status (0 = network error or ${TIMEOUT_MS / 1000} s timeout): ${[...codes].map(([c, n]) => `${c} ×${n}`).join(', ')}`,
      );
    }
    // Where the CPU went: per request, so a change to one endpoint shows up in the process that pays for it.
    console.log(
      `\nCPU during the measured run, ms per request (${run.samples.length} requests, ${os.cpus().length} cores): ` +
        [...cpu1]
          .map(([role, s]): [string, number] => [role, s - (cpu0.get(role) ?? 0)])
          .filter(([, s]) => s > 0)
          .sort((a, b) => b[1] - a[1])
          .map(([role, s]) => `${role} ${((s * 1000) / run.samples.length).toFixed(2)}`)
          .join(', '),
    );
    console.log(
      `generator: largest firing delay ${run.maxLagMs.toFixed(1)} ms (latency counts from the due time); load average after: ${loadavg()}`,
    );
    console.log(
      `SUMMARY bench:web ${rate}/s per endpoint × ${duration} s on ${cpu}: status p50 ${pct(
        status.map((x) => x.ms).sort((a, b) => a - b),
        50,
      ).toFixed(1)} ms ` +
        `p99 ${p99(status).toFixed(1)} ms; playlists p50 ${pct(
          lists.map((x) => x.ms).sort((a, b) => a - b),
          50,
        ).toFixed(1)} ms p99 ${p99(lists).toFixed(1)} ms; ` +
        `${errors} errors; target p99 < 50 ms ${p99(status) < 50 && p99(lists) < 50 && errors === 0 ? 'met' : 'MISSED'}`,
    );
  } finally {
    agent.destroy();
    if (web.pid) {
      try {
        process.kill(-web.pid, 'SIGTERM');
      } catch {
        /* gone */
      }
      await web.exited;
    }
    await stack.stop();
  }
}

main().catch((err) => {
  console.error(`bench:web: ${(err as Error).message}`);
  process.exitCode = 1;
});
