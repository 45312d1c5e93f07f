// Step 3 of `npm run bench:int8`: times each int8 variant of the MusiCNN embedding model against fp32 in
// onnxruntime-node (the runtime the pipeline uses) and measures how far its features are from fp32's on the
// held-out evaluation tracks, against the fast profile's acceptance bounds (issue 12).
//
// Timing: sessions as the pipeline creates them (1 intra-op thread, sequential, optimisation 'all'), batches of
// `batch` patches. For every batch of the timing set every model runs once back to back, in an order rotated
// per batch and round, so load changes on a shared machine hit all models alike. ms/patch is the median over
// rounds; the speed-up is the median of the paired per-batch ratios fp32 time / variant time (robust to noise).
// Accuracy: every evaluation patch through the variant, its embeddings through the fp32 tag model and mood
// heads, averaged per track as the pipeline does (PatchAverager); compared with the same for fp32.
//
// Alone (after extract-patches.ts and quantize.py): npx tsx bench/int8/evaluate.ts [dir] [--rounds 3]
//   [--timing-patches 96] [--batch 4] [--only a,b]     (fp32 models from MODELS_DIR)
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';
import { N_MELS, PATCH_FRAMES } from '../../engines/analysis/mel-spectrogram.ts';
import { loadVerifiedModels, modelFile } from '../../engines/analysis/model-files.ts';
import { type BatchOutput, PATCH_SIZE, PatchAverager } from '../../engines/analysis/musicnn.ts';
import { EMBEDDING_DIM, MOOD_HEADS, type MoodHead } from '../../words/vocabulary.ts';
import { cosineSimilarity } from '../../engines/clustering/distance.ts';
import { loadConfig } from '../../lib/config.ts';
import { defaultWorkDir, type PatchSet } from './extract-patches.ts';

/** Issue 12's bounds for features that may replace the exact ones: embedding cosine vs fp32, every tag. */
export const BOUNDS = { cosMean: 0.995, cosWorst: 0.98, tagErr: 0.03 };

export interface Accuracy {
  trackCosMean: number;
  trackCosWorst: number;
  worstTrack: string;
  patchCosWorst: number;
  tagMaxErr: number;
  tracksOverTagBound: number;
  moodMaxErr: number;
}

export interface VariantResult {
  name: string;
  file: string;
  sha256: string;
  bytes: number;
  msPerPatch: number;
  msPerPatchRounds: number[];
  speedup: number;
  accuracy?: Accuracy;
  withinBounds?: boolean;
}

export interface Int8Report {
  date: string;
  cpu: string;
  node: string;
  onnxruntimeNode: string;
  quantisedWith: Record<string, string>;
  load: { start: number[]; afterTiming: number[]; end: number[] };
  evalTracks: number;
  evalPatches: number;
  timingPatches: number;
  rounds: number;
  batch: number;
  results: VariantResult[];
}

interface VariantManifest {
  versions: Record<string, string>;
  variants: Record<string, { path: string; sha256: string; bytes: number }>;
}

/** Model name, family/model and the SIMD flags int8 speed depends on (VNNI: int8 dot products). */
export function describeCpu(): string {
  const list = cpus();
  let info = '';
  try {
    info = readFileSync('/proc/cpuinfo', 'utf8').split('\n\n')[0];
  } catch {
    // not Linux: the model name from os.cpus() is all there is
  }
  const field = (name: string) => new RegExp(`^${name}\\s*:\\s*(.*)$`, 'm').exec(info)?.[1]?.trim();
  const flags = new Set((field('flags') ?? '').split(/\s+/));
  const simd = ['avx2', 'avx512f', 'avx512_vnni', 'avx_vnni', 'amx_int8'].filter((f) => flags.has(f));
  const family = field('cpu family') ? `, family ${field('cpu family')} model ${field('model')}` : '';
  const vnni = flags.size > 1 && !simd.some((f) => f.includes('vnni')) ? ', no VNNI' : '';
  const model = list[0]?.model.trim() ?? 'unknown';
  return `${model}${family}, ${list.length} logical CPUs${simd.map((f) => `, ${f}`).join('')}${vnni}`;
}

