// `npm run bench:analysis:scale -- [--albums 30000] [--window 50] [--kill-at 0.3] [--restart-at 0.6]`
//
// `analyzeLibrary` over N mocked albums on a real Temporal dev server (its own SQLite file), served by a worker
// in its own process (bench/analysis-scale-worker.ts: the real workflows, mocked activities). Prints the wall
// time, every run's history against Temporal's limits, the progress read the API and the CLI make
// (promptProgress: the query, or the workflow's memo when the query is late) and the bare query sampled every
// second, the worker's and the dev server's RSS over the run; at --kill-at (fraction of albums done) the worker is killed
// with -9 and a fresh one started, at --restart-at the dev server is stopped and started on the same file. At
// the end the mock's record file says whether every album was stored exactly once (PASS/FAIL lines).
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { cpus, loadavg } from 'node:os';
import path from 'node:path';
import { Client, Connection, WorkflowFailedError } from '@temporalio/client';
import proto from '@temporalio/proto';
import { progressQuery, type LibraryProgress } from '../contracts/analysis.ts';
import { promptProgress, QUERY_PATIENCE_MS } from '../client/run-control.ts';
import { repoRoot } from '../lib/config.ts';
import { findTemporalCli, startEmbeddedTemporal, type EmbeddedTemporal } from '../lib/embedded/temporal.ts';
import { installRuntime } from '../lib/runtime.ts';
import { runHistories } from '../test/helpers/histories.ts';
import { freePort, scratchDir } from '../test/helpers/services.ts';
import { arg } from './args.ts';
import { waitForPollers } from './services.ts';

const ALBUMS = Number(arg('albums', '30000'));
const WINDOW = Number(arg('window', '50'));
const KILL_AT = Number(arg('kill-at', '0.3'));
const RESTART_AT = Number(arg('restart-at', '0.6'));
/** Temporal's hard limits per workflow execution (history events and bytes). */
const LIMIT_EVENTS = 51_200;
const LIMIT_BYTES = 50 * 1024 * 1024;
const TARGET_READ_MS = 200;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
const rssMB = (pid: number | undefined): number | undefined => {
  if (!pid) return undefined;
  try {
    const kB = /^VmRSS:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kB ? Number(kB) / 1024 : undefined;
  } catch {
    return undefined;
  }
};
/** Pid of the dev server serving `dbFile` (a child of the SDK's bridge, found by its command line). */
function serverPid(dbFile: string): number | undefined {
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const cmd = fs.readFileSync(`/proc/${e}/cmdline`, 'utf8');
      if (cmd.includes('start-dev') && cmd.includes(dbFile)) return Number(e);
    } catch {
      /* gone */
    }
  }
  return undefined;
}
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] : NaN;
};
/** Least-squares slope of y over x. */
function slope(pts: { x: number; y: number }[]): number {
  const n = pts.length;
  if (n < 2) return NaN;
  const mx = pts.reduce((s, p) => s + p.x, 0) / n;
  const my = pts.reduce((s, p) => s + p.y, 0) / n;
  const sxy = pts.reduce((s, p) => s + (p.x - mx) * (p.y - my), 0);
  const sxx = pts.reduce((s, p) => s + (p.x - mx) ** 2, 0);
  return sxx ? sxy / sxx : NaN;
}

