// Real worker processes for durability tests: `worker/main.ts` in its own process group (as a container runs
// it), killed with SIGKILL as a whole, and clean-up steps that run in `after` even when a test fails.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { repoRoot } from '../shared-paths.ts';

const cleanups: (() => Promise<unknown> | unknown)[] = [];
/** Process groups of spawned workers; killed at exit too, so a test process that dies leaves none running. */
const groups = new Set<number>();
process.on('exit', () => {
  for (const g of groups) {
    try {
      process.kill(-g, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Registers a clean-up step for runCleanups() and returns it, idempotent, for early use. */
export function onCleanup(step: () => Promise<unknown> | unknown): () => Promise<void> {
  let done: Promise<void> | undefined;
  const once = () =>
    (done ??= (async () => {
      await step();
    })());
  cleanups.push(once);
  return once;
}

/** Runs the registered steps, last first (worker processes die before the servers they talk to). */
export async function runCleanups(): Promise<void> {
  for (const c of cleanups.reverse()) {
    try {
      await c();
    } catch (err) {
      console.error(`cleanup: ${(err as Error).message}`);
    }
  }
  cleanups.length = 0;
}

/** Pids of live processes in process group `pgid` (from /proc; zombies count as gone). */
export function groupMembers(pgid: number): number[] {
  const pids: number[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      // pid (comm) state ppid pgrp ...: comm may contain spaces, so split after the last ')'.
      const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(pgrp) === pgid && state !== 'Z') pids.push(Number(name));
    } catch {
      // gone in between
    }
  }
  return pids;
}

export interface WorkerProcess {
  proc: ChildProcess;
  /** Everything it printed (stdout and stderr). */
  output(): string;
  /** Undefined while it runs, else how it ended. */
  exited(): string | undefined;
  /** SIGKILL to the whole group (the worker and its analysis processes); resolves when every member is gone. */
  killGroup(): Promise<void>;
}

/** `npm run worker` as a separate process group; killed by runCleanups() at the latest. */
export function spawnWorker(env: Record<string, string>): WorkerProcess {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
  delete childEnv.NODE_TEST_CONTEXT; // the test runner's marker must not make the worker report to it
  const proc = spawn(process.execPath, ['--import', 'tsx', 'worker/main.ts'], {
    cwd: repoRoot,
    detached: true,
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const pgid = proc.pid!;
  groups.add(pgid);
  let out = '';
  const keep = (b: Buffer) => {
    out += b.toString();
  };
  proc.stdout!.on('data', keep);
  proc.stderr!.on('data', keep);
  let how: string | undefined;
  proc.on('exit', (code, signal) => {
    how = `worker process ${pgid} exited (${signal ?? code}); output:\n${out.slice(-8000)}`;
  });
  const w: WorkerProcess = {
    proc,
    output: () => out,
    exited: () => how,
    async killGroup() {
      if (!groups.has(pgid)) return; // killed already: never signal a group id the system may have reused
      try {
        process.kill(-pgid, 'SIGKILL');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
      }
      const deadline = Date.now() + 60_000;
      while (groupMembers(pgid).length > 0) {
        if (Date.now() > deadline)
          throw new Error(`process group ${pgid} still has ${groupMembers(pgid).join(', ')} after SIGKILL`);
        await sleep(20);
      }
      groups.delete(pgid);
    },
  };
  onCleanup(() => w.killGroup());
  return w;
}
