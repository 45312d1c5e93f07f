// Mixing and saving over HTTP against real PostgreSQL: the listening filters on similar_tracks and find_path,
// POST /api/alchemy on a planted library (groups of songs that sound alike), and POST /api/create_playlist on the
// local folder (.m3u8) and on a real Subsonic server (Debian's Supysonic): what the database calls published is
// on the server, and a clustering publish afterwards leaves it alone.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createPublishingActivities, type PublishResult } from '../../activities/publishing.ts';
import type { Config } from '../../lib/config.ts';
import { createPool, migrate, type Pool } from '../../lib/db.ts';
import { storeDraftPlaylists } from '../../lib/store/clustering.ts';
import { beginRun } from '../../lib/store/runs.ts';
import { upsertAlbumTracks } from '../../lib/store/tracks.ts';
import { loadEmbeddings, type StoredEmbedding } from '../../lib/store/vectors.ts';
import { analysisVersion } from '../../engines/analysis/version.ts';
import { angularDistance } from '../../engines/similarity/alchemy.ts';
import { createMediaProvider } from '../../providers/media/index.ts';
import { NavidromeProvider } from '../../providers/media/navidrome.ts';
import type { MediaProvider } from '../../providers/media/provider.ts';
import { plantLibrary, storePlantedFeatures } from '../helpers/planted-library.ts';
import { freshDatabase, releaseServices, scratchDir } from '../helpers/services.ts';
import { startSupysonic, supysonicSkip, type Supysonic } from '../helpers/supysonic.ts';
import { tagWav } from '../helpers/wav-tags.ts';
import { closeServedApps, serveApp } from '../helpers/web-app.ts';
import { testConfig } from '../helpers/worker.ts';
import { writeSineWav } from '../standins/jellyfin.ts';

const TRACKS = 120;
const version = analysisVersion({ patchHop: 187, profile: 'exact' });
let dir: string;
let pool: Pool;
let config: Config;
let media: MediaProvider;
let base: string;
let songs: StoredEmbedding[];
let groupOf: Map<string, number>;

