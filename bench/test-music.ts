// The freely licensed Debian music the benchmarks measure quality on (installed by .ci/run, never committed),
// labelled by package (the "album" a listener would recognise) and composer, and analysed by the product's
// engine through `audiomuse analyze --full` in a few processes. Results are cached per file, size, mtime and
// analysis version under the system's temp folder, so a rerun measures without analysing again.
// QUALITY_PACKAGES adds five more packages (installed by hand, see `npm run bench:quality -- --help`) for the
// larger labelled set of bench:quality; two ship their music inside a game's zip (.pk3), extracted at run time.
import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { TrackFeatures } from '../engines/clustering/features.ts';
import { analysisVersion } from '../engines/analysis/version.ts';
import { repoRoot } from '../lib/config.ts';
import type { StoredFeatures } from '../lib/store/tracks.ts';
import type { AnalysisProfile } from '../words/analysis-profile.ts';

const run = promisify(execFile);

export interface MusicFile {
  file: string;
  /** Index into PACKAGES. */
  label: number;
  album: string;
  artist: string;
  title: string;
}

interface Package {
  label: string;
  /** The Debian package(s) installing it: `apt-get install <apt>`. */
  apt: string;
  dir: string;
  /** A zip the files are extracted from into `dir` (under the temp folder) before walking it. */
  zip?: string;
  match: RegExp;
  /** Composer and title of one file of the package. */
  describe(file: string): { artist: string; title: string };
}

const iniField = (file: string, field: string): string | undefined =>
  fs
    .readFileSync(path.join(path.dirname(file), 'song.ini'), 'utf8')
    .match(new RegExp(`^${field}\\s*=\\s*(.+)$`, 'm'))?.[1]
    .trim();

export const PACKAGES: Package[] = [
  {
    label: 'fretsonfire (metal)',
    apt: 'fretsonfire-songs-muldjord fretsonfire-songs-sectoid',
    dir: '/usr/share/games/fretsonfire/data/songs',
    match: /\/song\.ogg$/,
    describe: (f) => ({
      artist: (iniField(f, 'artist') ?? path.basename(path.dirname(path.dirname(f)))).split(' - ')[0],
      title: iniField(f, 'name') ?? path.basename(path.dirname(f)),
    }),
  },
  {
    label: 'pushover (game themes)',
    apt: 'pushover-data',
    dir: '/usr/share/pushover/themes',
    match: /\.ogg$/,
    describe: (f) => ({ artist: 'Pushover', title: path.basename(f, '.ogg') }),
  },
  {
    label: 'hyperrogue (ambient)',
    apt: 'hyperrogue-music',
    dir: '/usr/share/hyperrogue/music',
    match: /\.ogg$/,
    // hr-<composer>-<title>.ogg; hr3-<land>.ogg are the HyperRogue 3 soundtrack's.
    describe: (f) => {
      const [prefix, composer, ...rest] = path.basename(f, '.ogg').split('-');
      return prefix === 'hr'
        ? { artist: composer, title: rest.join(' ') }
        : { artist: 'HyperRogue 3', title: composer };
    },
  },
];

const extracted = (name: string) => path.join(os.tmpdir(), 'audiomuse-bench-music', name);
const titleOf = (f: string) => path.basename(f, path.extname(f));

/** The first three, plus five more packages of other sources: bench:quality's labelled set. */
export const QUALITY_PACKAGES: Package[] = [
  ...PACKAGES,
  {
    label: 'nexuiz (electronic)',
    apt: 'nexuiz-music',
    zip: '/usr/share/games/nexuiz/data/music.pk3',
    dir: extracted('nexuiz'),
    match: /\/sound\/cdtracks\/[^/]+\.ogg$/,
    describe: (f) => ({ artist: 'Nexuiz', title: titleOf(f) }),
  },
  {
    label: 'ufoai (orchestral)',
    apt: 'ufoai-music',
    zip: '/usr/share/games/ufoai/base/0music.pk3',
    dir: extracted('ufoai'),
    match: /\/music\/[^/]+\.ogg$/,
    // Composer-Title.ogg or ComposerTitle.ogg for the named composers; the rest are the project's own.
    describe: (f) => {
      const name = titleOf(f);
      const composer = name.match(/^(Crystan|David|Marine|Psymong|Alex|TheThings|karlmacklin|van)/)?.[1];
      return {
        artist: composer ?? 'UFO:AI',
        title: composer ? name.slice(composer.length).replace(/^[-_]/, '') : name,
      };
    },
  },
  {
    label: 'drascula (adventure)',
    apt: 'drascula-music',
    // The de/en/es/fr/it folders beside audio/ hold byte-identical copies.
    dir: '/usr/share/scummvm/drascula/audio',
    match: /\/track\d+\.ogg$/,
    describe: (f) => ({ artist: 'Drascula', title: titleOf(f) }),
  },
  {
    label: 'asc (strategy)',
    apt: 'asc-music',
    dir: '/usr/share/games/asc/music',
    match: /\.mp3$/,
    describe: (f) => ({ artist: 'ASC', title: titleOf(f) }),
  },
  {
    label: 'colobot (soundtrack)',
    apt: 'colobot-common-sounds',
    dir: '/usr/share/games/colobot/music',
    match: /\.ogg$/,
    describe: (f) => ({ artist: 'Colobot', title: titleOf(f) }),
  },
];

