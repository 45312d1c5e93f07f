// The big-library generator (bench:big-library) at a small size: the library it writes is what the product reads as
// analysed (the clustering snapshot takes every track), its tags and mood heads are the product's heads applied to
// the stored embedding, albums and artists have the sizes asked for, and one seed always gives the same library.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { createPool, migrate } from '../../lib/db.ts';
import { loadSnapshot } from '../../lib/store/clustering.ts';
import { MOOD_HEADS, EMBEDDING_DIM, TAGS } from '../../words/vocabulary.ts';
import { loadHeads, syntheticSeeds } from '../../bench/big-library-features.ts';
import { generateBigLibrary } from '../../bench/big-library-generate.ts';
import { beginSnapshotRun } from '../../bench/big-library-measure.ts';
import { standinLibraryOf } from '../../bench/big-library-standin.ts';
import { createMediaProvider } from '../../providers/media/index.ts';
import { JellyfinStandin, writeSineWav } from '../standins/jellyfin.ts';
import { freshDatabase, releaseServices, scratchDir } from '../helpers/services.ts';
import { testConfig } from '../helpers/worker.ts';
import { modelsDir, requireOrSkip } from '../shared-paths.ts';

const TRACKS = 2000;
const VERSION = 'musicnn-test-big-library';
const pool = createPool(await freshDatabase());

after(async () => {
  await pool.end();
  await releaseServices();
});

/** Each track's identity and stored features of a source, by item id. */
async function library(source: string) {
  const { rows } = await pool.query(
    `SELECT t.item_id, t.album_id, t.artist, t.title, t.path, t.duration_sec, encode(f.embedding, 'hex') AS embedding,
            f.tags, f.danceable, f.sad, f.tempo, f.musical_key, f.energy
       FROM tracks t JOIN track_features f ON f.track_id = t.id WHERE t.source = $1 ORDER BY t.item_id`,
    [source],
  );
  return rows;
}

test('a generated library is analysed as the product reads it, its heads applied to its embeddings, the same for a seed', async (t) => {
  if (!requireOrSkip(t, modelsDir, 'the MusiCNN models')) return;
  await migrate(pool);
  const heads = await loadHeads(modelsDir);
  t.after(() => heads.release());
  const generate = (source: string, seed: number) =>
    generateBigLibrary(pool, {
      tracks: TRACKS,
      seed,
      source,
      analysisVersion: VERSION,
      seeds: syntheticSeeds(),
      heads,
    });
  const stats = await generate('big-a', 1);
  assert.deepEqual([stats.albums, stats.artists], [TRACKS / 10, TRACKS / 40]);

  const {
    rows: [counts],
  } = await pool.query(
    `SELECT count(*)::int AS tracks, count(DISTINCT album_id)::int AS albums, count(DISTINCT artist_id)::int AS artists,
            count(*) FILTER (WHERE analysis_status <> 'analyzed')::int AS unanalysed
       FROM tracks WHERE source = 'big-a'`,
  );
  assert.deepEqual(counts, { tracks: TRACKS, albums: TRACKS / 10, artists: TRACKS / 40, unanalysed: 0 });

  // The clustering snapshot (the reader that filters on source, status and version) sees every track.
  const runId = await beginSnapshotRun(pool, { source: 'big-a', analysisVersion: VERSION });
  const snapshot = await loadSnapshot(pool, runId);
  assert.equal(snapshot.length, TRACKS, 'every generated track is in the snapshot');

  // Tracks of one album share its seed's length; the heads of each stored embedding are the stored tags and moods.
  const { rows: albums } = await pool.query(`SELECT id::text, album_id FROM tracks WHERE source = 'big-a'`);
  const albumOf = new Map(albums.map((r) => [r.id as string, r.album_id as string]));
  const byAlbum = new Map<string, number[]>();
  for (const s of snapshot) {
    const norms = byAlbum.get(albumOf.get(s.id)!) ?? [];
    norms.push(Math.hypot(...s.embedding));
    byAlbum.set(albumOf.get(s.id)!, norms);
  }
  for (const [album, norms] of byAlbum)
    assert.ok(
      norms.every((n) => Math.abs(n - norms[0]) < 1e-3 * norms[0] && n > 1),
      `album ${album}: lengths ${norms.slice(0, 3).join(', ')}`,
    );
  const embeddings = new Float32Array(snapshot.length * EMBEDDING_DIM);
  snapshot.forEach((s, i) => embeddings.set(s.embedding, i * EMBEDDING_DIM));
  const applied = await heads.apply(embeddings, snapshot.length);
  snapshot.forEach((s, i) => {
    for (const [k, h] of MOOD_HEADS.entries()) {
      const v = s.moodHeads[h];
      assert.ok(v >= 0 && v <= 1, `${h} ${v} in [0, 1]`);
      assert.ok(
        Math.abs(v - applied.moodHeads[h][i]) < 1e-5,
        `track ${i}: ${h} ${v} is the head on its embedding (${applied.moodHeads[h][i]}, head ${k})`,
      );
    }
    for (let j = 0; j < TAGS.length; j++)
      assert.ok(Math.abs(s.tags[j] - applied.tags[i * TAGS.length + j]) < 1e-5, `track ${i}: tag ${TAGS[j]}`);
  });

  // One seed, one library (names, paths, features); another seed, another.
  await generate('big-b', 1);
  await generate('big-c', 2);
  const [a, b, c] = await Promise.all(['big-a', 'big-b', 'big-c'].map(library));
  assert.deepEqual(b, a, 'the same seed gives the same library');
  assert.notDeepEqual(c.slice(0, 10), a.slice(0, 10), 'another seed gives another');
  await assert.rejects(generate('big-a', 1), /already has 2000 tracks/);
});

