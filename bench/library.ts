// `npm run bench:library -- <music folder> [--workers N] [--limit N] [--rounds N]`
//
// The real library analysis end to end on a local folder: an embedded PostgreSQL and Temporal dev server
// started here, the real worker process (`worker/main.ts`) with N analysis processes, `analyzeLibrary` started
// through a client and timed until it completes. In the same run, the same files go through the engine alone
// (bench:analysis's `procs` mode: N processes sharing a queue, no Temporal, no database). Prints tracks/hour
// of both and their ratio (orchestration overhead), and the peak memory of the system (PostgreSQL, Temporal,
// the worker, its analysis processes and their ffmpeg; not this process) as PSS and as summed RSS.
import fs from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { loadConfig } from '../lib/config.ts';
import type { LibraryProgress } from '../contracts/analysis.ts';
import { listAudio, report, runMode } from './analysis.ts';
import {
  activityTimeline,
  machineShares,
  machineTicks,
  startBenchStack,
  treeCpu,
  treeMemory,
  waitForPollers,
  type TreeMemory,
} from './services.ts';

const argv = process.argv.slice(2);
const folder = argv.find((a, i) => !a.startsWith('--') && !/^--(workers|limit|rounds)$/.test(argv[i - 1] ?? ''));
const opt = (name: string, d: number) => {
  const i = argv.indexOf(name);
  return i >= 0 ? Number(argv[i + 1]) : d;
};
if (!folder) throw new Error('usage: npm run bench:library -- <music folder> [--workers N] [--limit N] [--rounds N]');
const workers = opt('--workers', Math.min(2, cpus().length));
const files = listAudio(path.resolve(folder));
if (!files.length) throw new Error(`no audio files under ${folder}`);
const limit = opt('--limit', Infinity);
const rounds = opt('--rounds', 1);
const {
  modelsDir,
  analysis: { profile },
} = loadConfig();

