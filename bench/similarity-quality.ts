// `npm run bench:similarity:quality -- [--workers 2] [--steps 7]`
//
// Is what the similarity queries answer any good, on real music none of us chose? The Debian test music
// (bench/test-music.ts) is analysed by the product's engine, stored in an embedded PostgreSQL as a library
// would be, and asked through the same query module the API and the CLI use:
// - nearest neighbours: how many of a song's 10 nearest share its album or its artist, beside what random
//   neighbours would give;
// - song paths: how many steps move closer to B than the step before, and how many paths do so all the way;
// - duplicate versions: for a few songs, three other versions are made with ffmpeg — a tagged re-encode, a
//   "(2011 Remaster)" with other gain and EQ, and an untagged re-encode only the distance can recognise — and
//   the filter's catch is counted, with any distinct song it removed by mistake.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { unit } from '../engines/similarity/vector-space.ts';
import { analysisVersion } from '../engines/analysis/version.ts';
import { createPool, migrate, type Pool } from '../lib/db.ts';
import { startEmbeddedPostgres } from '../lib/embedded/postgres.ts';
import { installRuntime } from '../lib/runtime.ts';
import { storeTrackFeatures, upsertAlbumTracks } from '../lib/store/tracks.ts';
import { DUPLICATE_DISTANCE, SimilarityQueries } from '../queries/similarity.ts';
import { freePort } from '../test/helpers/services.ts';
import { analyse, storedFeatures, testMusic, type Analysed, type MusicFile } from './test-music.ts';
import { arg } from './args.ts';

const run = promisify(execFile);
const workers = Number(arg('workers', '2'));
const steps = Number(arg('steps', '7'));
const version = analysisVersion({ patchHop: 187, profile: 'exact' });

type Song = MusicFile & { itemId: string; copyOf?: string; kind?: string };

/** Other versions of `originals`: what a library gathers from best-ofs, remasters and untagged rips. */
async function makeCopies(originals: Song[], dir: string): Promise<Song[]> {
  const kinds = [
    { kind: 'tagged re-encode', ext: 'mp3', args: ['-c:a', 'libmp3lame', '-b:a', '128k'], title: (t: string) => t },
    {
      kind: 'remaster (gain, EQ)',
      ext: 'mp3',
      args: ['-af', 'volume=-2dB,treble=g=3', '-c:a', 'libmp3lame', '-b:a', '192k'],
      title: (t: string) => `${t} (2011 Remaster)`,
    },
    { kind: 'untagged re-encode', ext: 'ogg', args: ['-c:a', 'libvorbis', '-q:a', '3'], title: () => 'Track 01' },
  ];
  const copies: Song[] = [];
  for (const o of originals)
    for (const [k, c] of kinds.entries()) {
      const file = path.join(dir, `${path.basename(o.itemId)}-${k}.${c.ext}`);
      if (!fs.existsSync(file))
        await run('ffmpeg', ['-v', 'error', '-y', '-i', o.file, '-vn', ...c.args, file], { maxBuffer: 1 << 24 });
      copies.push({
        ...o,
        file,
        itemId: `${o.itemId}#${k}`,
        title: c.title(o.title),
        artist: c.kind === 'untagged re-encode' ? 'Unknown Artist' : o.artist,
        album: `Best of ${o.artist}`,
        copyOf: o.itemId,
        kind: c.kind,
      });
    }
  return copies;
}

/** The songs stored as one media source's library, album by album, as the analysis would store them. */
async function store(pool: Pool, source: string, songs: Analysed<Song>[]): Promise<void> {
  const albums = new Map<string, Analysed<Song>[]>();
  for (const s of songs) albums.set(s.album, [...(albums.get(s.album) ?? []), s]);
  for (const [album, tracks] of albums) {
    const { toAnalyze } = await upsertAlbumTracks(
      pool,
      source,
      album,
      tracks.map((t) => ({ itemId: t.itemId, title: t.title, artist: t.artist, album: t.album })),
      version,
    );
    // A fresh library: every track needs analysis, returned in insertion order (ids are assigned in order).
    for (const [i, row] of toAnalyze.entries())
      await storeTrackFeatures(pool, row.trackId, storedFeatures(tracks[i].features), version, 1);
  }
}

