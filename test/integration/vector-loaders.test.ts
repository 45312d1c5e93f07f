// The whole-library readers (lib/store/vectors.ts) return what the plain per-row SQL gives (kept here as the
// reference, so a faster reader can be checked against it): same tracks, same order, same values, with the awkward values a library can hold (NULL names and tempo, NaN and
// infinite floats, quotes, backslashes and non-ASCII in names, ids out of the scope).
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { createPool, migrate, streamRows, type Pool } from '../../lib/db.ts';
import { loadSnapshot } from '../../lib/store/clustering.ts';
import { MOOD_HEAD_COLUMNS } from '../../lib/store/tracks.ts';
import {
  analysedTrackIds,
  forEachEmbeddingBatch,
  loadEmbeddings,
  loadVectors,
  type StoredEmbedding,
  type StoredVector,
  type VectorScope,
} from '../../lib/store/vectors.ts';
import { loadHeads } from '../../bench/big-library-features.ts';
import { generateBigLibrary } from '../../bench/big-library-generate.ts';
import { beginSnapshotRun } from '../../bench/big-library-measure.ts';
import { freshDatabase, releaseServices } from '../helpers/services.ts';

const VERSION = 'musicnn-test-vector-loaders';
const scope = { source: 'local', analysisVersion: VERSION };
const TRACKS = 10_200;
const pool = createPool(await freshDatabase());

after(async () => {
  await pool.end();
  await releaseServices();
});

/** An embedding's bytes (200 float32, little-endian) read one float at a time. */
function decodeEmbedding(b: Buffer): Float32Array {
  return Float32Array.from({ length: b.length / 4 }, (_, i) => b.readFloatLE(i * 4));
}

/** The readers as they were: one row per track, its text parsed by node-pg. */
async function perRow(p: Pool, s: VectorScope, features: boolean): Promise<(StoredEmbedding | StoredVector)[]> {
  // The features as float8: their exact float32 values, as the reader decodes their binary form.
  const columns = `t.id::text AS id, t.item_id, t.artist, t.title, t.album, t.artist_id, t.album_id, t.library_id,
    t.duration_sec, f.embedding, f.tempo::float8 AS tempo, f.energy::float8 AS energy, f.tags::float8[] AS tags,
    ${MOOD_HEAD_COLUMNS.map((c) => `f.${c}::float8 AS ${c}`).join(', ')}`;
  const { rows } = s.trackIds
    ? await p.query(
        `SELECT ${columns} FROM unnest($3::bigint[]) WITH ORDINALITY AS s (track_id, ord)
           JOIN tracks t ON t.id = s.track_id JOIN track_features f ON f.track_id = t.id
          WHERE t.source = $1 AND f.analysis_version = $2 ORDER BY s.ord`,
        [s.source, s.analysisVersion, s.trackIds],
      )
    : await p.query(
        `SELECT ${columns} FROM tracks t JOIN track_features f ON f.track_id = t.id
          WHERE t.source = $1 AND f.analysis_version = $2 AND t.analysis_status = 'analyzed' ORDER BY t.id`,
        [s.source, s.analysisVersion],
      );
  return rows.map((r) => {
    const e: StoredEmbedding = {
      id: r.id,
      itemId: r.item_id,
      artist: r.artist,
      title: r.title,
      album: r.album,
      artistId: r.artist_id,
      albumId: r.album_id,
      libraryId: r.library_id,
      durationSec: r.duration_sec,
      embedding: decodeEmbedding(r.embedding),
    };
    if (!features) return e;
    const moodHeads = Object.fromEntries(MOOD_HEAD_COLUMNS.map((c) => [c, r[c]])) as StoredVector['moodHeads'];
    const { id, artist, title, embedding } = e;
    return {
      id,
      artist,
      title,
      embedding,
      tempo: r.tempo,
      energy: r.energy,
      tags: Float32Array.from(r.tags),
      moodHeads,
    };
  });
}