const call = async (method: string, url: string, body?: unknown, at = base) => {
  const res = await fetch(`${at}${url}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as any };
};
const get = (url: string) => call('GET', url);
const post = (url: string, body: unknown, at = base) => call('POST', url, body, at);
const byItem = () => new Map(songs.map((s) => [s.itemId, s]));
const enc = encodeURIComponent;

before(async () => {
  dir = scratchDir('listening-mix');
  const lib = plantLibrary(dir, { tracks: TRACKS, groups: 4, seed: 5 });
  groupOf = lib.groupOf;
  pool = createPool(await freshDatabase());
  await migrate(pool);
  config = testConfig({
    MEDIA_SERVER_TYPE: 'local',
    MUSIC_DIR: lib.musicDir,
    PLAYLIST_DIR: path.join(dir, 'playlists'),
  });
  media = await createMediaProvider(config);
  assert.equal(await storePlantedFeatures(pool, media, lib), TRACKS);
  // What the providers are being taught to fill, planted: durations of 100, 200 and 300 s, two libraries, artist
  // ids. Before the first query, which loads the library once.
  await pool.query(`UPDATE tracks SET duration_sec = 100 + (id % 3) * 100,
                                      library_id = CASE WHEN id % 2 = 0 THEN 'lib-even' ELSE 'lib-odd' END,
                                      artist_id = 'ar-' || artist`);
  // An untagged copy: the 11th song gets the 10th song's recording (another title, the same sound).
  await pool.query(`UPDATE track_features SET embedding = (SELECT embedding FROM track_features ORDER BY track_id LIMIT 1 OFFSET 9)
                     WHERE track_id = (SELECT track_id FROM track_features ORDER BY track_id LIMIT 1 OFFSET 10)`);
  songs = await loadEmbeddings(pool, { source: 'local', analysisVersion: version });
  base = (await serveApp({ pool, config, temporalAddress: '127.0.0.1:1', media }, { keepAliveTimeout: 60_000 })).base;
});

after(async () => {
  closeServedApps();
  await pool?.end();
  fs.rmSync(dir, { recursive: true, force: true });
  await releaseServices();
});

test('eliminate_duplicates leaves out a copy of the seed itself that only the distance recognises', async () => {
  const [seed, copy] = [songs[9], songs[10]];
  assert.notEqual(seed.title, copy.title);
  for (const radius of [true, false]) {
    const q = `/api/similar_tracks?item_id=${enc(seed.itemId)}&n=10&radius_similarity=${radius}`;
    const raw = (await get(q)).body as { item_id: string; distance: number }[];
    assert.ok(
      raw.some((s) => s.item_id === copy.itemId && s.distance < 0.01),
      'without the filter the copy is there',
    );
    const clean = (await get(`${q}&eliminate_duplicates=true`)).body as { item_id: string }[];
    assert.equal(clean.length, 10);
    assert.ok(!clean.some((s) => s.item_id === copy.itemId), `radius ${radius}: the copy of the seed is left out`);
  }
});

test("mood_similarity (the Lyrion mixer's): only songs whose mood heads are within 0.15 of the seed's", async () => {
  const seed = songs[20];
  const moods = async (ids: string[]) =>
    new Map(
      (
        await pool.query(
          `SELECT t.item_id, ARRAY[danceable, aggressive, happy, party, relaxed, sad] AS m
             FROM tracks t JOIN track_features f ON f.track_id = t.id WHERE t.item_id = ANY($1)`,
          [ids],
        )
      ).rows.map((r) => [r.item_id as string, r.m as number[]]),
    );
  const q = `/api/similar_tracks?item_id=${enc(seed.itemId)}&n=8&radius_similarity=false`;
  const nearest = (await get(q)).body as { item_id: string }[];
  // The nearest song gets moods far from the seed's (read per request: no reload needed).
  const own = (await moods([seed.itemId])).get(seed.itemId)!;
  await pool.query(
    `UPDATE track_features SET danceable = $2, aggressive = $2, happy = $2, party = $2, relaxed = $2, sad = $2
      WHERE track_id = (SELECT id FROM tracks WHERE item_id = $1)`,
    [nearest[0].item_id, own[0] > 0.5 ? 0 : 1],
  );
  const mood = (await get(`${q}&mood_similarity=true`)).body as { item_id: string }[];
  assert.ok(mood.length > 0 && !mood.some((s) => s.item_id === nearest[0].item_id), 'the far-mood song is left out');
  const theirs = await moods(mood.map((s) => s.item_id));
  for (const s of mood) {
    const m = theirs.get(s.item_id)!;
    const d = m.reduce((sum, x, i) => sum + Math.abs(x - own[i]), 0) / 6;
    assert.ok(d <= 0.15, `${s.item_id}: mood distance ${d}`);
  }
  assert.ok((await get(q)).body.some((s: { item_id: string }) => s.item_id === nearest[0].item_id));
});

test('similar_tracks and find_path honour every filter; bad values name their field', async () => {
  const seed = songs[3];
  const similar = async (q: string) => {
    const r = await get(`/api/similar_tracks?item_id=${enc(seed.itemId)}&n=12&${q}`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return (r.body as { item_id: string }[]).map((s) => byItem().get(s.item_id)!);
  };
  const plain = await similar('radius_similarity=false');
  const blocked = plain[0].artist!;
  for (const q of [`exclude_artists=${enc(blocked.toUpperCase())}`, `exclude_artists=x,ar-${enc(blocked)}`]) {
    const got = await similar(`radius_similarity=false&${q}`);
    assert.equal(got.length, 12);
    assert.ok(!got.some((s) => s.artist === blocked), `${q}: no song by ${blocked}`);
  }
  const album = plain[0].album!;
  assert.ok(!(await similar(`exclude_albums=${enc(album)}&exclude_albums=other`)).some((s) => s.album === album));
  for (const radius of [true, false]) {
    const capped = await similar(`radius_similarity=${radius}&max_songs_per_artist=1`);
    assert.equal(capped.length, 12, 'the pool widens until n songs of distinct artists');
    assert.equal(new Set(capped.map((s) => s.artist)).size, 12, `radius=${radius}: one song per artist`);
  }
  const ranged = await similar('min_duration=150&max_duration=250');
  assert.ok(ranged.length > 0 && ranged.every((s) => s.durationSec === 200));
  const scoped = await similar('library_id=lib-odd');
  assert.ok(scoped.length > 0 && scoped.every((s) => s.libraryId === 'lib-odd'));

  for (const [q, field] of [
    ['max_songs_per_artist=0', 'max_songs_per_artist'],
    ['min_duration=-1', 'min_duration'],
    ['min_duration=300&max_duration=100', 'max_duration'],
    ['library_id=', 'library_id'],
  ]) {
    const r = await get(`/api/similar_tracks?item_id=${enc(seed.itemId)}&${q}`);
    assert.equal(r.status, 400, q);
    assert.equal(r.body.field, field, `${q}: ${JSON.stringify(r.body)}`);
  }

  const [a, b] = [songs[0], songs.find((s) => groupOf.get(s.title!) !== groupOf.get(songs[0].title!))!];
  const stepArtist = songs.find((s) => s.artist !== a.artist && s.artist !== b.artist)!.artist!;
  const p = await get(
    `/api/find_path?start_song_id=${enc(a.itemId)}&end_song_id=${enc(b.itemId)}&max_steps=10&exclude_artists=${enc(stepArtist)}&max_songs_per_artist=2&max_duration=250`,
  );
  assert.equal(p.status, 200, JSON.stringify(p.body));
  const steps = (p.body.path as { item_id: string }[]).map((s) => byItem().get(s.item_id)!);
  assert.equal(steps[0].itemId, a.itemId);
  assert.equal(steps.at(-1)!.itemId, b.itemId);
  const middle = steps.slice(1, -1);
  assert.ok(middle.length >= 6, `${middle.length} steps between A and B`);
  assert.ok(!middle.some((s) => s.artist === stepArtist), 'no step by the blocked artist');
  assert.ok(
    middle.every((s) => s.durationSec! <= 250),
    'every step within the duration range',
  );
  const perArtist = new Map<string, number>();
  for (const s of steps.slice(0, -1)) perArtist.set(s.artist!, (perArtist.get(s.artist!) ?? 0) + 1);
  assert.ok(Math.max(...perArtist.values()) <= 2, 'at most 2 per artist');
});

test('alchemy: ADD and SUBTRACT songs, artists and playlists; the radius; seeded temperature; the filters', async () => {
  const seed = songs[10];
  // One ADD song at temperature 0 is the nearest-first similar songs.
  const one = await post('/api/alchemy', {
    items: [{ id: seed.itemId, op: 'ADD', type: 'song' }],
    n: 10,
    temperature: 0,
  });
  assert.equal(one.status, 200, JSON.stringify(one.body));
  const near = await get(
    `/api/similar_tracks?item_id=${enc(seed.itemId)}&n=10&radius_similarity=false&eliminate_duplicates=true`,
  );
  assert.deepEqual(
    one.body.results.map((s: any) => s.item_id),
    near.body.map((s: any) => s.item_id),
  );
  for (const s of one.body.results)
    assert.deepEqual(Object.keys(s).sort(), ['album', 'author', 'distance', 'item_id', 'title']);
  assert.deepEqual(one.body.filtered_out, []);
  assert.equal(one.body.add_centroid_vector.length, 200);
  assert.equal(one.body.subtract_centroid_vector, null);
  assert.deepEqual(one.body.add_points, [
    { item_id: seed.itemId, type: 'song', title: seed.title, author: seed.artist, songs: 1 },
  ]);

  // SUBTRACT a song of the same group with a wide radius: what is near it is dropped and reported.
  const other = songs.find((s) => s !== seed && groupOf.get(s.title!) === groupOf.get(seed.title!))!;
  const radius = 0.3;
  const sub = await post('/api/alchemy', {
    items: [
      { id: seed.itemId, op: 'ADD' },
      { id: other.itemId, op: 'subtract', type: 'song' },
    ],
    n: 10,
    temperature: 0,
    subtract_distance: radius,
  });
  assert.equal(sub.status, 200, JSON.stringify(sub.body));
  const vec = (id: string) => byItem().get(id)!.embedding;
  const unitOf = (v: Float32Array) => {
    const n = Math.hypot(...v);
    return v.map((x) => x / n);
  };
  const away = (id: string) => angularDistance(unitOf(vec(id)), unitOf(vec(other.itemId)));
  assert.ok(sub.body.filtered_out.length > 0, 'songs near the SUBTRACT song are reported');
  assert.ok(sub.body.filtered_out.every((s: any) => away(s.item_id) < radius));
  assert.ok(sub.body.results.every((s: any) => away(s.item_id) >= radius && s.item_id !== other.itemId));

  // An artist (name or id) is the centroid of their songs: the mix stays in their group.
  const artist = seed.artist!;
  for (const id of [artist, `ar-${artist}`]) {
    const r = await post('/api/alchemy', { items: [{ id, op: 'ADD', type: 'artist' }], n: 10, temperature: 0 });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.add_points[0].songs, songs.filter((s) => s.artist === artist).length);
    const same = r.body.results.filter((s: any) => groupOf.get(s.title) === groupOf.get(seed.title!)).length;
    assert.ok(same >= 9, `${same} of 10 in the artist's group`);
  }
  // A playlist given by its songs; filters and the per-artist cap inside the sampling.
  const members = songs.filter((s) => groupOf.get(s.title!) === 2).slice(0, 5);
  const mixed = await post('/api/alchemy', {
    items: [{ id: 'picked', op: 'ADD', type: 'playlist', item_ids: members.map((s) => s.itemId) }],
    n: 8,
    temperature: 0.5,
    seed: 3,
    max_songs_per_artist: 1,
    exclude_artists: [members[0].artist],
    library_id: 'lib-even',
  });
  assert.equal(mixed.status, 200, JSON.stringify(mixed.body));
  const got = mixed.body.results.map((s: any) => byItem().get(s.item_id)!);
  assert.equal(got.length, 8);
  assert.equal(new Set(got.map((s: StoredEmbedding) => s.artist)).size, 8, 'one per artist');
  assert.ok(got.every((s: StoredEmbedding) => s.libraryId === 'lib-even' && s.artist !== members[0].artist));

  // Seeded: the same seed draws the same mix, another seed another; the seed used is reported.
  const items = [
    { id: seed.itemId, op: 'ADD' },
    { id: songs[11].itemId, op: 'ADD' },
  ];
  const draw = async (s: number) =>
    (await post('/api/alchemy', { items, n: 10, temperature: 1, seed: s })).body.results.map((x: any) => x.item_id);
  assert.deepEqual(await draw(1), await draw(1));
  assert.notDeepEqual(await draw(1), await draw(2));
  assert.equal(typeof (await post('/api/alchemy', { items, n: 3 })).body.seed, 'number');

  const unknown = await post('/api/alchemy', { items: [{ id: 'nope', op: 'ADD' }] });
  assert.equal(unknown.status, 404);
  const skipped = await post('/api/alchemy', {
    items: [...items, { id: 'nope', op: 'SUBTRACT' }],
    n: 3,
  });
  assert.deepEqual(skipped.body.unknown_items, [{ id: 'nope', type: 'song', op: 'SUBTRACT' }]);
  for (const [body, field] of [
    [{ items: [{ id: 'x', op: 'MULTIPLY' }] }, 'items.0.op'],
    [{ items: [{ id: 'x', op: 'ADD', type: 'mood' }] }, 'items.0.type'],
    [{ items: [{ id: seed.itemId, op: 'SUBTRACT' }] }, 'items'],
    [{ items, temperature: -1 }, 'temperature'],
    [{ items, min_duration: 5, max_duration: 1 }, 'max_duration'],
  ] as const) {
    const r = await post('/api/alchemy', body);
    assert.equal(r.status, 400, JSON.stringify(body));
    assert.equal(r.body.field, field, JSON.stringify(r.body));
  }
});

