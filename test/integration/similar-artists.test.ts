// GET /api/similar_artists and `audiomuse artists` over a planted library (4 sound groups, 4 artists each, the
// local folder's artist ids): the Navidrome plugin's similar artists and artist radio requests, the Jellyfin
// plugin's artist_id form, the original's shapes, nearest first, and the errors naming their field.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, test } from 'node:test';
import { analysisVersion } from '../../engines/analysis/version.ts';
import type { Config } from '../../lib/config.ts';
import { createPool, migrate, type Pool } from '../../lib/db.ts';
import { loadEmbeddings, type StoredEmbedding } from '../../lib/store/vectors.ts';
import { createMediaProvider } from '../../providers/media/index.ts';
import { plantLibrary, storePlantedFeatures } from '../helpers/planted-library.ts';
import { freshDatabase, releaseServices, scratchDir } from '../helpers/services.ts';
import { closeServedApps, serveApp } from '../helpers/web-app.ts';
import { testConfig } from '../helpers/worker.ts';

const TRACKS = 160;
const exec = promisify(execFile);
let dir: string;
let pool: Pool;
let databaseUrl: string;
let config: Config;
let base: string;
let songs: StoredEmbedding[];
/** Planted group of each artist (each artist's songs come from one group). */
const groupOf = new Map<string, number>();
/** The artist id the local folder gave each artist. */
const idOf = new Map<string, string>();

const get = async (url: string) => {
  const res = await fetch(`${base}${url}`);
  return { status: res.status, body: (await res.json()) as any };
};

before(async () => {
  dir = scratchDir('similar-artists');
  const lib = plantLibrary(dir, { tracks: TRACKS, groups: 4, seed: 5 });
  databaseUrl = await freshDatabase();
  pool = createPool(databaseUrl);
  await migrate(pool);
  config = testConfig({ MEDIA_SERVER_TYPE: 'local', MUSIC_DIR: lib.musicDir, PLAYLIST_DIR: path.join(dir, 'lists') });
  const media = await createMediaProvider(config);
  assert.equal(await storePlantedFeatures(pool, media, lib), TRACKS);
  songs = await loadEmbeddings(pool, {
    source: 'local',
    analysisVersion: analysisVersion({ patchHop: 187, profile: 'exact' }),
  });
  for (const s of songs) {
    groupOf.set(s.artist!, lib.groupOf.get(s.title!)!);
    assert.ok(s.artistId, `${s.title} has its artist id stored`);
    idOf.set(s.artist!, s.artistId);
  }
  assert.equal(groupOf.size, 16, 'four artists in each of four groups');
  base = (await serveApp({ pool, config, temporalAddress: 'localhost:1' })).base;
});

after(async () => {
  closeServedApps();
  await pool?.end();
  fs.rmSync(dir, { recursive: true, force: true });
  await releaseServices();
});

test("similar_artists answers the plugins' requests in the original's shape, nearest first, own group first", async () => {
  const artist = 'Artist 2-1';
  assert.ok(groupOf.has(artist));
  // The Navidrome plugin's GetSimilarArtists: its artist id in `artist`, include_component_matches=false, server=.
  const byId = await get(
    `/api/similar_artists?artist=${encodeURIComponent(idOf.get(artist)!)}&n=10&include_component_matches=false&server=main`,
  );
  assert.equal(byId.status, 200, JSON.stringify(byId.body));
  assert.equal(byId.body.length, 10);
  for (const a of byId.body) {
    assert.deepEqual(Object.keys(a).sort(), ['artist', 'artist_id', 'divergence']);
    assert.equal(a.artist_id, idOf.get(a.artist), "the media source's artist id, as the plugin maps it back");
    assert.ok(a.divergence >= 0 && Number.isFinite(a.divergence));
  }
  assert.ok(!byId.body.some((a: any) => a.artist === artist), 'never the artist asked about');
  assert.ok(byId.body.every((a: any, i: number) => i === 0 || byId.body[i - 1].divergence <= a.divergence));
  assert.deepEqual(
    byId.body.slice(0, 3).map((a: any) => groupOf.get(a.artist)),
    [2, 2, 2],
    `the three other artists of the group come first: ${JSON.stringify(byId.body.slice(0, 4))}`,
  );
  // By name (any case), and by artist_id (the Jellyfin plugin's proxied form): the same answer.
  for (const q of [`artist=${encodeURIComponent('artist 2-1')}`, `artist_id=${encodeURIComponent(idOf.get(artist)!)}`])
    assert.deepEqual((await get(`/api/similar_artists?${q}&n=10`)).body, byId.body, q);
  assert.equal(
    (await get(`/api/similar_artists?artist=${encodeURIComponent(artist)}`)).body.length,
    10,
    'n=10 default',
  );

  // Every artist's three nearest are its own group's.
  for (const [name, group] of groupOf) {
    const r = await get(`/api/similar_artists?artist=${encodeURIComponent(name)}&n=3`);
    assert.deepEqual(
      r.body.map((a: any) => groupOf.get(a.artist)),
      [group, group, group],
      name,
    );
  }

  // The listening filters: a blocked artist (by name or id) is no answer; the next one moves up.
  const [first, second] = byId.body;
  for (const blocked of [first.artist.toUpperCase(), first.artist_id]) {
    const r = await get(
      `/api/similar_artists?artist=${encodeURIComponent(artist)}&n=10&exclude_artists=${encodeURIComponent(blocked)}`,
    );
    assert.equal(r.body.length, 10);
    assert.ok(!r.body.some((a: any) => a.artist === first.artist), `exclude_artists=${blocked}`);
    assert.equal(r.body[0].artist, second.artist);
  }

  const unknown = await get('/api/similar_artists?artist=Nobody%20Here&n=3');
  assert.equal(unknown.status, 404);
  assert.equal(unknown.body.field, 'artist');
  assert.equal((await get('/api/similar_artists?artist_id=nope')).body.field, 'artist_id');
  const missing = await get('/api/similar_artists?n=3');
  assert.equal(missing.status, 400);
  assert.equal(missing.body.field, 'artist');
  const badN = await get(`/api/similar_artists?artist=${encodeURIComponent(artist)}&n=0`);
  assert.equal(badN.status, 400);
  assert.equal(badN.body.field, 'n');
});