test('the whole-library readers return what the per-row SQL gives, in order, the given ids bounding the range', async () => {
  await migrate(pool);
  const heads = await loadHeads('/nonexistent'); // the synthetic heads: quick, and enough for values to compare
  // Past one block (the readers decode 10,000 rows into each): the blocks are joined in order.
  await generateBigLibrary(pool, { tracks: TRACKS, seed: 3, ...scope, heads });
  const ids = await analysedTrackIds(pool, scope);
  assert.equal(ids.length, TRACKS);
  // The awkward values, on tracks spread over the batches.
  await pool.query(`UPDATE tracks SET artist = NULL, title = NULL, album = NULL, duration_sec = NULL WHERE id = $1`, [
    ids[3],
  ]);
  await pool.query(`UPDATE tracks SET title = $2, artist = $3 WHERE id = $1`, [
    ids[17],
    'Quote " back\\slash \u2603 \u00e9t\u00e9 {a,b} \\x00',
    "L'artiste\t[1]",
  ]);
  await pool.query(
    `UPDATE track_features SET tempo = NULL, energy = 'NaN', danceable = 'Infinity', tags[4] = '-Infinity',
            tags[5] = 'NaN', tags[6] = 1.17549435e-38 WHERE track_id = $1`,
    [ids[10_040]],
  );
  await pool.query(`UPDATE tracks SET analysis_status = 'pending' WHERE id = $1`, [ids[10_055]]); // out of the scope
  await pool.query(`UPDATE track_features SET analysis_version = 'other' WHERE track_id = $1`, [ids[56]]); // too

  const all = await perRow(pool, scope, false);
  assert.equal(all.length, TRACKS - 2, 'the pending track and the other version are left out');
  assert.deepEqual(await loadEmbeddings(pool, scope), all, 'loadEmbeddings');
  const seen: StoredEmbedding[] = [];
  await forEachEmbeddingBatch(pool, scope, (tracks) => seen.push(...tracks));
  assert.deepEqual(seen, all, 'forEachEmbeddingBatch');
  assert.deepEqual(await loadVectors(pool, scope), await perRow(pool, scope, true), 'loadVectors');

  // Given ids: their order (here shuffled), the pending track kept (a snapshot fixed it), ids out of scope dropped.
  const given = [...ids].reverse();
  [given[0], given[100]] = [given[100], given[0]];
  given.splice(30, 0, '999999999');
  const trackIds = { ...scope, trackIds: given };
  const expected = await perRow(pool, trackIds, true);
  assert.equal(expected.length, TRACKS - 1);
  assert.deepEqual(await loadVectors(pool, trackIds), expected, 'loadVectors of given ids');
  assert.deepEqual(await loadEmbeddings(pool, trackIds), await perRow(pool, trackIds, false));

  const runId = await beginSnapshotRun(pool, scope);
  assert.deepEqual(
    await loadSnapshot(pool, runId),
    await perRow(pool, { ...scope, trackIds: await analysedTrackIds(pool, scope) }, true),
  );
});

test('streamRows hands over every row in order, throws the first error of its callback or of the statement, and the pool goes on', async () => {
  const seen: number[] = [];
  await streamRows(pool, 'SELECT generate_series(1, $1::int)', [25_000], (r) => seen.push(r[0] as number));
  assert.deepEqual(
    seen,
    Array.from({ length: 25_000 }, (_, i) => i + 1),
  );
  let calls = 0;
  await assert.rejects(
    streamRows(pool, 'SELECT generate_series(1, 25000)', [], (r) => {
      calls++;
      if ((r[0] as number) % 1000 === 0) throw new Error(`row ${r[0]} is bad`);
    }),
    /row 1000 is bad/,
  );
  assert.equal(calls, 1000, 'no row is handed over after the first error');
  await assert.rejects(
    streamRows(pool, 'SELECT 1 / (3 - generate_series(1, 5))', [], () => {}),
    /division by zero/,
  );
  assert.deepEqual((await pool.query('SELECT 42 AS n')).rows, [{ n: 42 }]);
});
