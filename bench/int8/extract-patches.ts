// Step 1 of `npm run bench:int8`: decodes Debian test music into MusiCNN log-mel patches with the project's own
// decoder and patcher (so the int8 variants see exactly what the pipeline feeds the model) and writes two sets
// into <dir>/data: calibration (the fretsonfire songs) and evaluation (pushover themes + hyperrogue music, held out
// from calibration), each as raw little-endian float32 [n, 187, 96] (`<set>.f32`, what quantize.py reads with
// numpy) plus `<set>.json` (shape, and the tracks with their patch counts in file order).
//
// Alone: npx tsx bench/int8/extract-patches.ts [dir] [--calib-patches 24] [--eval-patches 16]
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { decodeAudio } from '../../engines/analysis/decode-audio.ts';
import { LogMelPatcher, N_MELS, PATCH_FRAMES } from '../../engines/analysis/mel-spectrogram.ts';
import { PATCH_SIZE } from '../../engines/analysis/musicnn.ts';
import { listAudio } from '../analysis.ts';

/** Debian packages: fretsonfire-songs-muldjord + -sectoid (calibration), pushover-data + hyperrogue-music. */
export const CALIB_SONGS = '/usr/share/games/fretsonfire/data/songs';
export const EVAL_DIRS = ['/usr/share/pushover/themes', '/usr/share/hyperrogue/music'];

export const defaultWorkDir = (): string => join(tmpdir(), 'audiomuse-bench-int8');

export interface PatchSet {
  shape: [number, number, number];
  tracks: { file: string; patches: number }[];
}

// The full mixes only: guitar.ogg is one stem of the same song.
const findSongs = (dir: string): string[] => listAudio(dir).filter((f) => basename(f) === 'song.ogg');
const oggs = (dir: string): string[] => listAudio(dir).filter((f) => f.endsWith('.ogg'));

/** All patches of the track, then an evenly spread subset (deterministic, never only the start). */
async function patchesOf(file: string, perTrack: number): Promise<Float32Array[]> {
  const patcher = new LogMelPatcher();
  const all: Float32Array[] = [];
  for await (const chunk of decodeAudio(file)) all.push(...patcher.push(chunk));
  if (all.length <= perTrack) return all;
  return Array.from({ length: perTrack }, (_, i) => all[Math.floor(((i + 0.5) * all.length) / perTrack)]);
}

async function writeSet(
  dir: string,
  name: string,
  files: string[],
  perTrack: number,
  log: (line: string) => void,
): Promise<PatchSet> {
  const tracks: PatchSet['tracks'] = [];
  const chunks: Float32Array[] = [];
  for (const f of files) {
    try {
      const p = await patchesOf(f, perTrack);
      if (!p.length) throw new Error('no complete patch (shorter than 3 s)');
      tracks.push({ file: f, patches: p.length });
      chunks.push(...p);
    } catch (err) {
      // ffmpeg 5.1 rejects three hyperrogue OGGs (see docs/analysis.md, Tests): skip, do not stop.
      log(`  ${name}: skipped ${f}: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  if (!chunks.length) throw new Error(`${name}: no patches from ${files.length} files`);
  const buf = new Float32Array(chunks.length * PATCH_SIZE);
  chunks.forEach((c, i) => buf.set(c, i * PATCH_SIZE));
  writeFileSync(join(dir, `${name}.f32`), new Uint8Array(buf.buffer));
  const set: PatchSet = { shape: [chunks.length, PATCH_FRAMES, N_MELS], tracks };
  writeFileSync(join(dir, `${name}.json`), JSON.stringify(set, null, 1));
  log(`  ${name}: ${tracks.length} tracks, ${chunks.length} patches`);
  return set;
}

export async function extractPatches(
  dir: string,
  opts: { calibPatches: number; evalPatches: number; log?: (line: string) => void },
): Promise<{ calib: PatchSet; eval: PatchSet }> {
  const log = opts.log ?? console.log;
  const missing = [CALIB_SONGS, ...EVAL_DIRS].filter((d) => !existsSync(d));
  if (missing.length)
    throw new Error(
      `missing test music: ${missing.join(', ')} (Debian: apt-get install fretsonfire-songs-muldjord ` +
        'fretsonfire-songs-sectoid pushover-data hyperrogue-music)',
    );
  const data = join(dir, 'data');
  mkdirSync(data, { recursive: true });
  const calib = await writeSet(data, 'calib', findSongs(CALIB_SONGS), opts.calibPatches, log);
  const evalSet = await writeSet(data, 'eval', EVAL_DIRS.flatMap(oggs), opts.evalPatches, log);
  return { calib, eval: evalSet };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      'calib-patches': { type: 'string', default: '24' },
      'eval-patches': { type: 'string', default: '16' },
    },
  });
  const dir = positionals[0] ?? defaultWorkDir();
  extractPatches(dir, {
    calibPatches: Number(values['calib-patches']),
    evalPatches: Number(values['eval-patches']),
  }).then(
    () => console.log(`written ${join(dir, 'data')}`),
    (err: unknown) => {
      console.error(err instanceof Error ? err.message : err);
      process.exit(1);
    },
  );
}