test("the Navidrome plugin's artist radio: component matches carry both artists' representative songs", async () => {
  const artist = 'Artist 0-2';
  const byItem = new Map(songs.map((s) => [s.itemId, s]));
  const r = await get(
    `/api/similar_artists?artist=${encodeURIComponent(idOf.get(artist)!)}&n=5&include_component_matches=true`,
  );
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(r.body.length, 5);
  // What GetSimilarSongsByArtist reads (main.go): component_matches[].artist{1,2}_representative_songs[].{item_id,title}.
  const radio = new Set<string>();
  for (const a of r.body) {
    assert.deepEqual(Object.keys(a).sort(), [
      'artist',
      'artist_id',
      'candidate_artist_components',
      'component_matches',
      'divergence',
      'query_artist_components',
    ]);
    assert.ok(a.component_matches.length >= 1 && a.component_matches.length <= 3);
    assert.ok(a.component_matches.length <= a.query_artist_components * a.candidate_artist_components);
    for (const m of a.component_matches) {
      assert.ok(m.component1_index < a.query_artist_components && m.component2_index < a.candidate_artist_components);
      assert.ok(m.component1_weight > 0 && m.component1_weight <= 1 && m.component2_weight > 0);
      for (const [list, who] of [
        [m.artist1_representative_songs, artist],
        [m.artist2_representative_songs, a.artist],
      ]) {
        assert.ok(list.length >= 1 && list.length <= 3);
        for (const s of list) {
          assert.deepEqual(Object.keys(s).sort(), ['distance_to_component', 'item_id', 'title']);
          assert.equal(byItem.get(s.item_id)?.artist, who, `${s.title} is a song of ${who}`);
          assert.equal(byItem.get(s.item_id)?.title, s.title);
          radio.add(s.item_id);
        }
        assert.ok(
          list.every((s: any, i: number) => i === 0 || list[i - 1].distance_to_component <= s.distance_to_component),
        );
      }
    }
    assert.ok(
      a.component_matches.every((m: any, i: number) => i === 0 || a.component_matches[i - 1].distance <= m.distance),
    );
  }
  assert.ok(radio.size >= 6, `the radio has songs to play: ${radio.size}`);
});

test('audiomuse artists prints what GET /api/similar_artists answers', async () => {
  const artist = 'Artist 3-0';
  const api = await get(`/api/similar_artists?artist=${encodeURIComponent(artist)}&n=6&include_component_matches=true`);
  const env = { ...process.env, DATABASE_URL: databaseUrl, MEDIA_SERVER_TYPE: 'local', MUSIC_DIR: config.musicDir };
  const { stdout } = await exec(
    process.execPath,
    ['--import', 'tsx', 'cli/audiomuse.ts', 'artists', artist, '--n', '6', '--matches'],
    { env },
  );
  assert.deepEqual(
    stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l)),
    api.body,
  );
});
