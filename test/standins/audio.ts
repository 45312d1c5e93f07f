// Synthetic audio for media tests: short ffmpeg sine tones with the tags a test asks for.
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

const CODECS: Record<string, string[]> = {
  '.flac': ['-c:a', 'flac'],
  '.mp3': ['-c:a', 'libmp3lame', '-id3v2_version', '3'],
  '.ogg': ['-c:a', 'libvorbis'],
  '.opus': ['-c:a', 'libopus'],
  '.m4a': ['-c:a', 'aac'],
  '.wav': ['-c:a', 'pcm_s16le'],
};

export interface ToneOptions {
  seconds?: number;
  frequency?: number;
  /** ffmpeg -metadata keys (title, artist, album_artist, album, track, disc, date); none = an untagged file. */
  tags?: Record<string, string | number>;
}

/** Writes a mono 22.05 kHz tone to `file` (codec from the extension), creating parent folders. */
export async function makeTone(file: string, { seconds = 1, frequency = 440, tags }: ToneOptions = {}) {
  const codec = CODECS[path.extname(file).toLowerCase()];
  if (!codec) throw new Error(`makeTone: no codec for ${file}`);
  await fs.mkdir(path.dirname(file), { recursive: true });
  const meta = tags
    ? Object.entries(tags).flatMap(([k, v]) => ['-metadata', `${k}=${v}`])
    : ['-map_metadata', '-1', '-fflags', '+bitexact', '-flags:a', '+bitexact'];
  await run('ffmpeg', [
    '-v',
    'error',
    '-y',
    '-f',
    'lavfi',
    '-i',
    `sine=frequency=${frequency}:duration=${seconds}`,
    '-ac',
    '1',
    '-ar',
    '22050',
    ...meta,
    ...codec,
    file,
  ]);
}

/**
 * The `skip` option of tests that make tones: false when ffmpeg runs, else the reason to skip — or, under CI,
 * a thrown error, so a CI image without ffmpeg fails instead of passing with these tests skipped.
 */
export async function ffmpegOrSkip(): Promise<false | string> {
  if (await hasFfmpeg()) return false;
  if (process.env.CI) throw new Error('ffmpeg is not on PATH; CI must install it');
  return 'ffmpeg is not on PATH; skipped';
}

/** True when ffmpeg runs; tests skip (or fail under CI) otherwise. */
export async function hasFfmpeg(): Promise<boolean> {
  try {
    await run('ffmpeg', ['-version']);
    return true;
  } catch {
    return false;
  }
}
