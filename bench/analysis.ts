// `npm run bench:analysis -- <folder...> [--workers N] [--limit N] [--batch N] [--rounds N] [--no-long] [--no-threads-mode]`
//
// Analyses every audio file under the folders with both analysis profiles, exact and fast, and prints for each:
// tracks/hour (as measured and normalised to 4-minute tracks), seconds per track by stage, ms per patch, peak
// RSS per worker, and the ONNX-only floor: the same sessions timed alone on the patches that profile feeds
// them (all workers start together), which is what the full pipeline is compared against. Then fast ÷ exact
// speed-up and how far the fast profile's features are from the exact ones on the same files (embedding
// cosine, tag and mood-head differences, tempo / key / energy equality). Both use N worker processes, each
// with its own ONNX sessions on 1 intra-op thread, sharing a queue ("procs"); then, unless skipped, the exact
// profile with 1 process whose embedding session uses N intra-op threads ("threads"), and one 60-minute file
// (a track looped with ffmpeg into /tmp) through one worker, for peak RSS. Numbers depend on machine load:
// the load average is printed before and after; with --rounds N the profiles alternate N times and each keeps
// its fastest pipeline run and fastest floor.
import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import { readdirSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { analyzeTrack, type TrackAnalysis } from '../engines/analysis/analyze-track.ts';
import { decodeAudio } from '../engines/analysis/decode-audio.ts';
import { type LogMelPatcher, PATCH_FRAMES } from '../engines/analysis/mel-spectrogram.ts';
import { MusicnnModels, PATCH_SIZE } from '../engines/analysis/musicnn.ts';
import { MOOD_HEADS, type MoodScores } from '../words/vocabulary.ts';
import { profilePatcher } from '../engines/analysis/profile.ts';
import { cosineSimilarity } from '../engines/clustering/distance.ts';
import type { TrackFeatures } from '../engines/clustering/features.ts';
import { loadConfig } from '../lib/config.ts';
import type { AnalysisProfile } from '../words/analysis-profile.ts';
import { compareClusterings } from './profile-clustering.ts';

const AUDIO = /\.(mp3|flac|ogg|oga|opus|m4a|aac|wav|wma|ape|wv|mpc|aiff?)$/i;

type ToChild =
  | { kind: 'init'; modelsDir: string; threads: number; batchSize: number }
  | { kind: 'analyze'; file: string; profile: AnalysisProfile }
  | { kind: 'prepare'; files: string[]; profile: AnalysisProfile }
  | { kind: 'floor' }
  | { kind: 'exit' };
/** What the comparison of the profiles needs from one analysis (typed arrays do not survive IPC). */
interface Features {
  embedding: number[];
  tags: number[];
  moods: number[];
  tempo: number | null;
  key: string | null;
  scale: string | null;
  energy: number | null;
}
type FromChild =
  | { kind: 'ready' }
  | {
      kind: 'result';
      file: string;
      analysis?: Pick<TrackAnalysis, 'analyzedSec' | 'patches' | 'timings'> & Features;
      error?: string;
    }
  | { kind: 'prepared'; patches: number }
  | { kind: 'floor'; seconds: number; patches: number }
  | { kind: 'bye'; maxRssMB: number };

// ---------------------------------------------------------------- worker process
async function child(): Promise<void> {
  let models: MusicnnModels;
  let prepared: Float32Array[] = [];
  const send = (m: FromChild) => process.send!(m);
  const handle = async (m: ToChild) => {
    if (m.kind === 'init') {
      models = await MusicnnModels.load({ modelsDir: m.modelsDir, threads: m.threads, batchSize: m.batchSize });
      send({ kind: 'ready' });
    } else if (m.kind === 'analyze') {
      try {
        const a = await analyzeTrack(m.file, { models, profile: m.profile });
        send({
          kind: 'result',
          file: m.file,
          analysis: {
            analyzedSec: a.analyzedSec,
            patches: a.patches,
            timings: a.timings,
            embedding: Array.from(a.embedding),
            tags: Array.from(a.tags),
            moods: MOOD_HEADS.map((h) => a.moodHeads[h]),
            tempo: a.tempo,
            key: a.key,
            scale: a.scale,
            energy: a.energy,
          },
        });
      } catch (err) {
        send({ kind: 'result', file: m.file, error: (err as Error).message });
      }
    } else if (m.kind === 'prepare') {
      // Decode and mel (untimed) so the floor can time inference alone, on exactly these patches.
      prepared = [];
      for (const file of m.files) {
        let p: LogMelPatcher | undefined;
        try {
          for await (const c of decodeAudio(file, {
            onInfo: (i) => (p = profilePatcher(m.profile, PATCH_FRAMES, i.sourceDurationSec)),
          }))
            prepared.push(...p!.push(c));
        } catch {
          /* failed files are reported by the analyze pass */
        }
      }
      send({ kind: 'prepared', patches: prepared.length });
    } else if (m.kind === 'floor') {
      const batch = new Float32Array(models.batchSize * PATCH_SIZE);
      const t = performance.now();
      for (let i = 0; i < prepared.length; i += models.batchSize) {
        const n = Math.min(models.batchSize, prepared.length - i);
        for (let j = 0; j < n; j++) batch.set(prepared[i + j], j * PATCH_SIZE);
        await models.run(batch, n);
      }
      send({ kind: 'floor', seconds: (performance.now() - t) / 1000, patches: prepared.length });
      prepared = [];
    } else if (m.kind === 'exit') {
      send({ kind: 'bye', maxRssMB: process.resourceUsage().maxRSS / 1024 });
      process.disconnect();
    }
  };
  process.on('message', (m: ToChild) => void handle(m));
}

// ---------------------------------------------------------------- parent
class Worker {
  readonly proc: ChildProcess;
  private waiting: ((m: FromChild) => void) | null = null;
  constructor() {
    this.proc = fork(fileURLToPath(import.meta.url), ['--child'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.proc.on('message', (m: FromChild) => {
      const w = this.waiting;
      this.waiting = null;
      w?.(m);
    });
  }
  ask(m: ToChild): Promise<FromChild> {
    return new Promise((res) => {
      this.waiting = res;
      this.proc.send(m);
    });
  }
}

export interface RunStats {
  label: string;
  profile: AnalysisProfile;
  workers: number;
  threads: number;
  wall: number;
  floorWall: number;
  tracks: number;
  failed: number;
  audioSec: number;
  patches: number;
  stage: { decode: number; mel: number; inference: number; dsp: number };
  maxRssMB: number[];
  features: Map<string, Features>;
}

export async function runMode(
  label: string,
  profile: AnalysisProfile,
  files: string[],
  workers: number,
  threads: number,
  modelsDir: string,
  batchSize: number,
): Promise<RunStats> {
  const pool = Array.from({ length: workers }, () => new Worker());
  await Promise.all(pool.map((w) => w.ask({ kind: 'init', modelsDir, threads, batchSize })));
  const stats: RunStats = {
    label,
    profile,
    workers,
    threads,
    wall: 0,
    floorWall: 0,
    tracks: 0,
    failed: 0,
    audioSec: 0,
    patches: 0,
    stage: { decode: 0, mel: 0, inference: 0, dsp: 0 },
    maxRssMB: [],
    features: new Map(),
  };

  // Full pipeline: a shared queue, each worker takes the next file when done.
  const queue = [...files];
  const t0 = performance.now();
  await Promise.all(
    pool.map(async (w) => {
      for (let file = queue.shift(); file; file = queue.shift()) {
        const r = (await w.ask({ kind: 'analyze', file, profile })) as Extract<FromChild, { kind: 'result' }>;
        if (!r.analysis) {
          stats.failed++;
          console.log(`  ${label}: ${file}: ${r.error}`);
          continue;
        }
        stats.tracks++;
        stats.audioSec += r.analysis.analyzedSec;
        stats.patches += r.analysis.patches;
        for (const k of ['decode', 'mel', 'inference', 'dsp'] as const) stats.stage[k] += r.analysis.timings[k];
        stats.features.set(file, r.analysis);
      }
    }),
  );
  stats.wall = (performance.now() - t0) / 1000;

  // ONNX-only floor on the same patches, split the same way, all workers starting together.
  const shares = pool.map((_, i) => files.filter((_, j) => j % workers === i));
  await Promise.all(pool.map((w, i) => w.ask({ kind: 'prepare', files: shares[i], profile })));
  const floors = (await Promise.all(pool.map((w) => w.ask({ kind: 'floor' })))) as Extract<
    FromChild,
    { kind: 'floor' }
  >[];
  stats.floorWall = Math.max(...floors.map((f) => f.seconds));

  for (const w of pool)
    stats.maxRssMB.push(((await w.ask({ kind: 'exit' })) as Extract<FromChild, { kind: 'bye' }>).maxRssMB);
  return stats;
}

/** The faster pipeline run, with the faster of the two floors. */
function best(a: RunStats | undefined, b: RunStats): RunStats {
  if (!a) return b;
  const winner = b.wall < a.wall ? b : a;
  return { ...winner, floorWall: Math.min(a.floorWall, b.floorWall) };
}

export function report(s: RunStats): void {
  const perTrack = (x: number) => (x / s.tracks).toFixed(3);
  const tph = (s.tracks / s.wall) * 3600;
  const tph4 = (s.audioSec / 240 / s.wall) * 3600; // normalised to 4-minute tracks
  const floor4 = (s.audioSec / 240 / s.floorWall) * 3600;
  console.log(
    `\n[${s.label}, ${s.profile} profile] ${s.workers} worker process(es) × ${s.threads} ONNX thread(s): ${s.tracks} tracks (${(s.audioSec / 60).toFixed(1)} min of audio, ${s.patches} patches), ${s.failed} failed`,
  );
  console.log(
    `  wall ${s.wall.toFixed(1)} s → ${tph.toFixed(0)} tracks/hour as measured, ${tph4.toFixed(0)} tracks/hour for 4-minute tracks`,
  );
  console.log(
    `  per track (s, in-worker): decode wait ${perTrack(s.stage.decode)}, mel ${perTrack(s.stage.mel)}, inference ${perTrack(s.stage.inference)}, tempo/key/energy ${perTrack(s.stage.dsp)}`,
  );
  console.log(
    `  inference ${((s.stage.inference / s.patches) * 1000).toFixed(1)} ms per patch per worker (aggregate ${((s.wall / s.patches) * 1000).toFixed(1)} ms of wall per patch)`,
  );
  console.log(
    `  ONNX-only floor: ${s.floorWall.toFixed(1)} s wall (${floor4.toFixed(0)} four-minute tracks/hour); pipeline / floor = ${(s.wall / s.floorWall).toFixed(2)}x`,
  );
  console.log(`  peak RSS per worker: ${s.maxRssMB.map((m) => `${m.toFixed(0)} MB`).join(', ')}`);
}

/** Fast ÷ exact speed-up, how far the fast profile's features are from the exact ones, and what that does to playlists. */
async function compareProfiles(exact: RunStats, fast: RunStats): Promise<void> {
  const cos: number[] = [];
  let tagErr = 0,
    moodErr = 0,
    sameDsp = 0;
  for (const [file, e] of exact.features) {
    const f = fast.features.get(file);
    if (!f) continue;
    cos.push(cosineSimilarity(e.embedding, f.embedding));
    tagErr = Math.max(tagErr, ...e.tags.map((v, i) => Math.abs(v - f.tags[i])));
    moodErr = Math.max(moodErr, ...e.moods.map((v, i) => Math.abs(v - f.moods[i])));
    if (e.tempo === f.tempo && e.key === f.key && e.scale === f.scale && e.energy === f.energy) sameDsp++;
  }
  const mean = cos.reduce((a, b) => a + b, 0) / cos.length;
  console.log(
    `\n[fast vs exact] speed-up ${(exact.wall / fast.wall).toFixed(2)}x (wall ${exact.wall.toFixed(1)} s → ${fast.wall.toFixed(1)} s, patches ${exact.patches} → ${fast.patches})`,
  );
  console.log(
    `  on ${cos.length} files: embedding cosine mean ${mean.toFixed(4)}, worst ${Math.min(...cos).toFixed(4)}; largest tag difference ${tagErr.toFixed(4)}, mood head ${moodErr.toFixed(4)}; tempo, key and energy identical on ${sameDsp}/${cos.length}`,
  );
  const files = [...exact.features.keys()].filter((f) => fast.features.has(f)).sort(); // not completion order: reproducible
  const tracks = (run: RunStats) =>
    files.map((id): TrackFeatures => {
      const f = run.features.get(id)!;
      return { ...f, id, moodHeads: Object.fromEntries(MOOD_HEADS.map((h, i) => [h, f.moods[i]])) as MoodScores };
    });
  for (const space of ['moods', 'embedding'] as const) {
    const c = await compareClusterings(tracks(exact), tracks(fast), space);
    console.log(
      `  clustering (${space}, K-Means search on the exact features, ${c.playlists} playlists of ${c.tracks} tracks): ${c.changedByProfile} tracks change playlist with fast features; another fit seed on exact features moves ${c.changedBySeed}`,
    );
  }
}

export function listAudio(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...listAudio(p));
    else if (AUDIO.test(e.name)) out.push(p);
  }
  return out.sort();
}

async function longTrack(source: string, modelsDir: string, batchSize: number): Promise<void> {
  const file = join(tmpdir(), `audiomuse-bench-60min-${process.pid}.ogg`);
  try {
    // Stream copy of the track looped to 60 minutes (seconds to make, no re-encoding).
    execFileSync(process.env.FFMPEG_PATH || 'ffmpeg', [
      '-v',
      'error',
      '-y',
      '-stream_loop',
      '-1',
      '-i',
      source,
      '-t',
      '3600',
      '-c',
      'copy',
      file,
    ]);
    console.log(`\n[60-minute track] ${file} (${(statSync(file).size / 1e6).toFixed(0)} MB), 1 worker × 1 thread`);
    const w = new Worker();
    await w.ask({ kind: 'init', modelsDir, threads: 1, batchSize });
    const t0 = performance.now();
    const r = (await w.ask({ kind: 'analyze', file, profile: 'exact' })) as Extract<FromChild, { kind: 'result' }>;
    const wall = (performance.now() - t0) / 1000;
    const rss = ((await w.ask({ kind: 'exit' })) as Extract<FromChild, { kind: 'bye' }>).maxRssMB;
    if (!r.analysis) console.log(`  failed: ${r.error}`);
    else
      console.log(
        `  ${r.analysis.analyzedSec.toFixed(0)} s of audio, ${r.analysis.patches} patches in ${wall.toFixed(1)} s; peak RSS ${rss.toFixed(0)} MB`,
      );
  } finally {
    rmSync(file, { force: true });
  }
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const folders = argv.filter(
    (a, i) => !a.startsWith('--') && !/^--(workers|limit|batch|rounds)$/.test(argv[i - 1] ?? ''),
  );
  const opt = (name: string, d: number) => {
    const i = argv.indexOf(name);
    return i >= 0 ? Number(argv[i + 1]) : d;
  };
  if (!folders.length)
    throw new Error(
      'usage: npm run bench:analysis -- <folder...> [--workers N] [--limit N] [--batch N] [--rounds N] [--no-long] [--no-threads-mode]',
    );
  const workers = opt('--workers', Math.min(2, cpus().length));
  const batchSize = opt('--batch', 4);
  const files = folders.flatMap((f) => listAudio(resolve(f))).slice(0, opt('--limit', Infinity));
  if (!files.length) throw new Error(`no audio files under ${folders.join(', ')}`);
  const { modelsDir } = loadConfig();
  console.log(
    `bench:analysis — ${files.length} files under ${folders.join(', ')}; ${cpus().length} CPUs (${cpus()[0]?.model}); batch ${batchSize}; load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );

  // Rounds alternate the profiles; each figure keeps its best round (background load only ever slows a run).
  let exact: RunStats | undefined, fast: RunStats | undefined;
  for (let round = opt('--rounds', 1); round > 0; round--) {
    exact = best(exact, await runMode('procs', 'exact', files, workers, 1, modelsDir, batchSize));
    fast = best(fast, await runMode('procs', 'fast', files, workers, 1, modelsDir, batchSize));
  }
  report(exact!);
  report(fast!);
  await compareProfiles(exact!, fast!);
  if (!argv.includes('--no-threads-mode') && workers > 1)
    report(await runMode('threads', 'exact', files, 1, workers, modelsDir, batchSize));
  if (!argv.includes('--no-long')) {
    const longest = files.map((f) => ({ f, s: statSync(f).size })).sort((a, b) => b.s - a.s)[0].f;
    await longTrack(longest, modelsDir, batchSize);
  }
  console.log(
    `\nload average after: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
}

if (process.argv.includes('--child')) void child();
else if (resolve(process.argv[1] ?? '') === fileURLToPath(import.meta.url))
  main().catch((err) => {
    console.error(`bench:analysis: ${(err as Error).message}`);
    process.exitCode = 1;
  });
