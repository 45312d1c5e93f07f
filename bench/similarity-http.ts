// `npm run bench:similarity:http -- [--tracks 1000000] [--rate 50] [--duration 20] [--paths 20]`
//
// The similarity routes through the HTTP server as `npm run web` runs them (its own process), on the embedded
// PostgreSQL of `npm start` (no pgvector) seeded with N structured synthetic tracks (bench/synthetic-vectors.ts,
// batches through unnest). The checkpoint is written by the code the rebuildVectorIndex workflow runs. Then:
// time until a started web process answers (loads the tracks and the checkpoint); its idle RSS; an open-loop
// `GET /api/similar_tracks?n=50` (radius walk, duplicates eliminated) at --rate requests/s (latency from when a
// request was due); `find_path` 25 steps; an album of 15 tracks stored, and how long until the web process
// answers for it; a restart.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, repoRoot } from '../lib/config.ts';
import { createPool, inTransaction, migrate, type Pool } from '../lib/db.ts';
import { encodeEmbedding } from '../lib/store/tracks.ts';
import { libraryMapScope } from '../queries/library-map.ts';
import { writeCheckpoint } from '../providers/vector-index/checkpoints.ts';
import { freePort } from '../test/helpers/services.ts';
import { arg } from './args.ts';
import { startBenchStack } from './services.ts';
import { syntheticVectors } from './synthetic-vectors.ts';

const nTracks = Number(arg('tracks', '1000000'));
const rate = Number(arg('rate', '50'));
const duration = Number(arg('duration', '20'));
const nPaths = Number(arg('paths', '20'));
const BATCH = 5_000;
const agent = new http.Agent({ keepAlive: true });
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

function get(port: number, urlPath: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: urlPath, agent, timeout: 60_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', () => resolve({ status: 0, body: '' }));
    req.on('timeout', () => req.destroy());
  });
}

function percentiles(ms: number[]): string {
  const s = [...ms].sort((a, b) => a - b);
  const at = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return `p50 ${at(0.5).toFixed(1)} ms, p99 ${at(0.99).toFixed(1)} ms, max ${s.at(-1)!.toFixed(1)} ms`;
}

const rssMb = (pid: number) =>
  Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;

/** Stores tracks `from`…`to−1` (albums of 15, artists of 2,000 like the generator's) in batches. */
async function seed(pool: Pool, source: string, version: string, next: () => Float32Array, from: number, to: number) {
  for (let start = from; start < to; start += BATCH) {
    const ids: string[] = [],
      albums: string[] = [],
      titles: string[] = [],
      artists: string[] = [],
      embeddings: Buffer[] = [];
    for (let i = start; i < Math.min(to, start + BATCH); i++) {
      ids.push(`t${i}`);
      albums.push(`Album ${Math.floor(i / 15)}`);
      titles.push(`Song ${i}`);
      artists.push(`Artist ${i % Math.max(1, Math.ceil(nTracks / 2000))}`);
      embeddings.push(encodeEmbedding(next()));
    }
    await inTransaction(pool, (c) =>
      c.query(
        `WITH t AS (
           INSERT INTO tracks (source, item_id, album_id, title, artist, album, duration_sec, analysis_status)
           SELECT $1, i, a, ti, ar, a, 200, 'analyzed' FROM unnest($3::text[], $4::text[], $5::text[], $6::text[]) AS u (i, a, ti, ar)
           RETURNING id, item_id)
         INSERT INTO track_features (track_id, embedding, tags, danceable, aggressive, happy, party, relaxed, sad,
           tempo, musical_key, scale, key_strength, energy, patches, analysis_version)
         SELECT t.id, v.e, array_fill(0::real, ARRAY[50]), 0, 0, 0, 0, 0, 0, 120, 'C', 'major', 0.5, 0.1, 10, $2
           FROM t JOIN unnest($3::text[], $7::bytea[]) AS v (i, e) ON v.i = t.item_id`,
        [source, version, ids, albums, titles, artists, embeddings],
      ),
    );
    if ((start / BATCH) % 20 === 0) process.stdout.write(`\rseeded ${start + BATCH} tracks`);
  }
  process.stdout.write('\n');
}

