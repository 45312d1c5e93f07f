import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { Client, Connection } from '@temporalio/client';
import type { AddressInfo } from 'node:net';
import { spawnSync } from 'node:child_process';
import { createPool, migrate, type Pool } from '../../lib/db.ts';
import { MIGRATIONS } from '../../lib/migrations.ts';
import type { WebDeps } from '../../web/app.ts';
import { uiBundleIsFresh } from '../../web/ui-bundle.ts';
import { freshDatabase, releaseServices, services } from '../helpers/services.ts';
import { closeServedApps, serveApp } from '../helpers/web-app.ts';
import { startTestWorker, testConfig } from '../helpers/worker.ts';

let pool: Pool;
let databaseUrl: string;
let address: string;
let base: string;
let worker: Awaited<ReturnType<typeof startTestWorker>>;
const config = testConfig();

before(async () => {
  address = (await services()).temporalAddress;
  databaseUrl = await freshDatabase();
  pool = createPool(databaseUrl);
  await migrate(pool);
  worker = await startTestWorker({ address, pool, config });
  base = (
    await serveApp({ pool, client: worker.client, temporalAddress: address, config }, { keepAliveTimeout: 60_000 })
  ).base;
});

after(async () => {
  closeServedApps();
  await worker?.stop();
  await pool?.end();
  await releaseServices();
});

