import fs from 'node:fs'; import os from 'node:os'; import path from 'node:path';
import pgTypes from 'pg-types';
import { createPool, migrate } from '/work/wt-big-library/lib/db.ts';
import { startEmbeddedPostgres } from '/work/wt-big-library/lib/embedded/postgres.ts';
import { installRuntime } from '/work/wt-big-library/lib/runtime.ts';
import { freePort } from '/work/wt-big-library/test/helpers/services.ts';
import { generateBigLibrary } from '/work/wt-big-library/bench/big-library-generate.ts';
import { loadHeads } from '/work/wt-big-library/bench/big-library-features.ts';
import { loadVectors, loadEmbeddings, analysedTrackIds } from '/work/wt-big-library/lib/store/vectors.ts';
installRuntime();
const N = Number(process.argv[2] ?? 30000);
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'bl-prof-')); fs.chmodSync(scratch, 0o755);
const pg = await startEmbeddedPostgres({ dataDir: path.join(scratch, 'pg'), port: await freePort(), user: 'a', password: 'b', database: 'c' });
const pool = createPool(pg.url);
try {
  await migrate(pool);
  const heads = await loadHeads('/work/shared/models');
  const g = await generateBigLibrary(pool, { tracks: N, heads, analysisVersion: 'v1' });
  console.log('gen', g.seconds.toFixed(1), 'wait', g.waitSeconds.toFixed(1));
  await pool.query('VACUUM ANALYZE');
  const scope = { source: 'local', analysisVersion: 'v1' };
  const ids = await analysedTrackIds(pool, scope);
  const T = async (name: string, f: () => Promise<unknown>) => { for (let i = 0; i < 3; i++) { const t = performance.now(); await f(); console.log(name, ((performance.now() - t) / 1000).toFixed(2)); } };
  await T('loadVectors ids', () => loadVectors(pool, { ...scope, trackIds: ids }));
  await T('loadVectors all', () => loadVectors(pool, scope));
  await T('loadEmbeddings all', () => loadEmbeddings(pool, scope));
  const sql = `SELECT t.id::text AS id, t.item_id, t.artist, t.title, t.album, t.artist_id, t.album_id, t.library_id, t.duration_sec, f.embedding, f.tempo, f.energy, array_send(f.tags) AS tags, f.danceable, f.aggressive, f.happy, f.party, f.relaxed, f.sad FROM unnest($3::bigint[]) WITH ORDINALITY AS s (track_id, ord) JOIN tracks t ON t.id = s.track_id JOIN track_features f ON f.track_id = t.id WHERE t.source = $1 AND f.analysis_version = $2 ORDER BY s.ord`;

  const sqlA = sql.replace('ORDER BY s.ord', '').replace('SELECT t.id', 'SELECT s.ord, t.id');
  await T('A no order', () => pool.query({ text: sqlA, values: ['local', 'v1', ids] }));
  const fast: Record<number, (b: Buffer) => unknown> = { 700: (b) => b.readFloatBE(0), 25: (b) => b.toString('utf8'), 17: (b) => b, 20: (b) => b.readBigInt64BE(0) };
  await T('B binary fast', () => pool.query({ text: sqlA, values: ['local', 'v1', ids], binary: true, types: { getTypeParser: (oid: number) => fast[oid] ?? ((b: Buffer) => b) } }));
  const sqlC = sqlA.replace('f.embedding,', "encode(f.embedding, 'base64') AS embedding,").replace('array_send(f.tags)', "encode(array_send(f.tags), 'base64')");
  await T('C base64', () => pool.query({ text: sqlC, values: ['local', 'v1', ids] }));
} finally { await pool.end(); await pg.stop(); fs.rmSync(scratch, { recursive: true, force: true }); }