const stack = await startBenchStack('similarity');
const musicDir = path.join(stack.scratch, 'music');
fs.mkdirSync(musicDir);
const env = {
  DATABASE_URL: stack.databaseUrl,
  TEMPORAL_ADDRESS: stack.temporalAddress,
  MEDIA_SERVER_TYPE: 'local',
  MUSIC_DIR: musicDir,
};
const config = loadConfig(env);
const scope = libraryMapScope(config);
const pool = createPool(stack.databaseUrl, { statementTimeoutMs: 0 });
let web: ChildProcess | undefined;
try {
  console.log(
    `CPU: ${os.cpus()[0]?.model ?? 'unknown'} × ${os.cpus().length}, Node ${process.version}, load ${os.loadavg()[0].toFixed(2)}`,
  );
  await migrate(pool);
  const next = syntheticVectors(nTracks + 15);
  let t0 = performance.now();
  await seed(pool, scope.source, scope.analysisVersion, next, 0, nTracks);
  console.log(`${nTracks} tracks stored in ${secs(performance.now() - t0)}`);
  t0 = performance.now();
  const cp = await writeCheckpoint(pool, scope, 'rebuild');
  console.log(
    `checkpoint (what rebuildVectorIndex runs): ${cp.vectors} vectors, ${(cp.bytes / 2 ** 20).toFixed(0)} MB, ${secs(performance.now() - t0)}`,
  );

  const port = await freePort();
  const startWeb = async (label: string) => {
    const t = performance.now();
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'web/main.ts')], {
      cwd: repoRoot,
      detached: true,
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, ...env, WEB_PORT: String(port), WEB_HOST: '127.0.0.1' },
    });
    for (;;) {
      const r = await get(port, '/api/similar_tracks?item_id=t1&n=10');
      if (r.status === 200) break;
      await new Promise((res) => setTimeout(res, 200));
    }
    const status = JSON.parse((await get(port, '/api/index')).body);
    console.log(
      `${label}: first answer after ${secs(performance.now() - t)} (indexed ${status.indexed}, checkpoint loads ${status.checkpointLoads}, rebuilds asked ${status.checkpointRequests})`,
    );
    return child;
  };
  web = await startWeb('web process started');
  await new Promise((r) => setTimeout(r, 5_000));
  console.log(`web idle RSS ${rssMb(web.pid!).toFixed(0)} MB`);

  const pick = (i: number) => `t${(i * 7919) % nTracks}`;
  /** Open-loop: `rate` requests a second for `duration` s, latency counted from when each was due. */
  const load = async (label: string, query: string) => {
    const ms: number[] = [];
    let errors = 0;
    const total = rate * duration;
    const began = performance.now();
    await Promise.all(
      Array.from({ length: total }, async (_, i) => {
        const due = began + (i * 1000) / rate;
        await new Promise((r) => setTimeout(r, Math.max(0, due - performance.now())));
        const r = await get(port, `/api/similar_tracks?item_id=${pick(i)}&n=50&eliminate_duplicates=true${query}`);
        if (r.status !== 200) errors++;
        ms.push(performance.now() - due);
      }),
    );
    console.log(
      `similar_tracks n=50 radius walk${label} at ${rate}/s for ${duration} s: ${percentiles(ms)}, ${errors} errors of ${total}`,
    );
  };
  await load('', '');
  // Every listening filter on: a per-artist cap, an artist and an album blocked, a duration range.
  await load(
    ' with filters',
    '&max_songs_per_artist=3&exclude_artists=Artist%201&exclude_albums=Album%207&min_duration=60&max_duration=600',
  );
  console.log(`web RSS after the load ${rssMb(web.pid!).toFixed(0)} MB`);

  const paths: number[] = [];
  let pathErrors = 0;
  for (let i = 0; i < nPaths; i++) {
    const t = performance.now();
    const r = await get(port, `/api/find_path?start_song_id=${pick(i)}&end_song_id=${pick(i + 5000)}&max_steps=25`);
    if (r.status !== 200) pathErrors++;
    paths.push(performance.now() - t);
  }
  console.log(`find_path 25 steps: ${percentiles(paths)} (${nPaths} sequential), ${pathErrors} errors`);

  t0 = performance.now();
  await seed(pool, scope.source, scope.analysisVersion, next, nTracks, nTracks + 15);
  const stored = performance.now();
  for (;;) {
    if ((await get(port, `/api/similar_tracks?item_id=t${nTracks + 7}&n=10`)).status === 200) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  console.log(
    `one album (15 tracks): stored in ${(stored - t0).toFixed(0)} ms, answered by the web process ${(performance.now() - stored).toFixed(0)} ms later (log polled every 1 s)`,
  );

  process.kill(-web.pid!, 'SIGTERM');
  await new Promise((r) => web!.once('exit', r));
  web = await startWeb('web process restarted');
} finally {
  if (web && web.exitCode === null) {
    process.kill(-web.pid!, 'SIGTERM');
    await new Promise((r) => web!.once('exit', r));
  }
  await pool.end();
  await stack.stop();
}