async function healthWhenWorkerPolls(url: string): Promise<{ status: number; body: any }> {
  // A new worker's first poll reaches the server a moment after it starts.
  for (let i = 0; ; i++) {
    const res = await fetch(url);
    const body: any = await res.json();
    if (body.worker.ok || i > 50) return { status: res.status, body };
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Serves an app built from `deps` on a throwaway port and returns its health answer. */
async function healthOf(deps: WebDeps, waitForWorker = false): Promise<{ status: number; body: any }> {
  const app = await serveApp(deps);
  try {
    const url = `${app.base}/api/health`;
    if (waitForWorker) return await healthWhenWorkerPolls(url);
    const res = await fetch(url);
    return { status: res.status, body: await res.json() };
  } finally {
    app.close();
  }
}

test('the round-trip workflow goes client -> server -> worker -> activity -> Postgres', async () => {
  const token = `t-${Date.now()}`;
  const result = (await worker.client.workflow.execute('roundTripWorkflow', {
    taskQueue: config.temporal.taskQueue,
    workflowId: `rt-${token}`,
    args: [token],
  })) as { token: string; worker: string };
  assert.equal(result.token, token);
  const { rows } = await pool.query('SELECT worker FROM round_trips WHERE token = $1', [token]);
  assert.equal(rows.length, 1, 'the activity wrote its row');
  assert.equal(rows[0].worker, result.worker);
});

test('GET /api/health reports Postgres, Temporal and the polling worker', async () => {
  const { status, body } = await healthWhenWorkerPolls(`${base}/api/health`);
  assert.equal(status, 200);
  assert.equal(body.ok, true);
  assert.equal(body.postgres.ok, true);
  assert.equal(body.postgres.schemaVersion, Math.max(...MIGRATIONS.map((m) => m.version)), 'every migration applied');
  assert.equal(body.temporal.ok, true);
  assert.equal(body.worker.ok, true);
  assert.ok(body.worker.workflowPollers.length >= 1);
  assert.equal(body.worker.clusteringPollers, 1, 'the worker polls the clustering queue too');
  assert.equal(body.worker.analysisPollers, 0, 'this test worker runs no analysis process');
});

test('deep health runs the round trip through the worker, then removes the row it wrote', async () => {
  const count = async () => (await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM round_trips')).rows[0].n;
  const before = await count();
  const res = await fetch(`${base}/api/health?deep=1`);
  const body: any = await res.json();
  assert.equal(res.status, 200);
  assert.equal(body.roundTrip.ok, true);
  assert.equal(await count(), before, 'the row the round trip wrote (health checks it was there) is removed');
  const ms = body.roundTrip.latencyMs;
  // No upper bound here: the round trip's own 15 s execution timeout fails it (ok: false) when it hangs.
  assert.ok(ms > 0, `round-trip latency ${ms} ms: a workflow through the worker takes more than 0`);
});

test('health is 503 and names the missing worker when nobody polls the task queue', async () => {
  const { status, body } = await healthOf({
    pool,
    client: worker.client,
    temporalAddress: address,
    config: { ...config, temporal: { ...config.temporal, taskQueue: 'nobody-polls-this-queue' } },
  });
  assert.equal(status, 503);
  assert.equal(body.ok, false);
  assert.equal(body.postgres.ok, true);
  assert.equal(body.worker.ok, false);
  assert.match(body.worker.error, /no worker is polling task queue "nobody-polls-this-queue"/);
});

test('health reports Temporal down without failing the request', async () => {
  // A real client connected through a TCP proxy to the real server; then the proxy goes away, as a crashed or
  // unreachable Temporal would.
  const sockets = new Set<net.Socket>();
  const [host, port] = address.split(':');
  const proxy = net.createServer((inbound) => {
    const outbound = net.connect(Number(port), host);
    for (const s of [inbound, outbound]) {
      sockets.add(s);
      s.on('error', () => s.destroy());
      s.on('close', () => sockets.delete(s));
    }
    inbound.pipe(outbound).pipe(inbound);
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  const via = `127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  // No retry interceptor: a retry timer firing after the connection is closed would crash the test process.
  const client = new Client({ connection: await Connection.connect({ address: via, interceptors: [] }) });
  try {
    const up = await healthOf({ pool, client, temporalAddress: via, config });
    assert.equal(up.body.temporal.ok, true, 'reachable through the proxy first');
    await new Promise<void>((r) => {
      proxy.close(() => r());
      for (const s of sockets) s.destroy();
    });
    const { status, body } = await healthOf({ pool, client, temporalAddress: via, config });
    assert.equal(
      body.temporal.ok,
      false,
      `Temporal behind the closed proxy reported up: ${JSON.stringify(body.temporal)}`,
    );
    assert.equal(status, 503);
    assert.equal(body.temporal.address, via);
    assert.match(body.temporal.error, /\S/);
    assert.equal(body.worker.ok, false);
    assert.equal(body.postgres.ok, true);
  } finally {
    await client.connection.close();
  }
});

test('bad API input gets a 4xx naming the field; unknown endpoints a JSON 404', async () => {
  const bad = await fetch(`${base}/api/health?deep=maybe`);
  assert.equal(bad.status, 400);
  assert.deepEqual(await bad.json(), { error: 'deep: expected one of 0, 1, true, false, got "maybe"', field: 'deep' });
  const missing = await fetch(`${base}/api/nothing-here`);
  assert.equal(missing.status, 404);
  assert.match(((await missing.json()) as { error: string }).error, /no such endpoint: GET \/api\/nothing-here/);
});

test('the page at / loads its bundle (built from web/ui when missing or stale), which shows the health of each part', async () => {
  const res = await fetch(`${base}/`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /text\/html/);
  const html = await res.text();
  assert.match(html, /<script type="module" src="\/ui\/main\.js"><\/script>/);
  assert.match(html, /<link rel="stylesheet" href="\/ui\/main\.css">/);
  assert.doesNotMatch(html, /<script>|<script type="module">|on(click|load)=/, 'no inline script: the CSP forbids it');
  assert.match(res.headers.get('content-security-policy') ?? '', /script-src 'self'/);
  const js = await fetch(`${base}/ui/main.js`);
  assert.equal(js.status, 200);
  assert.match(js.headers.get('content-type') ?? '', /javascript/);
  const code = await js.text();
  assert.match(code, /\/api\/health/);
  assert.match(code, /PostgreSQL/);
  const css = await fetch(`${base}/ui/main.css`);
  assert.match(css.headers.get('content-type') ?? '', /text\/css/);
  assert.equal(await uiBundleIsFresh(), true, 'the bundle is at least as new as every source file');
  assert.equal((await fetch(`${base}/ui/other.js`)).status, 404, "only the bundle's files are served");
});

test('`audiomuse health` prints the same JSON as the API and its exit code follows it', async () => {
  const env = {
    ...process.env,
    DATABASE_URL: databaseUrl,
    TEMPORAL_ADDRESS: address,
    TEMPORAL_TASK_QUEUE: config.temporal.taskQueue,
  };
  await healthWhenWorkerPolls(`${base}/api/health`);
  const up = spawnSync(process.execPath, ['bin/audiomuse.mjs', 'health'], { env, encoding: 'utf8' });
  assert.equal(up.status, 0, up.stderr);
  const cli = JSON.parse(up.stdout);
  const api: any = await (await fetch(`${base}/api/health`)).json();
  const shared = (o: object) =>
    Object.keys(o)
      .filter((k) => k !== 'temporalUi' && k !== 'mediaServer')
      .sort();
  assert.deepEqual(shared(cli), shared(api));
  assert.equal(cli.mediaServer.type, 'local', 'the CLI also reports the configured media source');
  assert.equal(cli.ok, true);
  assert.deepEqual(cli.worker.workflowPollers, api.worker.workflowPollers);

  const down = spawnSync(process.execPath, ['bin/audiomuse.mjs', 'health'], {
    env: { ...env, TEMPORAL_TASK_QUEUE: 'nobody-polls-this-queue' },
    encoding: 'utf8',
  });
  assert.equal(down.status, 1);
  assert.equal(JSON.parse(down.stdout).worker.ok, false);

  const badConfig = spawnSync(process.execPath, ['bin/audiomuse.mjs', 'health'], {
    env: { ...env, WEB_PORT: 'eighty' },
    encoding: 'utf8',
  });
  assert.equal(badConfig.status, 2);
  assert.match(badConfig.stderr, /WEB_PORT="eighty"/);
});

test('health reports the media source without letting it decide whether the system runs', async () => {
  const { createMediaProvider } = await import('../../providers/media/index.ts');
  const { scratchDir } = await import('../helpers/services.ts');
  const music = scratchDir('health-music');
  const check = async (musicDir: string) => {
    const media = await createMediaProvider({ mediaServerType: 'local', musicDir, playlistDir: `${music}/Playlists` });
    return healthOf({ pool, client: worker.client, temporalAddress: address, config, media }, true);
  };
  const present = await check(music);
  assert.equal(present.body.mediaServer.ok, true);
  assert.equal(present.body.mediaServer.type, 'local');
  const absent = await check(`${music}/does-not-exist`);
  assert.equal(absent.body.mediaServer.ok, false);
  assert.match(absent.body.mediaServer.error, /MUSIC_DIR .*does-not-exist/);
  assert.equal(absent.status, 200, 'a missing music folder does not make the system unhealthy');
});