function readPatchSet(dir: string, name: string): PatchSet & { data: Float32Array } {
  const set = JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8')) as PatchSet;
  const buf = readFileSync(join(dir, `${name}.f32`));
  const data = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
  if (data.length !== set.shape[0] * PATCH_SIZE) throw new Error(`${name}.f32 does not hold ${set.shape[0]} patches`);
  return { ...set, data };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>) =>
  Array.from(a).reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

export async function evaluate(opts: {
  dir: string;
  modelsDir: string;
  rounds: number;
  timingPatches: number;
  batch: number;
  only?: string[];
  log?: (line: string) => void;
}): Promise<Int8Report> {
  const log = opts.log ?? console.log;
  const { batch } = opts;
  const loadStart = loadavg();
  const manifest = JSON.parse(readFileSync(join(opts.dir, 'models', 'manifest.json'), 'utf8')) as VariantManifest;
  const variants = Object.keys(manifest.variants).filter((n) => !opts.only?.length || opts.only.includes(n));
  const names = ['fp32', ...variants];

  // fp32: the verified bytes of MODELS_DIR (wrong or missing files stop here with the project's message).
  const fp32 = await loadVerifiedModels(opts.modelsDir);
  const sessionOptions: ort.InferenceSession.SessionOptions = {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  };
  const sessions = new Map<string, ort.InferenceSession>();
  sessions.set('fp32', await ort.InferenceSession.create(fp32.get('embedding')!, sessionOptions));
  for (const n of variants)
    sessions.set(n, await ort.InferenceSession.create(manifest.variants[n].path, sessionOptions));
  const tagSession = await ort.InferenceSession.create(fp32.get('tags')!, sessionOptions);
  const headSessions = new Map<MoodHead, ort.InferenceSession>();
  for (const h of MOOD_HEADS) headSessions.set(h, await ort.InferenceSession.create(fp32.get(h)!, sessionOptions));

  const emb = modelFile('embedding');
  const embed = async (name: string, data: Float32Array, n: number): Promise<Float32Array> => {
    const out = new Float32Array(n * EMBEDDING_DIM);
    for (let i = 0; i < n; i += batch) {
      const b = Math.min(batch, n - i);
      const x = new ort.Tensor('float32', data.subarray(i * PATCH_SIZE, (i + b) * PATCH_SIZE), [
        b,
        PATCH_FRAMES,
        N_MELS,
      ]);
      const r = await sessions.get(name)!.run({ [emb.input]: x });
      out.set(r[emb.output].data as Float32Array, i * EMBEDDING_DIM);
    }
    return out;
  };

  const ev = readPatchSet(join(opts.dir, 'data'), 'eval');

  // ---- timing
  const nBatches = Math.floor(Math.min(opts.timingPatches, ev.shape[0]) / batch);
  if (nBatches < 1) throw new Error(`timing needs at least one batch of ${batch} patches`);
  const timeSet = ev.data.subarray(0, nBatches * batch * PATCH_SIZE);
  for (const n of names) await embed(n, timeSet, Math.min(2 * batch, nBatches * batch)); // warm-up
  const perRound = new Map<string, number[]>(names.map((n) => [n, []]));
  const ratios = new Map<string, number[]>(names.map((n) => [n, []]));
  for (let r = 0; r < opts.rounds; r++) {
    const sums = new Map<string, number>(names.map((n) => [n, 0]));
    for (let b = 0; b < nBatches; b++) {
      const x = timeSet.subarray(b * batch * PATCH_SIZE, (b + 1) * batch * PATCH_SIZE);
      const t = new Map<string, number>();
      for (let i = 0; i < names.length; i++) {
        const n = names[(i + b + r) % names.length];
        const t0 = performance.now();
        await embed(n, x, batch);
        t.set(n, performance.now() - t0);
      }
      for (const n of names) {
        sums.set(n, sums.get(n)! + t.get(n)!);
        ratios.get(n)!.push(t.get('fp32')! / t.get(n)!);
      }
    }
    for (const n of names) perRound.get(n)!.push(sums.get(n)! / (nBatches * batch));
    const ms = names.map((n) => `${n} ${perRound.get(n)![r].toFixed(1)}`);
    log(`  round ${r + 1}/${opts.rounds} (ms/patch): ${ms.join(', ')}`);
  }
  const loadAfterTiming = loadavg();

  // ---- accuracy: per-patch embeddings, then tags / heads from fp32, averaged per track
  const features = async (name: string) => {
    const e = await embed(name, ev.data, ev.shape[0]);
    const tracks: ReturnType<PatchAverager['result']>[] = [];
    let off = 0;
    for (const { patches: n } of ev.tracks) {
      const embeddings = e.slice(off * EMBEDDING_DIM, (off + n) * EMBEDDING_DIM);
      const x = new ort.Tensor('float32', embeddings, [n, EMBEDDING_DIM]);
      const tag = modelFile('tags');
      const tags = new Float32Array((await tagSession.run({ [tag.input]: x }))[tag.output].data as Float32Array);
      const moods = {} as Record<MoodHead, Float32Array>;
      for (const h of MOOD_HEADS) {
        const m = modelFile(h);
        const out = (await headSessions.get(h)!.run({ [m.input]: x }))[m.output].data as Float32Array;
        moods[h] = Float32Array.from({ length: n }, (_, i) => out[i * 2 + (m.positiveIndex ?? 0)]);
      }
      const avg = new PatchAverager();
      avg.add({ n, embeddings, tags, moodHeads: moods } satisfies BatchOutput);
      tracks.push(avg.result());
      off += n;
    }
    return { patchEmbeddings: e, tracks };
  };
  const ref = await features('fp32');
  const results: VariantResult[] = [];
  for (const n of names) {
    const meta = n === 'fp32' ? undefined : manifest.variants[n];
    const row: VariantResult = {
      name: n,
      file: meta?.path ?? join(opts.modelsDir, emb.file),
      sha256: meta?.sha256 ?? emb.sha256,
      bytes: meta?.bytes ?? emb.bytes,
      msPerPatch: median(perRound.get(n)!),
      msPerPatchRounds: perRound.get(n)!,
      speedup: median(ratios.get(n)!),
    };
    results.push(row);
    if (!meta) continue;
    const f = await features(n);
    const trackCos = f.tracks.map((t, i) => cosineSimilarity(t.embedding, ref.tracks[i].embedding));
    const patch = (e: Float32Array, i: number) => e.subarray(i * EMBEDDING_DIM, (i + 1) * EMBEDDING_DIM);
    const patchCos = Array.from({ length: ev.shape[0] }, (_, i) =>
      cosineSimilarity(patch(f.patchEmbeddings, i), patch(ref.patchEmbeddings, i)),
    );
    const tagErr = f.tracks.map((t, i) => maxAbsDiff(t.tags, ref.tracks[i].tags));
    const moodErr = f.tracks.map((t, i) =>
      maxAbsDiff(
        MOOD_HEADS.map((h) => t.moodHeads[h]),
        MOOD_HEADS.map((h) => ref.tracks[i].moodHeads[h]),
      ),
    );
    const worst = Math.min(...trackCos);
    row.accuracy = {
      trackCosMean: trackCos.reduce((a, b) => a + b, 0) / trackCos.length,
      trackCosWorst: worst,
      worstTrack: basename(ev.tracks[trackCos.indexOf(worst)].file),
      patchCosWorst: Math.min(...patchCos),
      tagMaxErr: Math.max(...tagErr),
      tracksOverTagBound: tagErr.filter((x) => x > BOUNDS.tagErr).length,
      moodMaxErr: Math.max(...moodErr),
    };
    row.withinBounds =
      row.accuracy.trackCosMean >= BOUNDS.cosMean &&
      row.accuracy.trackCosWorst >= BOUNDS.cosWorst &&
      row.accuracy.tagMaxErr <= BOUNDS.tagErr;
  }
  for (const s of [...sessions.values(), tagSession, ...headSessions.values()]) await s.release();

  return {
    date: new Date().toISOString(),
    cpu: describeCpu(),
    node: process.version,
    onnxruntimeNode: ort.env.versions.node ?? '?',
    quantisedWith: manifest.versions,
    load: { start: loadStart, afterTiming: loadAfterTiming, end: loadavg() },
    evalTracks: ev.tracks.length,
    evalPatches: ev.shape[0],
    timingPatches: nBatches * batch,
    rounds: opts.rounds,
    batch,
    results,
  };
}

