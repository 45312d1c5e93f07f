// Times LocalFolderProvider scans of a synthetic library: ALBUMS folders × TRACKS copies of short tones
// (flac, mp3, ogg). Prints the cold scan (every tag read), a rescan with nothing changed, and page/track calls.
// Usage: npx tsx bench/media-local-scan.ts [albums=100] [tracks=10]
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { LocalFolderProvider } from '../providers/media/local.ts';
import { makeTone } from '../test/standins/audio.ts';

const albums = Number(process.argv[2] ?? 100);
const tracks = Number(process.argv[3] ?? 10);
const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'audiomuse-bench-local-'));
try {
  const sources = [];
  for (const ext of ['.flac', '.mp3', '.ogg']) {
    const file = path.join(dir, `src${ext}`);
    await makeTone(file, { seconds: 30, tags: { title: 'T', artist: 'A', album: 'B', track: 1 } });
    sources.push(file);
  }
  const music = path.join(dir, 'music');
  for (let a = 0; a < albums; a++) {
    const folder = path.join(music, `Artist ${a % 20}`, `Album ${a}`);
    await fs.mkdir(folder, { recursive: true });
    for (let t = 0; t < tracks; t++) {
      const src = sources[(a + t) % sources.length];
      await fs.copyFile(src, path.join(folder, `${String(t + 1).padStart(2, '0')} - Song${path.extname(src)}`));
    }
  }
  const p = new LocalFolderProvider({ musicDir: music, playlistDir: path.join(dir, 'lists'), scanTtlMs: 0 });
  const time = async (label: string, fn: () => Promise<unknown>) => {
    const t0 = performance.now();
    const out = await fn();
    console.log(`${label}: ${(performance.now() - t0).toFixed(0)} ms`, out ?? '');
  };
  await time(`cold scan of ${albums * tracks} files`, async () => {
    const s = await p.rescan();
    return { files: s.files, albums: s.albums, parsed: s.parsed };
  });
  await time('rescan, nothing changed', async () => ({ parsed: (await p.rescan()).parsed }));
  const cached = new LocalFolderProvider({ musicDir: music, playlistDir: path.join(dir, 'lists') });
  await time('all album pages + tracks within the TTL', async () => {
    const { albums: list } = await cached.listRecentAlbums({ startIndex: 0, limit: albums });
    for (const a of list) await cached.listAlbumTracks(a.id);
  });
} finally {
  await fs.rm(dir, { recursive: true, force: true });
}