async function main(): Promise<void> {
  installRuntime();
  const scratch = scratchDir('bench-analysis-scale');
  const dbFile = path.join(scratch, 'temporal', 'temporal.sqlite');
  const recordFile = path.join(scratch, 'records.log');
  const port = await freePort();
  const cliPath = findTemporalCli(process.env.TEMPORAL_CLI_PATH);
  const startServer = () => startEmbeddedTemporal({ cliPath, port, dbFile, headless: true });
  console.log(
    `bench:analysis:scale — ${ALBUMS} albums, window ${WINDOW}, kill -9 at ${KILL_AT}, Temporal restart at ${RESTART_AT}; ` +
      `${cpus().length} CPUs (${cpus()[0]?.model}); load average ${load()}`,
  );
  let server: EmbeddedTemporal | undefined = await startServer();
  const address = server.address;
  // One connection throughout: its channel reconnects to the restarted server by itself.
  const connection = await Connection.connect({ address });
  const client = new Client({ connection });
  const taskQueue = 'bench-analysis-scale';

  const workers: ChildProcess[] = [];
  const startWorker = (): ChildProcess => {
    const w = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'bench/analysis-scale-worker.ts')], {
      cwd: repoRoot,
      detached: true, // its own process group, killed as a whole
      stdio: ['ignore', 'inherit', 'inherit'],
      env: {
        ...process.env,
        TEMPORAL_ADDRESS: address,
        TASK_QUEUE: taskQueue,
        ALBUMS: String(ALBUMS),
        RECORD_FILE: recordFile,
      },
    });
    workers.push(w);
    return w;
  };
  const killGroup = (w: ChildProcess, signal: NodeJS.Signals) => {
    try {
      process.kill(-w.pid!, signal);
    } catch {
      /* gone */
    }
  };
  process.on('exit', () => workers.forEach((w) => killGroup(w, 'SIGKILL')));

  let worker = startWorker();
  await waitForPollers(client, [
    { name: taskQueue, kind: 'workflow', pollers: 1 },
    { name: `${taskQueue}-analysis`, kind: 'activity', pollers: 1 },
  ]);

  const workflowId = `bench-analysis-scale-${Date.now()}`;
  const t0 = Date.now();
  const handle = await client.workflow.start('analyzeLibrary', {
    taskQueue,
    workflowId,
    args: [{ maxConcurrentAlbums: WINDOW }],
  });
  const firstRunId = handle.firstExecutionRunId;

  // Every second (one at a time, 5 s deadline each): the product's progress read, then the bare query; and the
  // RSS of the worker and the server.
  // 'server down': started while the dev server was stopped (nothing can answer; a read waits or fails).
  type Phase = 'steady' | 'after kill' | 'server down' | 'after restart';
  let phase: Phase = 'steady';
  type Sample = { t: number; ms: number; ok: boolean; phase: Phase; err?: string; ageMs?: number; done?: number };
  const reads: Sample[] = [];
  const queries: Sample[] = [];
  const memory: { t: number; done: number; worker?: number; workerPid: number; server?: number }[] = [];
  let done = 0;
  let inFlight = 0;
  let srvPid: number | undefined; // looked up again when it is gone (the restart)
  let finished = false;
  const sampler = (async () => {
    while (!finished) {
      const next = Date.now() + 1000;
      const handle = client.workflow.getHandle(workflowId);
      const sample = async (into: Sample[], ask: () => Promise<LibraryProgress>) => {
        const t = Date.now() - t0;
        const at = phase; // the phase the sample started in
        const q0 = performance.now();
        try {
          const p = await connection.withDeadline(Date.now() + 5000, ask);
          const ms = performance.now() - q0;
          into.push({ t, ms, ok: true, phase: at, ageMs: Date.now() - Date.parse(p.updatedAt), done: p.albumsDone });
          return p;
        } catch (err) {
          into.push({ t, ms: performance.now() - q0, ok: false, phase: at, err: (err as Error).message });
        }
      };
      await sample(reads, () => promptProgress(handle, progressQuery, async () => (await handle.describe()).memo));
      const p = await sample(queries, () => handle.query(progressQuery));
      if (p) {
        done = p.albumsDone;
        inFlight = p.currentAlbums.length;
      }
      memory.push({
        t: Date.now() - t0,
        done,
        worker: rssMB(worker.pid),
        workerPid: worker.pid!,
        server: rssMB((srvPid = rssMB(srvPid) === undefined ? serverPid(dbFile) : srvPid)),
      });
      await sleep(next - Date.now());
    }
  })();

  const events: string[] = [];
  let killedPid: number | undefined;
  let killedAt = 0,
    restartFrom = 0,
    restartTo = 0;
  const note = (s: string) => {
    const line = `  ${((Date.now() - t0) / 1000).toFixed(1)} s: ${s}`;
    events.push(line);
    console.log(line);
  };
  const interruptions = (async () => {
    // Not at a continue-as-new boundary (every albumsPerRun albums the run drains to 0 in flight): the window full.
    const due = (at: number) => finished || (done >= ALBUMS * at && inFlight >= WINDOW / 2);
    while (!due(KILL_AT)) await sleep(200);
    if (finished) return;
    killedPid = worker.pid;
    killedAt = Date.now();
    killGroup(worker, 'SIGKILL');
    await new Promise((r) => (worker.exitCode !== null || worker.signalCode !== null ? r(0) : worker.once('exit', r)));
    note(`worker ${killedPid} killed with -9 at ${done} albums done, ${inFlight} in flight (load average ${load()})`);
    phase = 'after kill';
    worker = startWorker();
    note(`fresh worker ${worker.pid} started`);
    while (!due(RESTART_AT)) await sleep(200);
    if (finished) return;
    restartFrom = Date.now();
    phase = 'server down';
    const stopping = server!;
    server = undefined;
    await stopping.stop();
    note(`Temporal dev server stopped at ${done} albums done, ${inFlight} in flight (load average ${load()})`);
    await sleep(2000);
    server = await startServer();
    restartTo = Date.now();
    phase = 'after restart';
    note(
      `Temporal dev server started again on the same file (${server.reused ? 'REUSED an old process' : 'new process'})`,
    );
  })();

  let result: LibraryProgress | undefined;
  while (!result) {
    try {
      result = (await client.workflow.getHandle(workflowId).result()) as LibraryProgress;
    } catch (err) {
      if (err instanceof WorkflowFailedError) throw err;
      await sleep(1000); // the server restart: calls fail until it is back
    }
  }
  const wall = (Date.now() - t0) / 1000;
  finished = true;
  await sampler;
  await interruptions;

  console.log(
    `\n[run] ${result.status}: ${result.albumsDone} albums (${result.albumsFailed} failed), ${result.tracksAnalyzed} tracks analysed, ` +
      `${result.runNumber} runs in ${wall.toFixed(1)} s: ${(ALBUMS / wall).toFixed(1)} albums/s (interruptions included); load average ${load()}`,
  );

  // Every run's history, through the continue-as-new chain.
  const histories = await runHistories(client, workflowId, firstRunId);
  const runs = histories.map(({ history }) => ({
    events: history.events?.length ?? 0,
    bytes: proto.temporal.api.history.v1.History.encode(
      proto.temporal.api.history.v1.History.fromObject(history),
    ).finish().length,
  }));
  const maxEv = Math.max(...runs.map((r) => r.events));
  const maxBytes = Math.max(...runs.map((r) => r.bytes));
  console.log(
    `\n[histories] ${runs.length} runs: events per run max ${maxEv} (${((maxEv / LIMIT_EVENTS) * 100).toFixed(1)} % of ${LIMIT_EVENTS}), ` +
      `min ${Math.min(...runs.map((r) => r.events))}; bytes per run max ${(maxBytes / 1024).toFixed(0)} KiB ` +
      `(${((maxBytes / LIMIT_BYTES) * 100).toFixed(2)} % of 50 MiB); all: ${runs.map((r) => `${r.events}/${(r.bytes / 1024).toFixed(0)}K`).join(' ')}`,
  );

  // Latency by phase, the unanswered samples (no server to answer), and how old the answered progress was.
  const report = (title: string, samples: Sample[]) => {
    console.log(`\n[${title}] sampled every second, ${samples.length} samples:`);
    for (const ph of ['steady', 'after kill', 'server down', 'after restart'] as Phase[]) {
      const ok = samples.filter((q) => q.phase === ph && q.ok);
      const ms = ok.map((q) => q.ms);
      const ages = ok.map((q) => q.ageMs! / 1000);
      const failed = samples.filter((q) => q.phase === ph && !q.ok);
      if (!ok.length && !failed.length) continue;
      console.log(
        `  ${ph}: ${ok.length} answered, p50 ${pct(ms, 50).toFixed(1)} ms, p99 ${pct(ms, 99).toFixed(1)} ms, max ${Math.max(...ms).toFixed(1)} ms; ` +
          `${ms.filter((x) => x >= TARGET_READ_MS).length} at or over ${TARGET_READ_MS} ms; progress ${pct(ages, 50).toFixed(1)} s old ` +
          `(median), ${Math.max(...ages).toFixed(1)} s at most; ${failed.length} unanswered` +
          (failed.length
            ? ` (${(failed[0].t / 1000) | 0}–${(failed[failed.length - 1].t / 1000) | 0} s: ${[...new Set(failed.map((f) => f.err?.split('\n')[0].slice(0, 80)))].join('; ')})`
            : ''),
      );
    }
    const slow = samples.filter((q) => q.ok && q.ms >= TARGET_READ_MS);
    if (slow.length)
      console.log(
        `  answered at or over ${TARGET_READ_MS} ms: ${slow.map((q) => `${(q.t / 1000).toFixed(0)} s ${q.ms.toFixed(0)} ms`).join(', ')}`,
      );
  };
  report(`progress read (the API's and the CLI's: the query, or the memo after ${QUERY_PATIENCE_MS} ms)`, reads);
  report('bare progress query', queries);
  // A read never goes back: albums done never fewer than an earlier read said.
  const answeredReads = reads.filter((r) => r.ok);
  const servedReads = answeredReads.filter((r) => r.phase !== 'server down');
  const backwards = answeredReads.filter((r, i) => i > 0 && r.done! < answeredReads[i - 1].done!);

  // Memory: each worker process's RSS against albums done; the slope after its first 2,000 albums (bundle,
  // workflow cache filling) says whether it grows with the work.
  console.log(`\n[memory] RSS, MB (sampled every second)`);
  for (const pid of [...new Set(memory.map((m) => m.workerPid))]) {
    const mine = memory.filter((m) => m.workerPid === pid && m.worker !== undefined);
    if (!mine.length) continue;
    const first = mine[0].done;
    const warm = mine.filter((m) => m.done >= first + 2000);
    const mid = mine[Math.floor(mine.length / 2)];
    const last = mine[mine.length - 1];
    console.log(
      `  worker ${pid}${pid === killedPid ? ' (killed)' : ''}: albums ${first}–${last.done}; start ${mine[0].worker!.toFixed(0)}, mid ${mid.worker!.toFixed(0)} (at ${mid.done}), ` +
        `end ${last.worker!.toFixed(0)}, max ${Math.max(...mine.map((m) => m.worker!)).toFixed(0)}; slope after the first 2,000 albums ` +
        `${(slope(warm.map((m) => ({ x: m.done / 1000, y: m.worker! }))) || 0).toFixed(2)} MB per 1,000 albums (${warm.length} samples)`,
    );
  }
  const srv = memory.filter((m) => m.server !== undefined);
  const srvMid = srv[Math.floor(srv.length / 2)];
  console.log(
    `  Temporal dev server: start ${srv[0]?.server?.toFixed(0)}, mid ${srvMid?.server?.toFixed(0)}, end ${srv[srv.length - 1]?.server?.toFixed(0)}, ` +
      `max ${Math.max(...srv.map((m) => m.server!)).toFixed(0)}; slope ${slope(srv.map((m) => ({ x: m.done / 1000, y: m.server! }))).toFixed(2)} MB per 1,000 albums ` +
      `(its SQLite file ${(fs.statSync(dbFile).size / 1024 / 1024).toFixed(0)} MB)`,
  );
  console.log(`\n[interruptions]\n${events.join('\n')}`);

  // The mock's record: lose nothing, repeat nothing.
  const lines = fs.readFileSync(recordFile, 'utf8').trim().split('\n');
  const stored = new Map<string, number>();
  const already: { id: string; storedAt: number; storedBy: number; at: number }[] = [];
  const storedInfo = new Map<string, { at: number; pid: number }>();
  let begins = 0;
  for (const l of lines) {
    const [ms, pid, what, id] = l.split(' ');
    if (what === 'begin') begins++;
    else if (what === 'stored') {
      stored.set(id, (stored.get(id) ?? 0) + 1);
      storedInfo.set(id, { at: Number(ms), pid: Number(pid) });
    } else if (what === 'already') {
      const s = storedInfo.get(id);
      already.push({ id, storedAt: s?.at ?? 0, storedBy: s?.pid ?? 0, at: Number(ms) });
    }
  }
  const expected: string[] = [];
  for (let i = 0; i < ALBUMS; i++) expected.push(`a${i}`, ...(i % 10 === 0 ? [`t${i}`] : []));
  const missing = expected.filter((id) => !stored.has(id));
  const twice = [...stored].filter(([, n]) => n > 1).map(([id]) => id);
  // A second attempt is a repeat unless the first one's completion was in flight at an interruption: stored by
  // the killed worker, or stored less than a workflow task timeout (10 s) before the server stopped (or while
  // it was away), so its result never reached the history.
  const explained = (a: (typeof already)[number]) =>
    a.storedBy === killedPid || (restartFrom > 0 && a.storedAt >= restartFrom - 10_000 && a.storedAt <= restartTo);
  const repeats = already.filter((a) => !explained(a));
  const check = (ok: boolean, what: string) => {
    console.log(`${ok ? 'PASS' : 'FAIL'} ${what}`);
    if (!ok) process.exitCode = 1;
  };
  console.log(
    `\n[record] ${lines.length} lines: ${begins} attempts of ${expected.length} albums and tracks; ${already.length} attempts found theirs stored already ` +
      `(${already.filter((a) => a.storedBy === killedPid).length} stored by the killed worker, ` +
      `${already.filter((a) => a.storedBy !== killedPid).length} around the server restart)`,
  );
  check(
    result.status === 'completed' && result.albumsDone === ALBUMS && result.albumsFailed === 0,
    `the run completed with ${result.albumsDone}/${ALBUMS} albums done, ${result.albumsFailed} failed`,
  );
  check(
    missing.length === 0,
    `lose nothing: every album and track stored (${missing.length} missing${missing.length ? `: ${missing.slice(0, 10).join(' ')}` : ''})`,
  );
  check(
    twice.length === 0,
    `stored once: none stored twice (${twice.length}${twice.length ? `: ${twice.slice(0, 10).join(' ')}` : ''})`,
  );
  check(
    repeats.length === 0,
    `repeat nothing: every second attempt was in flight at the kill or the restart (${repeats.length} not${
      repeats.length
        ? `: ${repeats
            .slice(0, 10)
            .map((r) => `${r.id} stored ${((r.at - r.storedAt) / 1000).toFixed(1)} s before by ${r.storedBy}`)
            .join(', ')}`
        : ''
    })`,
  );
  check(
    maxEv < LIMIT_EVENTS / 5 && maxBytes < LIMIT_BYTES / 5,
    `histories far below the limits (every run under a fifth of them)`,
  );
  const readP99 = pct(
    servedReads.map((q) => q.ms),
    99,
  );
  check(
    readP99 < TARGET_READ_MS,
    `progress read p99 ${readP99.toFixed(1)} ms < ${TARGET_READ_MS} ms over ${servedReads.length} answered samples while the server ran`,
  );
  check(backwards.length === 0, `no progress read behind an earlier one (${backwards.length} were)`);

  finished = true;
  for (const w of workers) killGroup(w, 'SIGTERM');
  await connection.close().catch(() => undefined);
  await server?.stop();
  fs.rmSync(scratch, { recursive: true, force: true });
  console.log(`\nload average after: ${load()}`);
}

main().catch((err) => {
  console.error(`bench:analysis:scale: ${(err as Error).stack}`);
  process.exitCode = 1;
  process.exit();
});