/** Cosine distance of two unit vectors. */
function cosineDistance(x: Float32Array, y: Float32Array): number {
  let dot = 0;
  for (let i = 0; i < x.length; i++) dot += x[i] * y[i];
  return 1 - dot;
}

const pct = (x: number) => `${(100 * x).toFixed(1)} %`;
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

async function neighbours(q: SimilarityQueries, songs: Analysed<Song>[]): Promise<string[]> {
  const byId = new Map(songs.map((s) => [s.itemId, s]));
  const rows: string[] = [];
  for (const radius of [false, true]) {
    const album: number[] = [],
      artist: number[] = [],
      albumChance: number[] = [],
      artistChance: number[] = [];
    for (const s of songs) {
      const near = await q.similarTracks({ itemId: s.itemId, n: 10, eliminateDuplicates: false, radius });
      album.push(mean(near.map((n) => Number(byId.get(n.item_id)!.album === s.album))));
      artist.push(mean(near.map((n) => Number(byId.get(n.item_id)!.artist === s.artist))));
      const others = songs.length - 1;
      albumChance.push(songs.filter((o) => o !== s && o.album === s.album).length / others);
      artistChance.push(songs.filter((o) => o !== s && o.artist === s.artist).length / others);
    }
    rows.push(
      `| ${radius ? 'radius walk (the default)' : 'nearest first'} | ${pct(mean(album))} (random ${pct(mean(albumChance))}) | ${pct(mean(artist))} (random ${pct(mean(artistChance))}) |`,
    );
  }
  return rows;
}

async function paths(q: SimilarityQueries, songs: Analysed<Song>[]): Promise<string> {
  const vec = new Map(songs.map((s) => [s.itemId, unit(s.features.embedding!)]));
  const dist = (a: string, b: string) => cosineDistance(vec.get(a)!, vec.get(b)!);
  let towards = 0,
    total = 0,
    monotone = 0,
    count = 0,
    ends = 0,
    largest = 0,
    direct = 0;
  for (const a of songs)
    for (const b of songs) {
      if (a.label === b.label) continue;
      direct += dist(a.itemId, b.itemId);
      const { path: p } = await q.findPath({
        startId: a.itemId,
        endId: b.itemId,
        length: steps,
        onePerArtist: false,
        variety: 1,
        seed: 1,
      });
      const ids = p.map((s) => s.item_id);
      let all = true,
        jump = 0;
      for (let k = 1; k < ids.length; k++) {
        jump = Math.max(jump, dist(ids[k], ids[k - 1]));
        const closer = dist(ids[k], b.itemId) < dist(ids[k - 1], b.itemId);
        towards += Number(closer);
        total++;
        all &&= closer;
      }
      monotone += Number(all);
      largest += jump;
      ends += Number(ids[0] === a.itemId && ids.at(-1) === b.itemId && ids.length === steps);
      count++;
    }
  return `| ${count} | ${pct(towards / total)} | ${pct(monotone / count)} | ${(largest / count).toFixed(3)} (A to B ${(direct / count).toFixed(3)}) | ${pct(ends / count)} |`;
}

