// The web app of bench:big-library: `web/main.ts` in its own process (as `npm run web` runs it) against the
// big library, and one-at-a-time GETs of a route with their latency percentiles.
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { repoRoot } from '../lib/config.ts';
import { freePort } from '../test/helpers/services.ts';

export interface WebProcess {
  port: number;
  stop(): Promise<void>;
}

const agent = new http.Agent({ keepAlive: true });

export function get(port: number, urlPath: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: urlPath, agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      })
      .on('error', reject);
  });
}

/** Starts the web process on a free port (no Temporal: the routes measured need only PostgreSQL). */
export async function startWeb(env: Record<string, string>): Promise<WebProcess> {
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'web/main.ts')], {
    cwd: repoRoot,
    detached: true,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: {
      ...process.env,
      ...env,
      TEMPORAL_ADDRESS: `127.0.0.1:${await freePort()}`,
      WEB_PORT: String(port),
      WEB_HOST: '127.0.0.1',
    },
  });
  const exited = new Promise((r) => child.once('exit', r));
  const deadline = Date.now() + 120_000;
  for (;;) {
    const up = await get(port, '/api/tracks?limit=1').then(
      (r) => r.status === 200,
      () => false,
    );
    if (up) break;
    if (child.exitCode !== null || Date.now() > deadline) throw new Error('the web process did not answer');
    await new Promise((r) => setTimeout(r, 300));
  }
  return {
    port,
    async stop() {
      agent.destroy();
      try {
        process.kill(-child.pid!, 'SIGTERM');
      } catch {
        /* gone */
      }
      await exited;
    },
  };
}

const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];

/** `requests` GETs one after the other (after `warmup` uncounted ones): p50, p99, max and the answer's size. */
export async function latency(port: number, urlPath: string, requests: number, warmup = 5) {
  let bytes = 0;
  const ms: number[] = [];
  for (let i = 0; i < warmup + requests; i++) {
    const t = performance.now();
    const r = await get(port, urlPath);
    if (r.status !== 200) throw new Error(`GET ${urlPath}: ${r.status} ${r.body.slice(0, 200)}`);
    if (i >= warmup) ms.push(performance.now() - t);
    bytes = r.body.length;
  }
  ms.sort((a, b) => a - b);
  return { p50: pct(ms, 50), p99: pct(ms, 99), max: ms[ms.length - 1], bytes };
}
