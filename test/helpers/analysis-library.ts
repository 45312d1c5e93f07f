// Small libraries of real music for the analysis workflow tests: clips cut at test time from the Debian
// packages' songs (never committed), laid out as a music folder and described for the Jellyfin stand-in,
// plus the broken files a real library has (a corrupt file, a truncated one).
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type { TestContext } from 'node:test';
import { modelsDir, requireOrSkip } from '../shared-paths.ts';
import type { StandinLibrary } from '../standins/jellyfin.ts';

const run = promisify(execFile);

export const SONGS_DIR = '/usr/share/games/fretsonfire/data/songs';

/** The Debian test songs and the MusiCNN models, or a skip naming what is absent (a failure in CI). */
export function requireSongsAndModels(t: TestContext): boolean {
  return (
    requireOrSkip(t, SONGS_DIR, 'Debian packages fretsonfire-songs-*') && requireOrSkip(t, modelsDir, 'MusiCNN models')
  );
}

export function packagedSongs(): string[] {
  if (!fs.existsSync(SONGS_DIR)) return [];
  return fs
    .readdirSync(SONGS_DIR)
    .flatMap((pack) =>
      fs.readdirSync(path.join(SONGS_DIR, pack)).map((song) => path.join(SONGS_DIR, pack, song, 'song.ogg')),
    )
    .filter((f) => fs.existsSync(f))
    .sort();
}

export interface ClipLibrary {
  musicDir: string;
  /** Every file with its album and title, in album order. */
  files: { file: string; album: string; artist: string; title: string; broken?: 'corrupt' | 'truncated' }[];
  standin: StandinLibrary;
}

/**
 * `albums` albums of `tracksPerAlbum` clips of `seconds` seconds, cut from different songs and offsets.
 * `broken: true` adds an album "Damaged" with a good clip, a corrupt file and a truncated file.
 */
export async function makeClipLibrary(
  musicDir: string,
  opts: { albums: number; tracksPerAlbum: number; seconds: number; broken?: boolean },
): Promise<ClipLibrary> {
  const songs = packagedSongs();
  if (songs.length === 0) throw new Error(`no packaged songs under ${SONGS_DIR}`);
  const files: ClipLibrary['files'] = [];
  const jobs: Promise<unknown>[] = [];
  let n = 0;
  for (let a = 0; a < opts.albums; a++) {
    const artist = `Artist ${a % 3}`;
    const album = `Album ${a}`;
    for (let t = 0; t < opts.tracksPerAlbum; t++, n++) {
      const title = `Track ${a}.${t}`;
      const file = path.join(musicDir, artist, album, `${String(t + 1).padStart(2, '0')} - ${title}.ogg`);
      const source = songs[n % songs.length];
      const offset = 20 + 7 * Math.floor(n / songs.length);
      files.push({ file, album, artist, title });
      jobs.push(cut(source, file, offset, opts.seconds, { title, artist, album, album_artist: artist, track: t + 1 }));
    }
  }
  if (opts.broken) {
    const dir = path.join(musicDir, 'Artist 0', 'Damaged');
    const good = path.join(dir, '01 - Fine.ogg');
    const corrupt = path.join(dir, '02 - Corrupt.mp3');
    const truncated = path.join(dir, '03 - Truncated.flac');
    const tags = (title: string, track: number) => ({
      title,
      artist: 'Artist 0',
      album: 'Damaged',
      album_artist: 'Artist 0',
      track,
    });
    files.push({ file: good, album: 'Damaged', artist: 'Artist 0', title: 'Fine' });
    files.push({ file: corrupt, album: 'Damaged', artist: 'Artist 0', title: 'Corrupt', broken: 'corrupt' });
    files.push({ file: truncated, album: 'Damaged', artist: 'Artist 0', title: 'Truncated', broken: 'truncated' });
    jobs.push(cut(songs[0], good, 60, opts.seconds, tags('Fine', 1)));
    jobs.push(
      (async () => {
        await fs.promises.mkdir(dir, { recursive: true });
        // An ID3 header followed by noise: a tagged "MP3" no decoder can read.
        const noise = Buffer.alloc(64 * 1024);
        for (let i = 0; i < noise.length; i++) noise[i] = (i * 2654435761) >>> 24;
        await fs.promises.writeFile(
          corrupt,
          Buffer.concat([Buffer.from('ID3\x03\x00\x00\x00\x00\x00\x00', 'latin1'), noise]),
        );
      })(),
    );
    jobs.push(
      (async () => {
        await cut(songs[1 % songs.length], truncated, 30, opts.seconds, tags('Truncated', 3), ['-c:a', 'flac']);
        // Keep the header and the first few KB: the stream info promises far more audio than there is.
        const bytes = await fs.promises.readFile(truncated);
        await fs.promises.writeFile(truncated, bytes.subarray(0, 6000));
      })(),
    );
  }
  await Promise.all(jobs);

  const byAlbum = new Map<string, ClipLibrary['files']>();
  for (const f of files) byAlbum.set(`${f.artist}\0${f.album}`, [...(byAlbum.get(`${f.artist}\0${f.album}`) ?? []), f]);
  const artists = new Map<string, StandinLibrary['artists'][number]>();
  for (const [key, tracks] of byAlbum) {
    const [artist, album] = key.split('\0');
    if (!artists.has(artist)) artists.set(artist, { name: artist, albums: [] });
    artists.get(artist)!.albums.push({
      name: album,
      tracks: tracks.map((t, i) => ({
        title: t.title,
        file: t.file,
        trackNumber: i + 1,
        durationSeconds: opts.seconds,
      })),
    });
  }
  return { musicDir, files, standin: { artists: [...artists.values()] } };
}

async function cut(
  source: string,
  file: string,
  offset: number,
  seconds: number,
  tags: Record<string, string | number>,
  codec = ['-c:a', 'libvorbis', '-q:a', '2'],
) {
  await fs.promises.mkdir(path.dirname(file), { recursive: true });
  const meta = Object.entries(tags).flatMap(([k, v]) => ['-metadata', `${k}=${v}`]);
  await run('ffmpeg', [
    '-v',
    'error',
    '-y',
    '-ss',
    String(offset),
    '-t',
    String(seconds),
    '-i',
    source,
    '-map_metadata',
    '-1',
    ...meta,
    ...codec,
    file,
  ]);
}