async function main(): Promise<void> {
  // The library the workflow sees is the folder; --limit keeps the first N files by linking them elsewhere.
  let musicDir = path.resolve(folder!);
  const scratch = fs.mkdtempSync(path.join(tmpdir(), 'audiomuse-bench-library-'));
  fs.chmodSync(scratch, 0o755);
  let chosen = files;
  if (Number.isFinite(limit)) {
    chosen = files.slice(0, limit);
    musicDir = path.join(scratch, 'music');
    chosen.forEach((f, i) => {
      const dest = path.join(
        musicDir,
        path.relative(path.resolve(folder!), path.dirname(f)),
        `${i}-${path.basename(f)}`,
      );
      fs.mkdirSync(path.dirname(dest), { recursive: true });
      fs.symlinkSync(f, dest);
    });
  }
  console.log(
    `bench:library — ${chosen.length} files under ${folder}; ${cpus().length} CPUs (${cpus()[0]?.model}); ${workers} analysis process(es); load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );

  const stack = await startBenchStack('library');
  const taskQueue = 'bench-library';
  stack.startWorker({
    TEMPORAL_TASK_QUEUE: taskQueue,
    ANALYSIS_WORKERS: String(workers),
    MEDIA_SERVER_TYPE: 'local',
    MUSIC_DIR: musicDir,
    PLAYLIST_DIR: path.join(scratch, 'playlists'),
    MODELS_DIR: modelsDir,
    ANALYSIS_PROFILE: profile,
    TEMP_DIR: path.join(scratch, 'tmp'),
  });
  const { client } = stack;
  // Memory is sampled during the workflow runs only (the engine's processes are this process's children too);
  // the moments of the highest RSS sum and of the highest PSS sum are kept (not always the same sample).
  let sampling = false;
  let peakRss: TreeMemory = { rssMB: 0, pssMB: 0, byProcess: new Map() };
  let peakPss = peakRss;
  const sampler = setInterval(() => {
    if (!sampling) return;
    const now = treeMemory();
    if (now.rssMB > peakRss.rssMB) peakRss = now;
    if (now.pssMB > peakPss.pssMB) peakPss = now;
  }, 500);
  const ratios: number[] = [];
  try {
    // Wait for the worker and every analysis process.
    await waitForPollers(client, [
      { name: taskQueue, kind: 'workflow', pollers: 1 },
      { name: `${taskQueue}-analysis`, kind: 'activity', pollers: workers },
    ]);
    // This VM's speed wanders by ±15 % from minute to minute: engine and workflow alternate, each round
    // compares the two runs next to each other.
    for (let round = 1; round <= rounds; round++) {
      console.log(`\n=== round ${round} of ${rounds}`);
      const engineTicks = machineTicks();
      const engine = await runMode('engine', profile, chosen, workers, 1, modelsDir, 4);
      report(engine);
      console.log(
        `  machine during the engine phase (pipeline and floor): ${machineShares(engineTicks, machineTicks())}`,
      );

      const db = new pg.Client({ connectionString: stack.databaseUrl });
      await db.connect();
      await db.query('DELETE FROM tracks'); // features go with them: every round analyses the whole library
      const cpu0 = treeCpu();
      const ticks0 = machineTicks();
      sampling = true;
      const t0 = performance.now();
      const t0Epoch = Date.now();
      const result = (await client.workflow.execute('analyzeLibrary', {
        taskQueue,
        workflowId: `bench-library-${round}`,
        args: [{ numRecentAlbums: 0 }],
      })) as LibraryProgress;
      const wall = (performance.now() - t0) / 1000;
      sampling = false;
      const cpu1 = treeCpu();
      const ticks1 = machineTicks();
      const {
        rows: [a],
      } = await db.query<{ audio: number }>(
        `SELECT coalesce(sum(t.duration_sec), 0)::float AS audio FROM tracks t WHERE analysis_status = 'analyzed'`,
      );
      await db.end();
      const workflowTph = (result.tracksAnalyzed / wall) * 3600;
      const engineTph = (engine.tracks / engine.wall) * 3600;
      ratios.push(workflowTph / engineTph);
      console.log(
        `\n[workflow] analyzeLibrary: ${result.albumsDone} albums, ${result.tracksAnalyzed} tracks analysed, ${result.tracksFailed} failed in ${wall.toFixed(1)} s`,
      );
      console.log(
        `  ${workflowTph.toFixed(0)} tracks/hour as measured (${(a.audio / 60).toFixed(1)} min of audio); engine alone ${engineTph.toFixed(0)} tracks/hour`,
      );
      console.log(
        `  workflow / engine = ${(workflowTph / engineTph).toFixed(3)} (orchestration costs ${((1 - workflowTph / engineTph) * 100).toFixed(1)} %)`,
      );
      const act = await activityTimeline(client, `WorkflowType = 'analyzeAlbum'`, t0Epoch);
      console.log(
        `  analyzeLibraryTrack activities: ${act.count}, ${(act.busy / act.count).toFixed(2)} s each from start to completion (engine: ${((engine.wall * workers) / engine.tracks).toFixed(2)} s of a process per track); first started ${act.firstStart.toFixed(1)} s after the run, last done ${(wall - act.lastEnd).toFixed(1)} s before its end; the analysis processes busy ${((act.busy / (wall * workers)) * 100).toFixed(0)} % of the run`,
      );
      // Where the CPU went during the run: the analysis processes' share is what the engine alone would use.
      const cpu = [...cpu1]
        .map(([role, sec]): [string, number] => [role, sec - (cpu0.get(role) ?? 0)])
        .filter(([, sec]) => sec >= 0.05)
        .sort((x, y) => y[1] - x[1]);
      console.log(
        `  machine during the run: ${machineShares(ticks0, ticks1)}; CPU of the system's processes (${((cpu.reduce((n, [, sec]) => n + sec, 0) / (wall * cpus().length)) * 100).toFixed(0)} % of ${cpus().length} cores): ${cpu.map(([role, sec]) => `${role} ${sec.toFixed(1)} s`).join(', ')}`,
      );
    }
    const parts = (m: TreeMemory, k: 'rss' | 'pss') =>
      [...m.byProcess]
        .sort((a, b) => b[1][k] - a[1][k])
        .map(([name, v]) => `${name} ${v[k].toFixed(0)} MB`)
        .join(', ');
    const what = `PostgreSQL, Temporal dev server, worker, ${workers} analysis processes, ffmpeg; without this bench process`;
    console.log(`\npeak memory of the system during the workflow runs (${what}):`);
    console.log(`  PSS (shared pages counted once): ${peakPss.pssMB.toFixed(0)} MB: ${parts(peakPss, 'pss')}`);
    console.log(
      `  RSS summed (shared pages counted in every process): ${peakRss.rssMB.toFixed(0)} MB: ${parts(peakRss, 'rss')}`,
    );
    console.log(
      `workflow / engine by round: ${ratios.map((r) => r.toFixed(3)).join(', ')}; best ${Math.max(...ratios).toFixed(3)}`,
    );
  } finally {
    clearInterval(sampler);
    await stack.stop();
    fs.rmSync(scratch, { recursive: true, force: true });
  }
  console.log(
    `\nload average after: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
}

main().catch((err) => {
  console.error(`bench:library: ${(err as Error).message}`);
  process.exitCode = 1;
});
