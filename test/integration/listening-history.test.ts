// People and their listening history against real parts: two Jellyfin stand-in users with different histories
// synced by the syncListeningHistory workflow on a real Temporal and through the API; a real Supysonic whose
// users star and scrobble songs through its API, read back with each person's own encrypted login; a Last.fm
// export imported through the API. Deleting a person takes their history and login with them.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Config } from '../../lib/config.ts';
import { CredentialsKeyError } from '../../lib/credentials.ts';
import { createPool, migrate, type Pool } from '../../lib/db.ts';
import { listeningHistory } from '../../lib/store/listening-history.ts';
import { upsertAlbumTracks } from '../../lib/store/tracks.ts';
import { createUser, getUser } from '../../lib/store/users.ts';
import { syncUserHistory } from '../../providers/media/history-sync.ts';
import { mediaAsPerson } from '../../providers/media/person.ts';
import { JellyfinProvider } from '../../providers/media/jellyfin.ts';
import { NavidromeProvider, subsonicEncodedPassword } from '../../providers/media/navidrome.ts';
import { MediaServerError, type MediaProvider } from '../../providers/media/provider.ts';
import { startSupysonic, supysonicSkip, type Supysonic } from '../helpers/supysonic.ts';
import { freshDatabase, freshNamespace, releaseServices, scratchDir, services } from '../helpers/services.ts';
import { closeServedApps, serveApp } from '../helpers/web-app.ts';
import { startTestWorker, testConfig } from '../helpers/worker.ts';
import { tagWav } from '../helpers/wav-tags.ts';
import { JellyfinStandin, syntheticLibrary, writeSineWav } from '../standins/jellyfin.ts';

const key = randomBytes(32).toString('base64');
let dir: string;
let pool: Pool;
let temporalAddress: string;

/** Puts every album of the provider into our tracks table (as a library listing would), but `leaveOut`. */
async function plantTracks(media: MediaProvider, leaveOut = 0): Promise<void> {
  const { albums } = await media.listRecentAlbums({ startIndex: 0, limit: 100 });
  for (const album of albums.slice(leaveOut)) {
    const tracks = await media.listAlbumTracks(album.id);
    await upsertAlbumTracks(
      pool,
      media.type,
      album.id,
      tracks.map((t) => ({ itemId: t.id, title: t.title, artist: t.artist, album: t.album })),
      'test',
    );
  }
}

const historyOf = async (userId: string) =>
  (await listeningHistory(pool, userId)).map((h) => `${h.title}:${h.playCount}:${h.favourite ? 'fav' : '-'}`).sort();

before(async () => {
  dir = scratchDir('listening-history');
  temporalAddress = (await services()).temporalAddress;
  pool = createPool(await freshDatabase());
  await migrate(pool);
});
after(async () => {
  closeServedApps();
  await pool?.end();
  fs.rmSync(dir, { recursive: true, force: true });
  await releaseServices();
});