/** The report as a markdown table plus the decision, the way docs/analysis.md shows it. */
export function formatReport(r: Int8Report): string {
  const f = (x: number, d: number) => x.toFixed(d);
  const la = (xs: number[]) => xs.map((x) => x.toFixed(1)).join(' ');
  const lines = [
    `${r.date.slice(0, 16).replace('T', ' ')} UTC; CPU: ${r.cpu}`,
    `onnxruntime-node ${r.onnxruntimeNode} (node ${r.node}); ` +
      `quantised with onnxruntime ${r.quantisedWith.onnxruntime}, onnx ${r.quantisedWith.onnx}`,
    `load average (1/5/15 min): ${la(r.load.start)} at start, ${la(r.load.afterTiming)} after timing, ` +
      `${la(r.load.end)} at end`,
    `timing: ${r.timingPatches} patches × ${r.rounds} rounds, batch ${r.batch}, 1 thread; ` +
      `accuracy: ${r.evalTracks} tracks, ${r.evalPatches} patches`,
    '',
    '| variant | ms/patch | speed-up | track cos mean | track cos worst | max tag err | tracks tag > 0.03 ' +
      '| max mood err | faster and within bounds |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  for (const v of r.results) {
    const a = v.accuracy;
    const acc = a
      ? [f(a.trackCosMean, 4), f(a.trackCosWorst, 4), f(a.tagMaxErr, 3), a.tracksOverTagBound, f(a.moodMaxErr, 3)]
      : ['–', '–', '–', '–', '–'];
    const verdict = a ? (v.speedup > 1 && v.withinBounds ? 'yes' : 'no') : '';
    lines.push(`| ${[v.name, f(v.msPerPatch, 1), `${f(v.speedup, 2)}×`, ...acc, verdict].join(' | ')} |`);
  }
  const keep = r.results.filter((v) => v.accuracy && v.speedup > 1 && v.withinBounds).map((v) => v.name);
  lines.push(
    '',
    `bounds: track cosine mean ≥ ${BOUNDS.cosMean}, worst ≥ ${BOUNDS.cosWorst}, every tag within ${BOUNDS.tagErr}`,
    keep.length
      ? `decision: ${keep.join(', ')} faster than fp32 and within the bounds on this CPU: worth a closer look`
      : 'decision: no int8 variant is both faster than fp32 and within the bounds on this CPU: int8 stays dropped',
  );
  return lines.join('\n');
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      rounds: { type: 'string', default: '3' },
      'timing-patches': { type: 'string', default: '96' },
      batch: { type: 'string', default: '4' },
      only: { type: 'string', default: '' },
    },
  });
  const dir = positionals[0] ?? defaultWorkDir();
  evaluate({
    dir,
    modelsDir: loadConfig().modelsDir,
    rounds: Number(values.rounds),
    timingPatches: Number(values['timing-patches']),
    batch: Number(values.batch),
    only: values.only.split(',').filter(Boolean),
  }).then(
    (report) => {
      writeFileSync(join(dir, 'results.json'), JSON.stringify(report, null, 1));
      console.log(`\n${formatReport(report)}\n\nwritten ${join(dir, 'results.json')}`);
    },
    (err: unknown) => {
      console.error(err instanceof Error ? err.message : err);
      process.exit(1);
    },
  );
}