/** The database row of a saved playlist. */
async function savedRow(id: string) {
  const { rows } = await pool.query(
    `SELECT origin, status, clustering_run_id, server_playlist_id, name,
            (SELECT array_agg(t.item_id ORDER BY pt.position) FROM playlist_tracks pt JOIN tracks t ON t.id = pt.track_id
              WHERE pt.playlist_id = p.id) AS item_ids
       FROM playlists p WHERE id = $1`,
    [id],
  );
  return rows[0];
}

test('create_playlist on the local folder: "<name>_instant" written and recorded; a clustering publish leaves it', async () => {
  const ids = songs.slice(20, 25).map((s) => s.itemId);
  const r = await post('/api/create_playlist', {
    playlist_name: 'Evening mix',
    track_ids: [ids[0], { item_id: ids[1] }, ...ids.slice(2), ids[0]],
  });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  assert.equal(r.body.name, 'Evening mix_instant');
  assert.match(r.body.message, /created successfully/);
  assert.equal(r.body.tracks, 5);
  const onServer = async () => (await media.listPlaylists()).find((p) => p.id === r.body.playlist_id);
  assert.deepEqual(await onServer(), { id: r.body.playlist_id, name: 'Evening mix_instant', trackCount: 5 });
  const row = await savedRow(r.body.id);
  assert.deepEqual(row, {
    origin: 'saved',
    status: 'published',
    clustering_run_id: null,
    server_playlist_id: r.body.playlist_id,
    name: 'Evening mix_instant',
    item_ids: ids,
  });
  const listed = await get('/api/saved_playlists');
  assert.deepEqual(
    listed.body.playlists.map((p: any) => [p.id, p.name, p.status, p.itemIds.length]),
    [[r.body.id, 'Evening mix_instant', 'published', 5]],
  );

  // A clustering run publishes: its `_automatic` playlist appears, ours stays published and on the server.
  const run = await beginRun(pool, 'clustering', {
    workflowId: 'cluster-library',
    firstRunId: 'r1',
    source: 'local',
    params: {},
  });
  assert.ok('runId' in run);
  const { rows } = await pool.query(`SELECT id::text FROM tracks ORDER BY id LIMIT 4`);
  await storeDraftPlaylists(pool, run.runId, 'local', [
    {
      position: 0,
      name: 'Rock_automatic',
      tagName: 'Rock',
      nameSource: 'tag',
      profile: {},
      trackIds: rows.map((x) => x.id),
    },
  ]);
  const publishing = createPublishingActivities({ pool, config, media: async () => media });
  const result: PublishResult = await new MockActivityEnvironment().run(publishing.publishClusteringPlaylists, {
    runId: run.runId,
  });
  assert.equal(result.created, 1);
  assert.equal(result.deleted + result.leftAlone, 0);
  assert.equal((await savedRow(r.body.id)).status, 'published', 'a saved playlist is no earlier run to replace');
  assert.ok(await onServer(), 'and still on the server');

  for (const [body, status, field] of [
    [{ playlist_name: 'x', track_ids: ['not-a-song'] }, 400, 'track_ids'],
    [{ playlist_name: ' ', track_ids: ids }, 400, 'playlist_name'],
    [{ playlist_name: 'x', track_ids: [] }, 400, 'track_ids'],
    [{ track_ids: ids }, 400, 'playlist_name'],
  ] as const) {
    const bad = await post('/api/create_playlist', body);
    assert.equal(bad.status, status, JSON.stringify(bad.body));
    assert.equal(bad.body.field, field, JSON.stringify(bad.body));
  }
});

