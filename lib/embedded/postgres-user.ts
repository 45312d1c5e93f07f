// Run as root, the embedded PostgreSQL runs as the `postgres` user (PostgreSQL refuses root), which must be
// able to execute the binaries and own the data folder. A checkout in root's home (mode 700) gives it
// neither, so what it cannot reach is placed under EMBEDDED_POSTGRES_ROOT_DIR; root's home stays closed.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';

export interface UserIds {
  uid: number;
  gid: number;
}

const idOf = (flag: '-u' | '-g') => {
  const r = spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' });
  return r.status === 0 ? Number(r.stdout.trim()) : undefined;
};

/** The `postgres` user's ids, creating the user (as embedded-postgres would) when the system has none. */
export function postgresUserIds(): UserIds {
  if (idOf('-u') === undefined) {
    spawnSync('groupadd', ['--system', 'postgres']); // fails harmlessly when only the group exists
    const r = spawnSync(
      'useradd',
      ['--system', '-g', 'postgres', '--no-create-home', '--shell', '/usr/sbin/nologin', 'postgres'],
      { encoding: 'utf8' },
    );
    if (idOf('-u') === undefined) {
      throw new Error(
        `Running as root, the embedded PostgreSQL needs a 'postgres' user and useradd failed (${(r.stderr || r.error?.message || '').trim()}); create the user, or set DATABASE_URL / POSTGRES_HOST.`,
      );
    }
  }
  return { uid: idOf('-u')!, gid: idOf('-g')! };
}

/** `test <flag> <p>` run as the user, exactly as the server will be spawned (no supplementary groups). */
function userCan(ids: UserIds, flag: '-x' | '-w', p: string): boolean {
  return spawnSync('test', [flag, p], { uid: ids.uid, gid: ids.gid }).status === 0;
}

function cannotReach(what: string): Error {
  return new Error(
    `Running as root, the embedded PostgreSQL runs as the 'postgres' user, which cannot reach ${what}. ` +
      `Set EMBEDDED_POSTGRES_ROOT_DIR to a folder it can reach (e.g. /var/lib/audiomuse), or set DATABASE_URL / POSTGRES_HOST.`,
  );
}

/** Where the data folder goes: `dataDir` when the user can reach it, else a folder of its own under `rootDir`. */
export function placeDataDir(ids: UserIds, dataDir: string, rootDir: string, log: (line: string) => void): string {
  fs.mkdirSync(path.dirname(dataDir), { recursive: true });
  if (userCan(ids, '-x', path.dirname(dataDir))) return dataDir;
  fs.mkdirSync(rootDir, { recursive: true, mode: 0o755 });
  // One folder per DATA_DIR, so two checkouts never share a cluster and a restart finds its data again.
  const moved = path.join(rootDir, `postgres-data-${createHash('sha256').update(dataDir).digest('hex').slice(0, 12)}`);
  if (!userCan(ids, '-x', rootDir)) throw cannotReach(`${path.dirname(dataDir)} nor ${rootDir}`);
  log(`The 'postgres' user cannot reach ${dataDir}; the embedded PostgreSQL keeps its data in ${moved} instead.`);
  return moved;
}

/** Where the binaries run from: the package's folder when the user can execute them, else a copy under `rootDir`. */
export function placeBinaries(
  ids: UserIds,
  nativeDir: string,
  version: string,
  rootDir: string,
  log: (line: string) => void,
): string {
  if (userCan(ids, '-x', path.join(nativeDir, 'bin', 'postgres'))) return nativeDir;
  const copy = path.join(rootDir, `postgres-${version}`);
  if (!fs.existsSync(path.join(copy, 'bin', 'postgres'))) {
    fs.mkdirSync(rootDir, { recursive: true, mode: 0o755 });
    log(`The 'postgres' user cannot reach ${nativeDir}; copying the PostgreSQL binaries to ${copy} (once).`);
    // Copied aside and renamed, so a concurrent start never runs a half-copied tree.
    const tmp = `${copy}.${process.pid}.tmp`;
    fs.cpSync(nativeDir, tmp, { recursive: true, verbatimSymlinks: true });
    try {
      fs.renameSync(tmp, copy);
    } catch {
      fs.rmSync(tmp, { recursive: true, force: true }); // another start placed it first
    }
  }
  if (!userCan(ids, '-x', path.join(copy, 'bin', 'postgres'))) throw cannotReach(`${nativeDir} nor ${copy}`);
  return copy;
}
