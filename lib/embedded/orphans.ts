// After a kill -9 of `npm start`, its embedded servers keep running. The next start reuses them and adopts
// them: Ctrl-C then stops them as if it had started them itself. Linux only (/proc); elsewhere they are left running.
import fs from 'node:fs';
import path from 'node:path';

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function terminate(pid: number, signal: NodeJS.Signals, timeoutMs = 15_000): Promise<void> {
  try {
    process.kill(pid, signal);
  } catch {
    return;
  }
  const deadline = Date.now() + timeoutMs;
  while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  if (alive(pid)) process.kill(pid, 'SIGKILL');
}

/** The PostgreSQL postmaster serving `dataDir`, from its postmaster.pid. */
export function postmasterPid(dataDir: string): number | undefined {
  try {
    const pid = Number(fs.readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    return pid > 0 && alive(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** The process whose command line contains every one of `needles` (e.g. the dev server using our SQLite file). */
export function findProcess(needles: string[]): number | undefined {
  let entries: string[];
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return undefined;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const args = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (needles.every((n) => args.includes(n))) return Number(entry);
    } catch {
      // process ended while we looked
    }
  }
  return undefined;
}

/** A stop function for an adopted server: PostgreSQL takes SIGINT (fast shutdown), Temporal SIGTERM. */
export function stopAdopted(pid: number | undefined, signal: NodeJS.Signals): () => Promise<void> {
  return async () => {
    if (pid) await terminate(pid, signal);
  };
}