describe('create_playlist on a real Subsonic server (Supysonic)', { skip: supysonicSkip() }, () => {
  let server: Supysonic;
  let work: string;
  const alice = { name: 'alice', password: 'alice-secret-1', admin: true };

  before(async () => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'listening-supysonic-'));
    const musicDir = path.join(work, 'music');
    for (let i = 0; i < 4; i++) {
      const file = path.join(musicDir, 'Sonic Artist', 'Sonic Album', `0${i + 1}.wav`);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      writeSineWav(file, 0.05, 8000, 300 + 20 * i);
      tagWav(file, { title: `Sonic ${i + 1}`, artist: 'Sonic Artist', album: 'Sonic Album', track: i + 1 });
    }
    server = await startSupysonic({ musicDir, users: [alice] });
  });
  after(async () => {
    await server?.stop();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  test('the playlist is created on the server with the tracks in order, and recorded as published', async () => {
    const subsonic = new NavidromeProvider({
      url: server.url,
      user: alice.name,
      password: alice.password,
      auth: 'password',
      retries: 0,
    });
    const [album] = (await subsonic.listRecentAlbums({ startIndex: 0, limit: 10 })).albums;
    const tracks = await subsonic.listAlbumTracks(album.id);
    await upsertAlbumTracks(
      pool,
      'navidrome',
      album.id,
      tracks.map((t) => ({ itemId: t.id, title: t.title, artist: t.artist, album: t.album, durationSec: t.duration })),
      version,
    );
    const navConfig = testConfig({
      MEDIA_SERVER_TYPE: 'navidrome',
      NAVIDROME_URL: server.url,
      NAVIDROME_USER: alice.name,
      NAVIDROME_PASSWORD: alice.password,
      SUBSONIC_AUTH: 'password',
    });
    const at = (await serveApp({ pool, config: navConfig, temporalAddress: '127.0.0.1:1', media: subsonic })).base;
    const wanted = tracks.map((t) => t.id).reverse();
    const r = await post('/api/create_playlist', { playlist_name: 'Sonic mix', track_ids: wanted }, at);
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.deepEqual(await server.members(r.body.playlist_id), wanted);
    assert.deepEqual(
      (await subsonic.listPlaylists()).filter((p) => p.id === r.body.playlist_id),
      [{ id: r.body.playlist_id, name: 'Sonic mix_instant', trackCount: 4 }],
    );
    const row = await savedRow(r.body.id);
    assert.equal(row.status, 'published');
    assert.equal(row.server_playlist_id, r.body.playlist_id);
    assert.deepEqual(row.item_ids, wanted);
  });
});
