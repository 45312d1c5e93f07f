// The real stack for end-to-end benchmarks: an embedded PostgreSQL and Temporal dev server in a scratch
// folder, the real worker process (`worker/main.ts`), and the process tree's peak memory.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { repoRoot } from '../lib/config.ts';
import { startEmbeddedPostgres } from '../lib/embedded/postgres.ts';
import { findTemporalCli, startEmbeddedTemporal } from '../lib/embedded/temporal.ts';
import { installRuntime } from '../lib/runtime.ts';
import { freePort } from '../test/helpers/services.ts';

export interface BenchStack {
  scratch: string;
  databaseUrl: string;
  temporalAddress: string;
  client: Client;
  /** Starts the real worker process group with these extra environment variables. */
  startWorker(env: Record<string, string>): ChildProcess;
  stop(): Promise<void>;
}

export async function startBenchStack(name: string): Promise<BenchStack> {
  installRuntime();
  const scratch = fs.mkdtempSync(path.join(tmpdir(), `audiomuse-bench-${name}-`));
  fs.chmodSync(scratch, 0o755);
  const pg = await startEmbeddedPostgres({
    dataDir: path.join(scratch, 'pg'),
    port: await freePort(),
    user: 'audiomuse',
    password: 'bench',
    database: 'audiomuse_bench',
  });
  const temporal = await startEmbeddedTemporal({
    cliPath: findTemporalCli(process.env.TEMPORAL_CLI_PATH),
    port: await freePort(),
    headless: true,
  });
  const connection = await Connection.connect({ address: temporal.address });
  const workers: ChildProcess[] = [];
  return {
    scratch,
    databaseUrl: pg.url,
    temporalAddress: temporal.address,
    client: new Client({ connection }),
    startWorker(env) {
      const worker = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'worker/main.ts')], {
        cwd: repoRoot,
        detached: true,
        stdio: ['ignore', 'inherit', 'inherit'],
        env: { ...process.env, DATABASE_URL: pg.url, TEMPORAL_ADDRESS: temporal.address, ...env },
      });
      workers.push(worker);
      return worker;
    },
    async stop() {
      await connection.close();
      for (const w of workers) {
        if (w.exitCode !== null || w.signalCode !== null) continue;
        try {
          process.kill(-w.pid!, 'SIGTERM');
        } catch {
          /* gone */
        }
        await new Promise((r) => w.once('exit', r));
      }
      await temporal.stop();
      await pg.stop();
      fs.rmSync(scratch, { recursive: true, force: true });
    },
  };
}

/** Resolves once every named task queue has at least the given number of pollers. */
export async function waitForPollers(
  client: Client,
  queues: { name: string; kind: 'workflow' | 'activity'; pollers: number }[],
): Promise<void> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const ok = await Promise.all(
      queues.map(async (q) => {
        const r = await client.workflowService.describeTaskQueue({
          namespace: 'default',
          taskQueue: { name: q.name },
          taskQueueType: q.kind === 'workflow' ? 1 : 2,
        });
        return (r.pollers?.length ?? 0) >= q.pollers;
      }),
    );
    if (ok.every(Boolean)) return;
    if (Date.now() > deadline)
      throw new Error(`the worker did not poll ${queues.map((q) => q.name).join(', ')} within 120 s`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** VmRSS of this process's descendants (not this process: it is the bench, not the system), in MB. */
export function treeRss(): { totalMB: number; byProcess: Map<string, number> } {
  const parent = new Map<number, number>();
  const rss = new Map<number, number>();
  const name = new Map<number, string>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const status = fs.readFileSync(`/proc/${entry}/status`, 'utf8');
      const cmd = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').filter(Boolean);
      parent.set(Number(entry), Number(/^PPid:\s+(\d+)/m.exec(status)?.[1]));
      rss.set(Number(entry), Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? 0));
      const script = cmd.find((a) => /\.(ts|js)$/.test(a)) ?? cmd[0] ?? '?';
      name.set(Number(entry), `${path.basename(cmd[0] ?? '?')} ${path.basename(script)}`.trim());
    } catch {
      /* exited meanwhile */
    }
  }
  const below = (pid: number): boolean =>
    pid > 1 && parent.has(pid) && (parent.get(pid) === process.pid || below(parent.get(pid)!));
  let kb = 0;
  const byProcess = new Map<string, number>();
  for (const [pid, r] of rss) {
    if (!below(pid)) continue;
    kb += r;
    const key = name.get(pid)!.startsWith('postgres') ? 'postgres (all backends)' : name.get(pid)!;
    byProcess.set(key, (byProcess.get(key) ?? 0) + r / 1024);
  }
  return { totalMB: kb / 1024, byProcess };
}
