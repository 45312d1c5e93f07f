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

/** A bench's database: the one named by --database-url, else an embedded PostgreSQL with its data in `dataDir`. */
export async function benchDatabase(
  databaseUrl: string | undefined,
  dataDir: string,
): Promise<{ url: string; embedded?: Awaited<ReturnType<typeof startEmbeddedPostgres>> }> {
  if (databaseUrl) return { url: databaseUrl };
  const embedded = await startEmbeddedPostgres({
    dataDir,
    port: await freePort(),
    user: 'audiomuse',
    password: 'bench',
    database: 'audiomuse_bench',
  });
  return { url: embedded.url, embedded };
}

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

/** Memory of the processes below this one, in MB, by process name. */
export interface TreeMemory {
  /** Sum of VmRSS: counts every shared page (code, PostgreSQL's shared buffers) once per process mapping it. */
  rssMB: number;
  /** Sum of PSS: each shared page split among the processes sharing it, i.e. what the system really holds. */
  pssMB: number;
  byProcess: Map<string, { rss: number; pss: number }>;
}

/** RSS and PSS of this process's descendants (not this process: it is the bench, not the system). */
export function treeMemory(): TreeMemory {
  const parent = new Map<number, number>();
  const usage = new Map<number, { rss: number; pss: number }>();
  const name = new Map<number, string>();
  const kB = (text: string, field: string) => Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? 0);
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const status = fs.readFileSync(`/proc/${entry}/status`, 'utf8');
      const cmd = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').filter(Boolean);
      parent.set(Number(entry), kB(status, 'PPid'));
      const rollup = fs.readFileSync(`/proc/${entry}/smaps_rollup`, 'utf8');
      usage.set(Number(entry), { rss: kB(status, 'VmRSS'), pss: kB(rollup, 'Pss') });
      const script = cmd.find((a) => /\.(ts|js)$/.test(a)) ?? cmd[0] ?? '?';
      name.set(Number(entry), `${path.basename(cmd[0] ?? '?')} ${path.basename(script)}`.trim());
    } catch {
      /* exited meanwhile, or not ours to read */
    }
  }
  const below = (pid: number): boolean =>
    pid > 1 && parent.has(pid) && (parent.get(pid) === process.pid || below(parent.get(pid)!));
  const total = { rss: 0, pss: 0 };
  const byProcess = new Map<string, { rss: number; pss: number }>();
  for (const [pid, u] of usage) {
    if (!below(pid)) continue;
    total.rss += u.rss;
    total.pss += u.pss;
    const key = name.get(pid)!.startsWith('postgres') ? 'postgres (all backends)' : name.get(pid)!;
    const sum = byProcess.get(key) ?? { rss: 0, pss: 0 };
    byProcess.set(key, { rss: sum.rss + u.rss / 1024, pss: sum.pss + u.pss / 1024 });
  }
  return { rssMB: total.rss / 1024, pssMB: total.pss / 1024, byProcess };
}

/** USER_HZ of /proc/<pid>/stat: 100 on every Linux we run on. */
const CLOCK_TICKS = 100;

/**
 * CPU seconds used so far by this process's descendants, by role (PostgreSQL's backends summed), with this
 * process under `self` when given. Children that have exited and been waited for (ffmpeg) count under
 * "<parent role>: exited children".
 */
