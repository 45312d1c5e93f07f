// A real Subsonic server for integration tests: Debian's Supysonic (API 1.10.2, password login only), run from
// a temporary folder with its own config and SQLite database, users added and a music folder scanned by
// supysonic-cli, then served by waitress on a free loopback port. Stopped by stop() or when the process exits.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './services.ts';

const run = promisify(execFile);

export const SUPYSONIC_CLI = '/usr/bin/supysonic-cli';
export const SUPYSONIC_SERVER = '/usr/bin/supysonic-server';
/** Supysonic's own interpreter (Debian's), not whatever python3 is first on PATH. */
const PYTHON = '/usr/bin/python3';

/** Why Supysonic cannot run here, or undefined when it can. */
export function supysonicMissing(): string | undefined {
  for (const exe of [SUPYSONIC_CLI, SUPYSONIC_SERVER]) {
    if (!fs.existsSync(exe)) return `${exe} is missing (apt-get install supysonic python3-waitress)`;
  }
  if (!fs.existsSync('/usr/lib/python3/dist-packages/waitress'))
    return 'python3-waitress is missing (apt-get install python3-waitress)';
  return undefined;
}

/** `skip` option for node:test: false when Supysonic can run; under CI a missing one fails instead of skipping. */
export function supysonicSkip(): false | string {
  const missing = supysonicMissing();
  if (!missing) return false;
  if (process.env.CI) throw new Error(`Supysonic is needed under CI: ${missing}`);
  return `skipped: ${missing}`;
}

export interface SupysonicUser {
  name: string;
  password: string;
  admin?: boolean;
}

export interface Supysonic {
  url: string;
  dir: string;
  /** Stored track ids of a playlist, in order, read from Supysonic's database rather than through its API. */
  members(playlistId: string): Promise<string[]>;
  stop(): Promise<void>;
}

export async function startSupysonic(opts: { musicDir: string; users: SupysonicUser[] }): Promise<Supysonic> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'supysonic-'));
  const db = path.join(dir, 'supysonic.db');
  // Supysonic reads ./supysonic.conf (and ~/.supysonic): cwd and HOME point at the temporary folder.
  fs.writeFileSync(
    path.join(dir, 'supysonic.conf'),
    [
      '[base]',
      `database_uri = sqlite:///${db}`,
      '[webapp]',
      `cache_dir = ${path.join(dir, 'cache')}`,
      'mount_webui = no',
      'log_level = WARNING',
      '[daemon]',
      `socket = ${path.join(dir, 'daemon.sock')}`,
      'run_watcher = no',
      '',
    ].join('\n'),
  );
  const env = { ...process.env, HOME: dir };
  const cli = (...args: string[]) => run(SUPYSONIC_CLI, args, { cwd: dir, env });
  for (const u of opts.users) {
    await cli('user', 'add', u.name, '-p', u.password);
    if (u.admin) await cli('user', 'setroles', '--admin', u.name);
  }
  await cli('folder', 'add', 'music', opts.musicDir);
  await cli('folder', 'scan', '--foreground', 'music');

  const port = await freePort();
  const server: ChildProcess = spawn(SUPYSONIC_SERVER, ['-S', 'waitress', '-h', '127.0.0.1', '-p', String(port)], {
    cwd: dir,
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  server.stderr!.on('data', (c: Buffer) => {
    stderr = (stderr + c.toString()).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => server.once('exit', () => resolve()));
  const killOnExit = () => server.kill('SIGKILL');
  process.once('exit', killOnExit);
  const stop = async () => {
    process.removeListener('exit', killOnExit);
    if (server.exitCode === null && server.signalCode === null) server.kill('SIGTERM');
    await exited;
    fs.rmSync(dir, { recursive: true, force: true });
  };

  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 120_000; // generous: a loaded machine starts Python slowly
  for (;;) {
    if (server.exitCode !== null) {
      await stop();
      throw new Error(`supysonic-server exited with ${server.exitCode}: ${stderr}`);
    }
    // Any Subsonic envelope (here "parameter missing") means the server answers.
    const up = await fetch(`${url}/rest/ping.view?f=json`)
      .then((r) => r.text())
      .then(
        (t) => t.includes('subsonic-response'),
        () => false,
      );
    if (up) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`supysonic-server did not answer on ${url} within 120 s: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }

  return {
    url,
    dir,
    async members(playlistId) {
      // Pony stores UUID keys as their 16 bytes; the track list is a comma-separated text of UUIDs.
      const script = [
        'import sqlite3, sys, uuid',
        'row = sqlite3.connect(sys.argv[1]).execute("select tracks from playlist where id = ?", (uuid.UUID(sys.argv[2]).bytes,)).fetchone()',
        'print("-" if row is None else (row[0] or ""))',
      ].join('\n');
      const { stdout } = await run(PYTHON, ['-c', script, db, playlistId]);
      const text = stdout.trim();
      if (text === '-') throw new Error(`Supysonic's database has no playlist ${playlistId}`);
      return text === '' ? [] : text.split(',');
    },
    stop,
  };
}
