import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createPool, migrate } from '../../lib/db.ts';
import { MIGRATIONS } from '../../lib/migrations.ts';
import { freshDatabase, releaseServices } from '../helpers/services.ts';

after(releaseServices);

test('migrations applied by several processes at once run exactly once', async () => {
  const url = await freshDatabase();
  const pools = [createPool(url), createPool(url), createPool(url)];
  try {
    const results = await Promise.all(pools.map((p) => migrate(p)));
    const applied = results.flat();
    assert.deepEqual(
      applied.sort(),
      MIGRATIONS.map((m) => m.version).sort(),
      'each migration applied by exactly one process',
    );
    const { rows } = await pools[0].query('SELECT version FROM schema_migrations ORDER BY version');
    assert.deepEqual(
      rows.map((r) => r.version),
      MIGRATIONS.map((m) => m.version),
    );
    assert.deepEqual(await migrate(pools[1]), [], 'a later start applies nothing');
  } finally {
    await Promise.all(pools.map((p) => p.end()));
  }
});

test('the schema holds tracks with features, runs and playlists, and enforces its shapes', async () => {
  const pool = createPool(await freshDatabase());
  try {
    await migrate(pool);
    const {
      rows: [track],
    } = await pool.query(
      `INSERT INTO tracks (source, item_id, title, artist) VALUES ('local', 'a1', 'Song', 'Band') RETURNING id`,
    );
    const embedding = Buffer.from(new Float32Array(200).fill(0.5).buffer);
    await pool.query(
      `INSERT INTO track_features (track_id, embedding, tags, danceable, aggressive, happy, party, relaxed, sad,
         tempo, musical_key, scale, energy, patches, analysis_version)
       VALUES ($1, $2, $3, .1, .2, .3, .4, .5, .6, 120, 'A', 'minor', .7, 80, 'msd-musicnn-1')`,
      [track.id, embedding, new Array(50).fill(0.25)],
    );
    const {
      rows: [f],
    } = await pool.query('SELECT embedding, tags FROM track_features WHERE track_id = $1', [track.id]);
    assert.equal(new Float32Array(new Uint8Array(f.embedding).buffer)[199], 0.5);
    assert.equal(f.tags.length, 50);

    await assert.rejects(
      pool.query(`INSERT INTO tracks (source, item_id) VALUES ('local', 'a1')`),
      /duplicate key/,
      'a track is unique per source',
    );
    await assert.rejects(pool.query(`UPDATE tracks SET analysis_status = 'weird'`), /check constraint/);
    // A second track, so only the embedding length can be what the insert violates.
    const {
      rows: [other],
    } = await pool.query(`INSERT INTO tracks (source, item_id) VALUES ('local', 'a2') RETURNING id`);
    await assert.rejects(
      pool.query(
        `INSERT INTO track_features (track_id, embedding, tags, danceable, aggressive, happy, party, relaxed, sad,
         tempo, musical_key, scale, energy, patches, analysis_version)
       VALUES ($1, $2, $3, 0,0,0,0,0,0, 1, 'C', 'major', 0, 1, 'x')`,
        [other.id, Buffer.alloc(10), new Array(50).fill(0)],
      ),
      /track_features_embedding_check/,
    );

    const {
      rows: [run],
    } = await pool.query(
      `INSERT INTO clustering_runs (workflow_id, params) VALUES ('c1', '{"runs": 10}') RETURNING id`,
    );
    const {
      rows: [pl],
    } = await pool.query(
      `INSERT INTO playlists (clustering_run_id, source, name) VALUES ($1, 'local', 'Rock_Fast_automatic') RETURNING id`,
      [run.id],
    );
    await pool.query('INSERT INTO playlist_tracks (playlist_id, position, track_id) VALUES ($1, 0, $2)', [
      pl.id,
      track.id,
    ]);
    await pool.query('DELETE FROM tracks WHERE id = $1', [track.id]);
    const { rowCount } = await pool.query('SELECT 1 FROM playlist_tracks WHERE playlist_id = $1', [pl.id]);
    assert.equal(rowCount, 0, 'deleting a track removes it from playlists and drops its features');
  } finally {
    await pool.end();
  }
});