describe('Jellyfin: each user their own history', () => {
  let standin: JellyfinStandin;
  let media: JellyfinProvider;
  let config: Config;
  let base: string;
  let tracks: string[];
  const req = async (method: string, url: string, body?: unknown, type = 'application/json') => {
    const res = await fetch(`${base}${url}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': type },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as any };
  };

  before(async () => {
    const wav = path.join(dir, 'tone.wav');
    writeSineWav(wav);
    standin = new JellyfinStandin(
      syntheticLibrary({ albums: 3, tracksPerAlbum: 3, file: wav, artists: 3 }),
      '10.11.11',
      {
        users: [{ name: 'alice' }, { name: 'bob' }, { name: 'admin', admin: true }],
      },
    );
    const url = await standin.listen();
    config = testConfig({
      TEMPORAL_NAMESPACE: await freshNamespace('history'),
      MEDIA_SERVER_TYPE: 'jellyfin',
      JELLYFIN_URL: url,
      JELLYFIN_USER_ID: 'admin',
      JELLYFIN_TOKEN: standin.apiKey,
      USER_CREDENTIALS_KEY: key,
    });
    media = new JellyfinProvider({ url, userId: 'admin', token: standin.apiKey, retries: 0 });
    await plantTracks(media, 1); // the newest album is not in our library: its plays are "unknown"
    tracks = standin.trackIds();
    // Song titles: album n, track t → "Song n.t"; trackIds() lists them in library order.
    standin.setUserData('alice', tracks[0], { playCount: 5, lastPlayed: new Date('2026-03-01T10:00:00Z') });
    standin.setUserData('alice', tracks[1], { playCount: 1, lastPlayed: new Date('2026-01-01T10:00:00Z') });
    standin.setUserData('alice', tracks[2], { favourite: true });
    standin.setUserData('alice', tracks[8], { playCount: 2 }); // in the album we left out
    standin.setUserData('bob', tracks[4], { playCount: 9, favourite: true });
    base = (await serveApp({ pool, config, temporalAddress, media })).base;
  });
  after(() => standin?.close());

  test("the admin picks users from the server's list; a second add of the same name is 409", async () => {
    const server = await req('GET', '/api/users/server');
    assert.equal(server.status, 200);
    assert.deepEqual(server.body.users.map((u: { name: string }) => u.name).sort(), ['admin', 'alice', 'bob']);
    for (const name of ['alice', 'bob']) {
      const id = server.body.users.find((u: { name: string }) => u.name === name).id;
      const added = await req('POST', '/api/users', { name, serverUserId: id });
      assert.equal(added.status, 200, JSON.stringify(added.body));
      assert.equal(added.body.hasCredentials, false);
    }
    assert.equal((await req('POST', '/api/users', { name: 'alice' })).status, 409);
    assert.equal((await req('POST', '/api/users', { nom: 'x' })).body.field, 'name');
  });

  test('the workflow on real Temporal reads alice; the API reads bob; their histories differ', async () => {
    const alice = (await getUser(pool, 'jellyfin', 'alice'))!;
    const bob = (await getUser(pool, 'jellyfin', 'bob'))!;
    const worker = await startTestWorker({ address: temporalAddress, pool, config });
    try {
      const result = await worker.client.workflow.execute('syncListeningHistory', {
        taskQueue: config.temporal.taskQueue,
        workflowId: `sync-listening-history-${alice.id}`,
        args: [{ userId: alice.id }],
      });
      assert.deepEqual(result, { userId: alice.id, read: 4, stored: 3, unknown: 1, removed: 0 });
    } finally {
      await worker.stop();
    }
    const synced = await req('POST', `/api/users/${bob.id}/sync`);
    assert.deepEqual(synced.body, { userId: bob.id, read: 1, stored: 1, unknown: 0, removed: 0 });
    assert.deepEqual(await historyOf(alice.id), ['Song 1.1:5:-', 'Song 1.2:1:-', 'Song 1.3:0:fav']);
    assert.deepEqual(await historyOf(bob.id), ['Song 2.2:9:fav']);
    const [top] = (await req('GET', `/api/users/${alice.id}/history`)).body;
    assert.equal(top.lastPlayed, '2026-03-01T10:00:00Z');
  });

  test('a sync again stores what the server says now: same rows when nothing changed, gone when unliked', async () => {
    const alice = (await getUser(pool, 'jellyfin', 'alice'))!;
    const again = await syncUserHistory(pool, media, alice, key);
    assert.deepEqual(again, { userId: alice.id, read: 4, stored: 3, unknown: 0 + 1, removed: 0 });
    standin.setUserData('alice', tracks[2], { favourite: false });
    standin.setUserData('alice', tracks[0], { playCount: 6, lastPlayed: new Date('2026-03-02T10:00:00Z') });
    assert.equal((await syncUserHistory(pool, media, alice, key)).removed, 1);
    assert.deepEqual(await historyOf(alice.id), ['Song 1.1:6:-', 'Song 1.2:1:-']);
  });

  test('a Last.fm export imported through the API: listens matched by artist + title, the rest reported', async () => {
    const carol = await req('POST', '/api/users', { name: 'carol' });
    const csv = [
      'Artist 1,Album 1,Song 1.1,01 Mar 2026 10:00',
      'artist 1,Album 1,SONG 1.1,02 Mar 2026 10:00',
      '"Artist 2",Album 2,Song 2.3 (Remastered),03 Mar 2026 10:00',
      'Someone Else,Nothing,Not Here,03 Mar 2026 11:00',
    ].join('\n');
    const report = await req('POST', `/api/users/${carol.body.id}/import`, csv, 'text/csv');
    assert.equal(report.status, 200, JSON.stringify(report.body));
    assert.equal(report.body.format, 'lastfm-csv');
    assert.equal(report.body.matchedListens, 3);
    assert.equal(report.body.unmatchedListens, 1);
    assert.equal(report.body.matchedTracks, 2);
    assert.deepEqual(report.body.unmatched, [{ artist: 'Someone Else', title: 'Not Here', listens: 1 }]);
    assert.deepEqual(await historyOf(carol.body.id), ['Song 1.1:2:-', 'Song 2.3:1:-']);
    const bad = await req('POST', `/api/users/${carol.body.id}/import`, '{"a":1}\nnot json', 'text/plain');
    assert.equal(bad.status, 400);
    assert.equal(bad.body.field, 'body');
  });

  test('deleting a user removes their history; their stored login goes with the row', async () => {
    const bob = (await getUser(pool, 'jellyfin', 'bob'))!;
    assert.equal((await req('DELETE', `/api/users/${bob.id}`)).status, 200);
    assert.equal((await req('DELETE', `/api/users/${bob.id}`)).status, 404);
    const { rows } = await pool.query('SELECT count(*)::int AS n FROM listening_history WHERE user_id = $1', [bob.id]);
    assert.equal(rows[0].n, 0);
  });
});

describe('Subsonic: a real Supysonic, each person read with their own login', { skip: supysonicSkip() }, () => {
  let server: Supysonic;
  let media: NavidromeProvider;
  const alice = { name: 'alice', password: 'alice-pw-1', admin: true };
  const bob = { name: 'bob', password: 'bob-pw-1' };
  const ids = new Map<string, string>();
  /** One call of the Subsonic API as `who` (what a player does when it stars or scrobbles). */
  const call = async (who: { name: string; password: string }, method: string, params: Record<string, string>) => {
    const q = new URLSearchParams({
      u: who.name,
      p: subsonicEncodedPassword(who.password),
      v: '1.10.2',
      c: 'test',
      f: 'json',
      ...params,
    });
    const body = (await (await fetch(`${server.url}/rest/${method}.view?${q}`)).json()) as any;
    assert.equal(body['subsonic-response'].status, 'ok', JSON.stringify(body));
  };

  before(async () => {
    const music = path.join(dir, 'subsonic-music');
    for (let i = 1; i <= 4; i++) {
      const file = path.join(music, 'Band', 'Record', `${i}.wav`);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      writeSineWav(file, 0.05, 8000, 300 + i * 50);
      tagWav(file, { title: `Tune ${i}`, artist: 'Band', album: 'Record', track: i });
    }
    server = await startSupysonic({ musicDir: music, users: [alice, bob] });
    media = new NavidromeProvider({
      url: server.url,
      user: alice.name,
      password: alice.password,
      auth: 'password',
      retries: 0,
    });
    await plantTracks(media);
    const { albums } = await media.listRecentAlbums({ startIndex: 0, limit: 10 });
    for (const t of await media.listAlbumTracks(albums[0].id)) ids.set(t.title, t.id);
    // Bob plays and likes two tunes, alice likes another: through the API, as their players would.
    for (const title of ['Tune 1', 'Tune 2']) {
      await call(bob, 'scrobble', { id: ids.get(title)!, submission: 'true' });
      await call(bob, 'star', { id: ids.get(title)! });
    }
    await call(bob, 'scrobble', { id: ids.get('Tune 3')!, submission: 'true' });
    await call(alice, 'star', { id: ids.get('Tune 4')! });
  });
  after(() => server?.stop());

  test("bob's stars read with his own encrypted login; alice's with the configured one", async () => {
    const b = (await createUser(
      pool,
      { source: 'navidrome', name: 'bob', serverUserId: 'bob', credentials: { user: 'bob', password: bob.password } },
      key,
    ))!;
    assert.equal(b.hasCredentials, true);
    const stored = await pool.query('SELECT credentials FROM users WHERE id = $1', [b.id]);
    assert.ok(!stored.rows[0].credentials.toString('latin1').includes(bob.password));
    const result = await syncUserHistory(pool, media, b, key);
    assert.equal(result.stored, 2);
    // Supysonic keeps no per-user play counts (its songs carry none): stars are what it tells.
    assert.deepEqual(await historyOf(b.id), ['Tune 1:0:fav', 'Tune 2:0:fav']);
    const a = (await createUser(pool, { source: 'navidrome', name: 'alice', serverUserId: 'alice' }, undefined))!;
    await syncUserHistory(pool, media, a, key);
    assert.deepEqual(await historyOf(a.id), ['Tune 4:0:fav']);
    assert.deepEqual((await media.listUsers()).map((u) => u.name).sort(), ['alice', 'bob']);
  });

  test("a playlist made for bob is created and replaced as bob, with his own login: his, not alice's", async () => {
    const b = (await getUser(pool, 'navidrome', 'bob'))!;
    const asBob = await mediaAsPerson(pool, media, b, key);
    const made = await asBob.createPlaylist('For Bob', [ids.get('Tune 1')!, ids.get('Tune 2')!]);
    const owner = async (id: string) => {
      const q = new URLSearchParams({
        u: bob.name,
        p: subsonicEncodedPassword(bob.password),
        v: '1.10.2',
        c: 'test',
        f: 'json',
        id,
      });
      return ((await (await fetch(`${server.url}/rest/getPlaylist.view?${q}`)).json()) as any)['subsonic-response']
        .playlist;
    };
    assert.equal((await owner(made.id)).owner, 'bob');
    const replaced = await asBob.replacePlaylistTracks!(made.id, 'For Bob', [ids.get('Tune 3')!]);
    assert.equal(replaced.id, made.id, 'the same playlist');
    assert.deepEqual(
      ((await owner(made.id)).entry ?? []).map((e: { id: string }) => e.id),
      [ids.get('Tune 3')],
    );
    assert.ok(
      (await asBob.listPlaylists()).some((p) => p.id === made.id),
      'bob sees it among his',
    );
    await asBob.deletePlaylist(made.id);
    const carol = (await createUser(pool, { source: 'navidrome', name: 'carol2', serverUserId: 'carol' }, undefined))!;
    await assert.rejects(mediaAsPerson(pool, media, carol, key), /carol's own login/);
  });

  test('without their login another user is refused by name; a changed key does not open the stored login', async () => {
    const c = (await createUser(pool, { source: 'navidrome', name: 'carol', serverUserId: 'carol' }, undefined))!;
    await assert.rejects(syncUserHistory(pool, media, c, key), (err: unknown) => {
      assert.ok(err instanceof MediaServerError && err.code === 'bad_config', String(err));
      assert.match(err.message, /carol's own login/);
      return true;
    });
    const b = (await getUser(pool, 'navidrome', 'bob'))!;
    await assert.rejects(syncUserHistory(pool, media, b, randomBytes(32).toString('hex')), CredentialsKeyError);
    await assert.rejects(syncUserHistory(pool, media, b, undefined), /USER_CREDENTIALS_KEY is not set/);
  });
});