/** Extracts a package's zip into its folder once (unzip, or Python's zipfile where unzip is missing). */
function extract(p: Package): void {
  if (!p.zip || !fs.existsSync(p.zip) || fs.existsSync(path.join(p.dir, '.extracted'))) return;
  fs.mkdirSync(p.dir, { recursive: true });
  try {
    execFileSync('unzip', ['-o', '-q', p.zip, '-d', p.dir]);
  } catch {
    execFileSync('python3', [
      '-c',
      'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])',
      p.zip,
      p.dir,
    ]);
  }
  fs.writeFileSync(path.join(p.dir, '.extracted'), p.zip);
}

function walk(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

/** The packages of `packages` with no file installed. */
export function missingPackages(packages: Package[]): Package[] {
  return packages.filter((p) => {
    extract(p);
    return !walk(p.dir).some((f) => p.match.test(f));
  });
}

/** Every installed file of the packages, labelled; an error naming .ci/run when none is installed. */
export function testMusic(packages: Package[] = PACKAGES): MusicFile[] {
  const files = packages.flatMap((p, label) => {
    extract(p);
    return walk(p.dir)
      .filter((f) => p.match.test(f))
      .sort()
      .map((file) => {
        const { artist, title } = p.describe(file);
        // Fretsonfire ships one folder per band; the other packages are one album each.
        const album = p === PACKAGES[0] ? path.basename(path.dirname(path.dirname(file))) : p.label;
        return { file, label, album, artist, title };
      });
  });
  if (files.length === 0) throw new Error('none of the Debian music packages is installed (see .ci/run)');
  return files;
}

export type Analysed<T extends { file: string }> = T & {
  features: TrackFeatures;
  /** What the features leave out: key, scale and length (bench:big-library draws from their distribution). */
  tonality: { key: string | null; scale: 'major' | 'minor' | null; keyStrength: number | null };
  durationSec: number | null;
};

interface AnalyzeLine {
  path: string;
  error?: unknown;
  embedding?: number[];
  tags?: Record<string, number> | number[];
  moodHeads?: TrackFeatures['moodHeads'];
  tempo: number | null;
  energy: number | null;
  key?: string | null;
  scale?: 'major' | 'minor' | null;
  keyStrength?: number | null;
  durationSec?: number;
}

const cacheDir = path.join(os.tmpdir(), 'audiomuse-bench-analysis');
const cacheFile = (file: string, profile: AnalysisProfile) => {
  const st = fs.statSync(file);
  const version = analysisVersion({ patchHop: 187, profile });
  const key = createHash('sha1').update(`${file}\0${st.size}\0${st.mtimeMs}\0${version}`);
  return path.join(cacheDir, `${key.digest('hex')}.json`);
};

/** The product's full-length analysis of each file (failures left out), `workers` processes at once. */
export async function analyse<T extends { file: string }>(
  files: T[],
  workers: number,
  profile: AnalysisProfile = 'exact',
): Promise<Analysed<T>[]> {
  fs.mkdirSync(cacheDir, { recursive: true });
  const todo = files.filter((f) => !fs.existsSync(cacheFile(f.file, profile)));
  const shares = Array.from({ length: workers }, (_, w) => todo.filter((_, i) => i % workers === w));
  const outputs = await Promise.all(
    shares.map((share) =>
      share.length === 0
        ? ''
        : run(
            process.execPath,
            [
              path.join(repoRoot, 'bin/audiomuse.mjs'),
              'analyze',
              '--full',
              '--profile',
              profile,
              ...share.map((f) => f.file),
            ],
            { maxBuffer: 1 << 28 },
          ).then(
            (r) => r.stdout,
            (e: { stdout?: string }) => e.stdout ?? '',
          ),
    ),
  );
  for (const line of outputs.join('\n').split('\n')) {
    if (!line.trim()) continue;
    const r = JSON.parse(line) as AnalyzeLine;
    if (!r.error && r.embedding) fs.writeFileSync(cacheFile(r.path, profile), line);
  }
  const out: Analysed<T>[] = [];
  for (const f of files) {
    if (!fs.existsSync(cacheFile(f.file, profile))) continue;
    const r = JSON.parse(fs.readFileSync(cacheFile(f.file, profile), 'utf8')) as AnalyzeLine;
    const tags = Array.isArray(r.tags) ? r.tags : Object.values(r.tags ?? {});
    out.push({
      ...f,
      features: {
        id: r.path,
        title: path.basename(r.path),
        artist: null,
        tempo: r.tempo,
        energy: r.energy,
        tags,
        moodHeads: r.moodHeads!,
        embedding: r.embedding!,
      },
      tonality: { key: r.key ?? null, scale: r.scale ?? null, keyStrength: r.keyStrength ?? null },
      durationSec: r.durationSec ?? null,
    });
  }
  return out;
}

/**
 * A cached analysis as the store takes it. The benches measure what clustering and similarity read
 * (embedding, tags, mood heads, tempo, energy); key and patches are placeholders they never look at.
 */
export const storedFeatures = (f: TrackFeatures): StoredFeatures => ({
  embedding: Float32Array.from(f.embedding!),
  tags: Float32Array.from(f.tags),
  moodHeads: f.moodHeads,
  tempo: f.tempo,
  key: 'C',
  scale: 'major',
  keyStrength: null,
  energy: f.energy,
  patches: 1,
});