async function duplicates(q: SimilarityQueries, songs: Analysed<Song>[]): Promise<string[]> {
  const byId = new Map(songs.map((s) => [s.itemId, s]));
  const group = (id: string) => byId.get(id)!.copyOf ?? id;
  const originals = songs.filter((s) => songs.some((c) => c.copyOf === s.itemId));
  const rows: string[] = [];
  const vec = (id: string) => unit(byId.get(id)!.features.embedding!);
  const kinds = [...new Set(songs.filter((s) => s.kind).map((s) => s.kind!))];
  for (const kind of kinds) {
    const d = songs.filter((s) => s.kind === kind).map((c) => cosineDistance(vec(c.itemId), vec(c.copyOf!)));
    rows.push(
      `| ${kind} | ${d.length} | ${Math.min(...d).toExponential(1)} – ${Math.max(...d).toExponential(1)} | ${d.filter((x) => x < DUPLICATE_DISTANCE).length} of ${d.length} |`,
    );
  }
  // The margin: how close two different songs of this library come.
  const distinct = songs.filter((s) => !s.copyOf);
  let closest = Infinity;
  for (const [i, x] of distinct.entries())
    for (const y of distinct.slice(i + 1)) closest = Math.min(closest, cosineDistance(vec(x.itemId), vec(y.itemId)));
  rows.push(`| (two different songs, the closest pair) | | ${closest.toExponential(1)} | |`);
  let shown = 0,
    left = 0,
    lost = 0;
  for (const o of originals) {
    const raw = await q.similarTracks({ itemId: o.itemId, n: 10, eliminateDuplicates: false, radius: false });
    const clean = await q.similarTracks({ itemId: o.itemId, n: 10, eliminateDuplicates: true, radius: false });
    shown += raw.filter((s) => group(s.item_id) === o.itemId).length;
    left += clean.filter((s) => group(s.item_id) === o.itemId).length;
    // A distinct song among the unfiltered answer that the filtered one lost entirely (no version of it left).
    const kept = new Set(clean.map((s) => group(s.item_id)));
    lost += new Set(raw.map((s) => group(s.item_id)).filter((g) => g !== o.itemId && !kept.has(g))).size;
  }
  rows.push(
    '',
    `Seeds with copies: ${originals.length}. Copies of the seed among its 10 nearest: ${shown} without the filter, ` +
      `${left} with \`eliminate_duplicates=true\`; distinct songs the filter pushed out of the answer: ${lost}.`,
  );
  return rows;
}

async function main(): Promise<void> {
  installRuntime();
  const music = testMusic();
  const cpu = os.cpus()[0]?.model ?? '?';
  console.log(`bench:similarity:quality — ${music.length} files; ${os.cpus().length} CPUs (${cpu})`);
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'audiomuse-bench-quality-'));
  fs.chmodSync(scratch, 0o755);
  const copiesDir = path.join(os.tmpdir(), 'audiomuse-bench-copies');
  fs.mkdirSync(copiesDir, { recursive: true });
  const songs: Song[] = music.map((m) => ({ ...m, itemId: path.relative('/usr/share', m.file) }));
  // Two songs of each package get other versions.
  const seeds = [0, 1, 2].flatMap((label) => songs.filter((s) => s.label === label).slice(0, 2));
  const copies = await makeCopies(seeds, copiesDir);
  const t0 = performance.now();
  const analysed = await analyse([...songs, ...copies], workers);
  console.log(
    `analysed ${analysed.length} of ${songs.length + copies.length} files in ${((performance.now() - t0) / 1000).toFixed(0)} s (cached under the temp folder)`,
  );
  const failed = [...songs, ...copies].filter((s) => !analysed.some((a) => a.file === s.file));
  if (failed.length > 0) console.log(`not analysed: ${failed.map((f) => f.file).join(', ')}`);
  const pg = await startEmbeddedPostgres({
    dataDir: path.join(scratch, 'pg'),
    port: await freePort(),
    user: 'audiomuse',
    password: 'bench',
    database: 'audiomuse_quality',
  });
  const pool = createPool(pg.url);
  try {
    await migrate(pool);
    const originals = analysed.filter((s) => !s.copyOf);
    await store(pool, 'originals', originals);
    await store(pool, 'with-copies', analysed);
    const plain = new SimilarityQueries(pool, { source: 'originals', analysisVersion: version });
    const withCopies = new SimilarityQueries(pool, { source: 'with-copies', analysisVersion: version });
    console.log(`\nNearest 10 of each of ${originals.length} songs (no copies in the library):\n`);
    console.log('| Answer | share of the album | share of the artist |');
    console.log('|---|---|---|');
    for (const r of await neighbours(plain, originals)) console.log(r);
    console.log(`\nPaths of ${steps} songs between every two songs of different packages:\n`);
    console.log(
      '| Paths | steps closer to B than the step before | paths closer at every step | largest step, mean | start A, end B, full length |',
    );
    console.log('|---|---|---|---|---|');
    console.log(await paths(plain, originals));
    console.log(
      '\nDuplicate versions (cosine distance to the original; the filter catches < 0.01 or the same title):\n',
    );
    console.log('| Copy | copies | distance to the original | closer than 0.01 |');
    console.log('|---|---|---|---|');
    for (const r of await duplicates(withCopies, analysed)) console.log(r);
  } finally {
    await pool.end();
    await pg.stop();
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(`bench:similarity:quality: ${(err as Error).stack}`);
  process.exitCode = 1;
});
