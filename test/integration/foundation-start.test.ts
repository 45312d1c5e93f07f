// `npm start` as a user runs it: embedded PostgreSQL + Temporal dev server + worker + web, stopped by Ctrl-C,
// and started again on the same data.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import pg from 'pg';
import { portInUse } from '../../lib/embedded/temporal.ts';
import { freePort, scratchDir } from '../helpers/services.ts';

const dataDir = scratchDir('start');
after(() => fs.rmSync(dataDir, { recursive: true, force: true }));

const baseEnv = (ports: Record<string, number>) => {
  const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dataDir, MUSIC_DIR: path.join(dataDir, 'music') };
  for (const name of [
    'DATABASE_URL',
    'POSTGRES_HOST',
    'TEMPORAL_ADDRESS',
    'TEST_DATABASE_URL',
    'TEST_TEMPORAL_ADDRESS',
  ])
    delete env[name];
  for (const [k, v] of Object.entries(ports)) env[k] = String(v);
  return env;
};

function start(env: NodeJS.ProcessEnv): { child: ChildProcess; output: () => string } {
  let out = '';
  const child = spawn(process.execPath, ['--import', 'tsx', 'cli/start.ts'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  return { child, output: () => out };
}

async function waitForHealth(
  url: string,
  proc: { child: ChildProcess; output: () => string },
  timeoutMs: number,
): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    if (proc.child.exitCode !== null)
      throw new Error(`npm start exited early (${proc.child.exitCode}):\n${proc.output()}`);
    try {
      const res = await fetch(url);
      last = await res.json();
      if (res.status === 200) return last;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`not healthy within ${timeoutMs} ms; last answer ${JSON.stringify(last)}\n${proc.output()}`);
}

const exited = (child: ChildProcess) =>
  new Promise<number | null>((r) => (child.exitCode !== null ? r(child.exitCode) : child.once('exit', (c) => r(c))));

test(
  'npm start brings everything up, Ctrl-C stops it all, and later starts (also after kill -9) keep the data',
  { timeout: 240_000 },
  async () => {
    const ports = {
      WEB_PORT: await freePort(),
      EMBEDDED_POSTGRES_PORT: await freePort(),
      TEMPORAL_PORT: await freePort(),
      TEMPORAL_UI_PORT: await freePort(),
    };
    const env = baseEnv(ports);
    const health = `http://127.0.0.1:${ports.WEB_PORT}/api/health`;
    const dbUrl = `postgresql://audiomuse:audiomusepassword@127.0.0.1:${ports.EMBEDDED_POSTGRES_PORT}/audiomusedb`;

    const first = start(env);
    const body = await waitForHealth(health, first, 60_000);
    assert.equal(body.postgres.ok && body.temporal.ok && body.worker.ok, true);
    const deep: any = await (await fetch(`${health}?deep=1`)).json();
    assert.equal(deep.roundTrip.ok, true, JSON.stringify(deep));
    // The deep check removes its row; a row of our own shows that the data survives the restarts below.
    const db = new pg.Client({ connectionString: dbUrl });
    await db.connect();
    await db.query(`INSERT INTO round_trips (token, worker) VALUES ('survives-restarts', 'test')`);
    await db.end();
    const ui = await fetch(`http://127.0.0.1:${ports.TEMPORAL_UI_PORT}/`);
    assert.equal(ui.status, 200, 'Temporal Web answers on TEMPORAL_UI_PORT');
    // The round-trip workflow is visible to the `temporal` CLI too.
    const cli = spawnSync(
      'temporal',
      [
        'workflow',
        'list',
        '--address',
        `127.0.0.1:${ports.TEMPORAL_PORT}`,
        '--query',
        "WorkflowType='roundTripWorkflow'",
        '--output',
        'json',
      ],
      { encoding: 'utf8' },
    );
    assert.equal(cli.status, 0, cli.stderr);
    assert.match(cli.stdout, /health-roundtrip-/);

    first.child.kill('SIGINT');
    assert.equal(await exited(first.child), 0, first.output());
    for (const [name, port] of Object.entries(ports))
      assert.equal(await portInUse(port), false, `${name} ${port} released after Ctrl-C`);

    // kill -9 leaves PostgreSQL and Temporal running: the next start must reuse them, keep the data, and stop them on Ctrl-C.
    const second = start(env);
    await waitForHealth(health, second, 60_000);
    second.child.kill('SIGKILL');
    await exited(second.child);

    const third = start(env);
    try {
      await waitForHealth(health, third, 60_000);
      assert.match(third.output(), /PostgreSQL.*reusing the running server/);
      assert.match(third.output(), /Temporal.*reusing the running server/);
      const client = new pg.Client({ connectionString: dbUrl });
      await client.connect();
      const { rows } = await client.query(
        `SELECT count(*)::int AS n FROM round_trips WHERE token = 'survives-restarts'`,
      );
      await client.end();
      assert.equal(rows[0].n, 1, "the first run's row survived the restarts");
      const history = spawnSync(
        'temporal',
        ['workflow', 'list', '--address', `127.0.0.1:${ports.TEMPORAL_PORT}`, '--output', 'json'],
        { encoding: 'utf8' },
      );
      assert.equal(history.status, 0, history.stderr);
      assert.match(history.stdout, /health-roundtrip-/, 'Temporal history survived the restarts');
    } finally {
      third.child.kill('SIGINT');
      assert.equal(await exited(third.child), 0, third.output());
    }
    for (const [name, port] of Object.entries(ports))
      assert.equal(await portInUse(port), false, `${name} ${port} released after Ctrl-C of the adopting start`);
  },
);

test('a bad configuration value stops npm start with one line naming it', async () => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'cli/start.ts'], {
    env: { ...baseEnv({}), NUM_CLUSTERS_MIN: 'abc' },
    encoding: 'utf8',
  });
  assert.notEqual(r.status, 0);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0], /NUM_CLUSTERS_MIN="abc".*integer/);
});