export function treeCpu(self?: string): Map<string, number> {
  const procs = new Map<number, { ppid: number; cpu: number; children: number; role: string }>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // Fields after the command's closing parenthesis: state ppid … utime stime cutime cstime (14th–17th).
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const cmd = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      const script = cmd.find((a) => /\.(ts|js)$/.test(a));
      const role = script
        ? /(web|worker)\/main\.ts$/.test(script)
          ? `${/(web|worker)\/main\.ts$/.exec(script)![1]} process`
          : path.basename(script, path.extname(script))
        : /postgres/.test(cmd[0] ?? '')
          ? 'postgres'
          : path.basename(cmd[0] ?? '?');
      procs.set(Number(entry), {
        ppid: Number(f[1]),
        cpu: (Number(f[11]) + Number(f[12])) / CLOCK_TICKS,
        children: (Number(f[13]) + Number(f[14])) / CLOCK_TICKS,
        role,
      });
    } catch {
      /* exited meanwhile */
    }
  }
  const below = (pid: number): boolean =>
    procs.has(pid) && (procs.get(pid)!.ppid === process.pid || below(procs.get(pid)!.ppid));
  const out = new Map<string, number>();
  const add = (role: string, s: number) => out.set(role, (out.get(role) ?? 0) + s);
  if (self) add(self, process.cpuUsage().user / 1e6 + process.cpuUsage().system / 1e6);
  for (const [pid, p] of procs) {
    if (!below(pid)) continue;
    add(p.role, p.cpu);
    // PostgreSQL's exited backends are its own work; other parents' exited children are tools they ran.
    if (p.children > 0) add(p.role === 'postgres' ? 'postgres' : `${p.role}: exited children`, p.children);
  }
  return out;
}

/**
 * Where a run's time went, from the histories of the workflows `query` lists (every run of a continue-as-new
 * chain is its own execution): activities completed, their time from start to completion (`busy`), from
 * scheduled to started (`waited`: queueing and dispatch), and from one completion to the next scheduling in
 * the same execution (`between`: the workflow task that reacts to it). Times are seconds after `t0` (epoch ms).
 */
export async function activityTimeline(client: Client, query: string, t0: number) {
  const r = { count: 0, busy: 0, waited: 0, between: 0, firstStart: Infinity, lastEnd: 0 };
  const secs = (t: { seconds?: unknown; nanos?: number | null } | null | undefined) =>
    Number(t?.seconds ?? 0) + (t?.nanos ?? 0) / 1e9 - t0 / 1000;
  for await (const w of client.workflow.list({ query })) {
    const history = await client.workflow.getHandle(w.workflowId, w.runId).fetchHistory();
    const scheduled = new Map<number, number>();
    const started = new Map<number, number>();
    let lastCompletion: number | undefined;
    for (const e of history.events ?? []) {
      const at = secs(e.eventTime);
      if (at < 0) continue; // an earlier execution under a reused id
      if (e.activityTaskScheduledEventAttributes) {
        scheduled.set(Number(e.eventId), at);
        if (lastCompletion !== undefined) r.between += at - lastCompletion;
        lastCompletion = undefined;
      }
      const start = e.activityTaskStartedEventAttributes;
      if (start) {
        started.set(Number(e.eventId), at);
        r.waited += at - (scheduled.get(Number(start.scheduledEventId)) ?? at);
      }
      const done = e.activityTaskCompletedEventAttributes;
      const from = done ? started.get(Number(done.startedEventId)) : undefined;
      if (from !== undefined) {
        r.count++;
        r.busy += at - from;
        r.firstStart = Math.min(r.firstStart, from);
        r.lastEnd = Math.max(r.lastEnd, at);
        lastCompletion = at;
      }
    }
  }
  return r;
}

/** The whole machine's CPU ticks so far (first line of /proc/stat): busy, idle (with iowait) and stolen by the hypervisor. */
export function machineTicks(): { busy: number; idle: number; steal: number } {
  const [user, nice, system, idle, iowait, irq, softirq, steal] = fs
    .readFileSync('/proc/stat', 'utf8')
    .split('\n')[0]
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  return { busy: user + nice + system + irq + softirq, idle: idle + iowait, steal };
}

/** Busy / idle / stolen shares of the machine between two machineTicks() readings, for a bench's report. */
export function machineShares(a: ReturnType<typeof machineTicks>, b: ReturnType<typeof machineTicks>): string {
  const d = { busy: b.busy - a.busy, idle: b.idle - a.idle, steal: b.steal - a.steal };
  const all = d.busy + d.idle + d.steal || 1;
  const pct = (x: number) => `${((x / all) * 100).toFixed(0)} %`;
  return `busy ${pct(d.busy)}, idle ${pct(d.idle)}, stolen by the hypervisor ${pct(d.steal)}`;
}
