import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { loadConfig } from '../../lib/config.ts';
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

test('a pool sized from the configuration never opens more connections, and PostgreSQL enforces its statement timeout', async () => {
  const url = await freshDatabase();
  const { database } = loadConfig({ DATABASE_POOL_SIZE: '2' });
  const pool = createPool(`${url}?application_name=sized-pool`, {
    max: database.poolSize,
    statementTimeoutMs: database.statementTimeoutMs,
  });
  const limits = loadConfig({ DATABASE_STATEMENT_TIMEOUT_SECONDS: '1' }).database;
  const limited = createPool(url, { max: 1, statementTimeoutMs: limits.statementTimeoutMs });
  const holder = new pg.Client({ connectionString: url });
  // Outside any transaction: pg_stat_activity is read once per transaction.
  const observer = new pg.Client({ connectionString: url });
  await Promise.all([holder.connect(), observer.connect()]);
  try {
    await migrate(pool);
    // Five queries wait on a lock another session holds: the pool runs two and queues three.
    await holder.query('BEGIN; LOCK TABLE tracks IN ACCESS EXCLUSIVE MODE');
    const queries = Array.from({ length: 5 }, () => pool.query('SELECT count(*) FROM tracks'));
    const sessions = async (where = 'true') =>
      Number(
        (
          await observer.query(
            `SELECT count(*) AS n FROM pg_stat_activity
              WHERE application_name = 'sized-pool' AND datname = current_database() AND ${where}`,
          )
        ).rows[0].n,
      );
    // Until every query either blocks on the lock in a session of the pool or waits for a connection.
    while ((await sessions(`wait_event_type = 'Lock'`)) + pool.waitingCount < queries.length)
      await new Promise((r) => setTimeout(r, 20));
    assert.equal(pool.totalCount, 2, 'the pool opened DATABASE_POOL_SIZE connections');
    assert.equal(await sessions(), 2, 'PostgreSQL sees DATABASE_POOL_SIZE sessions of the pool');
    await holder.query('COMMIT');
    await Promise.all(queries);
    assert.equal(await sessions(), 2, 'the queued queries reused the two connections');

    const { rows } = await limited.query('SHOW statement_timeout');
    assert.equal(rows[0].statement_timeout, '1s');
    await assert.rejects(limited.query('SELECT pg_sleep(30)'), /canceling statement due to statement timeout/);
  } finally {
    await Promise.all([holder.end(), observer.end()]);
    await Promise.all([pool.end(), limited.end()]);
  }
});

test('migrations wait on no statement timeout but give up on a lock a running query holds, naming the setting', async () => {
  const url = await freshDatabase();
  // One connection: the migration's session settings must not stay with it.
  const pool = createPool(url, { max: 1, statementTimeoutMs: 60_000 });
  const holder = new pg.Client({ connectionString: url });
  await holder.connect();
  try {
    await migrate(pool);
    // A long read holds ACCESS SHARE on tracks; ALTER TABLE needs ACCESS EXCLUSIVE.
    await holder.query('BEGIN; SELECT count(*) FROM tracks');
    const alter = { version: 10_000, name: 'wide-tracks', sql: 'ALTER TABLE tracks ADD COLUMN wide INTEGER' };
    await assert.rejects(
      migrate(pool, [...MIGRATIONS, alter], 200),
      /migration 10000 \(wide-tracks\) failed: canceling statement due to lock timeout \(waited MIGRATION_LOCK_TIMEOUT_SECONDS=0\.2/,
    );
    const { rows } = await pool.query(
      `SELECT current_setting('statement_timeout') AS st, current_setting('lock_timeout') AS lt`,
    );
    assert.deepEqual(rows[0], { st: '1min', lt: '0' }, "the pool's connection is back to its own timeouts");
    await holder.query('COMMIT');
    assert.deepEqual(await migrate(pool, [...MIGRATIONS, alter], 200), [10_000], 'once the lock is free it applies');
  } finally {
    await holder.end();
    await pool.end();
  }
});
