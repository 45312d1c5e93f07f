// `audiomuse analyze [options] <file...>`: analyses local audio files, one JSON line per file on stdout.
// A file that cannot be analysed gives {path, error: {code, message}} and the run goes on (exit 0); a setup
// problem (models missing or not verifying, no ffmpeg, bad configuration) stops with exit 2.
import { analyzeTrack, type TrackAnalysis } from '../../engines/analysis/analyze-track.ts';
import { AnalysisError } from '../../engines/analysis/errors.ts';
import { getMusicnnModels } from '../../engines/analysis/musicnn.ts';
import { TAGS, topTags } from '../../words/vocabulary.ts';
import { loadConfig } from '../../lib/config.ts';
import { ANALYSIS_PROFILES, type AnalysisProfile } from '../../words/analysis-profile.ts';

const USAGE = `usage: audiomuse analyze [--full] [--max-seconds S] [--patch-hop N] [--profile P] [--threads N] <file...>
  --full           also print the whole embedding and all 50 tag scores by label
  --max-seconds S  analyse only the first S seconds of each file
  --patch-hop N    MusiCNN patch hop in mel frames, 1..187 (default PATCH_HOP, 187 = no overlap)
  --profile P      ${ANALYSIS_PROFILES.join(' or ')} (default ANALYSIS_PROFILE, exact)
  --threads N      ONNX intra-op threads (default 1)
Reads MODELS_DIR, TOP_N_MOODS, PATCH_HOP, ANALYSIS_PROFILE and FFMPEG_PATH from the environment.`;

interface Args {
  full: boolean;
  maxSeconds?: number;
  patchHop?: number;
  profile?: AnalysisProfile;
  threads?: number;
  files: string[];
}

function parseArgs(args: string[]): Args {
  const out: Args = { full: false, files: [] };
  const num = (flag: string, v: string | undefined, integer: boolean): number => {
    const n = Number(v);
    if (v === undefined || !Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n)))
      throw new Error(`${flag} needs a positive ${integer ? 'integer' : 'number'}\n${USAGE}`);
    return n;
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--full') out.full = true;
    else if (a === '--max-seconds') out.maxSeconds = num(a, args[++i], false);
    else if (a === '--patch-hop') out.patchHop = num(a, args[++i], true);
    else if (a === '--profile') out.profile = profileArg(args[++i]);
    else if (a === '--threads') out.threads = num(a, args[++i], true);
    else if (a === '--help' || a === '-h') throw new Error(USAGE);
    else if (a.startsWith('--')) throw new Error(`unknown option ${a}\n${USAGE}`);
    else out.files.push(a);
  }
  if (!out.files.length) throw new Error(USAGE);
  return out;
}

function profileArg(v: string | undefined): AnalysisProfile {
  const profile = ANALYSIS_PROFILES.find((p) => p === v);
  if (!profile) throw new Error(`--profile must be one of ${ANALYSIS_PROFILES.join(', ')}\n${USAGE}`);
  return profile;
}

const r3 = (x: number) => Math.round(x * 1000) / 1000;
const r2 = (x: number | null) => (x === null ? null : Math.round(x * 100) / 100);

function describe(
  path: string,
  a: TrackAnalysis,
  topN: number,
  full: boolean,
  seconds: number,
): Record<string, unknown> {
  const norm = Math.sqrt(a.embedding.reduce((s, v) => s + v * v, 0));
  const line: Record<string, unknown> = {
    path,
    durationSec: r2(a.durationSec),
    analyzedSec: r2(a.analyzedSec),
    patches: a.patches,
    embedding: { length: a.embedding.length, norm: r3(norm) },
    topTags: Object.fromEntries(topTags(a.tags, topN).map((m) => [m.label, r3(m.score)])),
    moodHeads: Object.fromEntries(Object.entries(a.moodHeads).map(([k, v]) => [k, r3(v)])),
    tempo: r2(a.tempo),
    key: a.key,
    scale: a.scale,
    keyStrength: a.keyStrength === null ? null : r3(a.keyStrength),
    energy: a.energy === null ? null : r3(a.energy),
    rmsDb: r2(a.rmsDb),
    seconds: r2(seconds),
  };
  if (full) {
    line.embedding = Array.from(a.embedding, (v) => Math.round(v * 1e6) / 1e6);
    line.tags = Object.fromEntries(TAGS.map((l, i) => [l, Math.round(a.tags[i] * 1e6) / 1e6]));
  }
  return line;
}

export async function run(argv: string[]): Promise<number> {
  const args = parseArgs(argv);
  const config = loadConfig();
  let models;
  try {
    models = await getMusicnnModels({ modelsDir: config.modelsDir, threads: args.threads });
  } catch (err) {
    if (err instanceof AnalysisError) {
      console.error(`audiomuse analyze: ${err.message}`);
      return 2;
    }
    throw err;
  }
  for (const path of args.files) {
    const t0 = performance.now();
    try {
      const a = await analyzeTrack(path, {
        models,
        patchHop: args.patchHop ?? config.analysis.patchHop,
        profile: args.profile ?? config.analysis.profile,
        maxSeconds: args.maxSeconds,
      });
      console.log(
        JSON.stringify(describe(path, a, config.analysis.topNMoods, args.full, (performance.now() - t0) / 1000)),
      );
    } catch (err) {
      if (!(err instanceof AnalysisError)) throw err;
      console.log(JSON.stringify({ path, error: err.toJSON() }));
      if (err.isSetupError) {
        console.error(`audiomuse analyze: ${err.message}`);
        return 2;
      }
    }
  }
  return 0;
}