test('the Jellyfin stand-in serves a generated library with its ids: the provider lists it whole and publishes its songs', async () => {
  await migrate(pool);
  const heads = await loadHeads('/nonexistent'); // the synthetic heads: the identities are what is checked here
  await generateBigLibrary(pool, {
    tracks: 600,
    albums: 60,
    seed: 5,
    source: 'jellyfin',
    analysisVersion: VERSION,
    heads,
  });
  const file = `${scratchDir('big-library-standin')}/tone.wav`;
  writeSineWav(file);
  const standin = new JellyfinStandin(await standinLibraryOf(pool, 'jellyfin', file), '10.11.11', { stableTies: true });
  const url = await standin.listen();
  try {
    const user = standin.user('alice');
    const media = await createMediaProvider(
      testConfig({
        MEDIA_SERVER_TYPE: 'jellyfin',
        JELLYFIN_URL: url,
        JELLYFIN_USER_ID: user.id,
        JELLYFIN_TOKEN: user.token,
      }),
    );
    // Every album, page by page, and every track of each, as the analysis lists them.
    const listed: string[] = [];
    for (let start = 0; ; start += 25) {
      const page = await media.listRecentAlbums({ startIndex: start, limit: 25 });
      for (const album of page.albums)
        for (const t of await media.listAlbumTracks(album.id))
          listed.push([t.id, t.albumId, t.artistId, t.title, t.artist, t.album].join('|'));
      if (start + 25 >= page.total) break;
    }
    const { rows } = await pool.query(
      `SELECT concat_ws('|', item_id, album_id, artist_id, title, artist, album) AS k FROM tracks WHERE source = 'jellyfin'`,
    );
    assert.equal(listed.length, 600);
    assert.deepEqual(listed.sort(), rows.map((r) => r.k as string).sort(), 'the same tracks, ids and names');

    const songs = rows.slice(0, 40).map((r) => (r.k as string).split('|')[0]);
    const made = await media.createPlaylist('Generated_automatic', songs);
    assert.deepEqual(standin.playlists().find((p) => p.id === made.id)?.entries, songs, 'a playlist of its songs');
  } finally {
    await standin.close();
  }
});
