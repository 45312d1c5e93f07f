// NavidromeProvider against the in-process Subsonic stand-in: token, password and API-key logins and their
// detection, older API versions, paging and totals, album tracks, raw streaming, playlist create (batched) /
// list / delete and the delete guard, and error mapping (auth, failed envelopes, 5xx).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  apiVersionAtLeast,
  NavidromeProvider,
  subsonicEncodedPassword,
  subsonicToken,
} from '../../providers/media/navidrome.ts';
import { MediaServerError } from '../../providers/media/provider.ts';
import { ffmpegOrSkip, makeTone } from '../standins/audio.ts';
import { startNavidromeStandin, type NavidromeStandin, type StandinAlbumInput } from '../standins/navidrome.ts';

const skip = await ffmpegOrSkip();

function expectError(code: MediaServerError['code'], pattern?: RegExp) {
  return (err: unknown) => {
    assert.ok(err instanceof MediaServerError, `expected MediaServerError, got ${err}`);
    assert.equal(err.code, code, err.message);
    if (pattern) assert.match(err.message, pattern);
    return true;
  };
}

test('the token matches the Subsonic specification example', () => {
  // From the Subsonic / OpenSubsonic API documentation: password "sesame", salt "c19b2d".
  assert.equal(subsonicToken('sesame', 'c19b2d'), '26719a1196d2a940705a59634eb18eab');
});

test('API versions compare by number, not as text', () => {
  assert.equal(apiVersionAtLeast('1.10.2', '1.8.0'), true);
  assert.equal(apiVersionAtLeast('1.10.2', '1.13.0'), false);
  assert.equal(apiVersionAtLeast('1.16', '1.16.0'), true);
  assert.equal(apiVersionAtLeast('1.7.0', '1.8.0'), false);
});

describe('NavidromeProvider', { skip }, () => {
  let tmp: string;
  let flac: string;
  let mp3: string;
  let server: NavidromeStandin;
  const password = 'pässwörd 東京';
  // Seven albums added on consecutive days (album 7 newest) plus one with 250 songs for playlist batches.
  const dates = Array.from({ length: 7 }, (_, i) => new Date(Date.UTC(2024, 0, i + 1)).toISOString());
  let albums: StandinAlbumInput[];

  before(async () => {
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'audiomuse-navidrome-'));
    flac = path.join(tmp, 'tone.flac');
    mp3 = path.join(tmp, 'tone.mp3');
    await makeTone(flac, { seconds: 1, tags: { title: 'Tone' } });
    await makeTone(mp3, { seconds: 2, frequency: 660 });
    albums = dates.map((created, i) => ({
      id: `al-${i + 1}`,
      name: i === 2 ? 'Café del Mar – 東京' : `Album ${i + 1}`,
      artist: `Artist ${i + 1}`,
      year: 2000 + i,
      created,
      songs: [
        { title: 'One', track: 1, duration: 1, file: flac },
        { title: 'Two', track: 2, discNumber: 1, duration: 2, file: mp3 },
      ],
    }));
    albums.push({
      id: 'al-big',
      name: 'Big',
      created: '2023-01-01T00:00:00.000Z',
      songs: Array.from({ length: 250 }, (_, i) => ({ id: `big-${i}`, title: `Song ${i}`, file: flac })),
    });
    server = await startNavidromeStandin({ user: 'alice', password, albums });
  });
  after(async () => {
    await server?.close();
    await fs.rm(tmp, { recursive: true, force: true });
  });

  const provider = (extra: Partial<ConstructorParameters<typeof NavidromeProvider>[0]> = {}) =>
    new NavidromeProvider({ url: server.url, user: 'alice', password, backoffMs: 1, ...extra });

  test('pages through newest albums with salted-token requests and the x-total-count total', async () => {
    server.requests.length = 0;
    const p = provider();
    const pages = [];
    for (let start = 0; start < 9; start += 3) pages.push(await p.listRecentAlbums({ startIndex: start, limit: 3 }));
    assert.deepEqual(
      pages.map((pg) => pg.total),
      [8, 8, 8],
    );
    assert.deepEqual(
      pages.map((pg) => pg.albums.map((a) => a.id)),
      [
        ['al-7', 'al-6', 'al-5'],
        ['al-4', 'al-3', 'al-2'],
        ['al-1', 'al-big'],
      ],
    );
    const cafe = pages[1].albums[1];
    assert.deepEqual(cafe, {
      id: 'al-3',
      name: 'Café del Mar – 東京',
      artist: 'Artist 3',
      year: 2002,
      dateCreated: dates[2],
    });

    const calls = server.calls('getAlbumList2');
    assert.deepEqual(
      calls.map((c) => [c.params.get('type'), c.params.get('size'), c.params.get('offset')]),
      [
        ['newest', '3', '0'],
        ['newest', '3', '3'],
        ['newest', '3', '6'],
      ],
    );
    for (const c of calls) {
      assert.equal(c.path, '/rest/getAlbumList2.view');
      assert.equal(c.params.get('u'), 'alice');
      assert.equal(c.params.get('v'), '1.16.1');
      assert.equal(c.params.get('c'), 'AudioMuse');
      assert.equal(c.params.get('f'), 'json');
      assert.equal(c.params.has('p'), false); // the password never travels
      assert.ok(c.params.get('s')!.length >= 6);
    }
    assert.equal(new Set(calls.map((c) => c.params.get('s'))).size, calls.length, 'a fresh salt per request');
  });

  test('without x-total-count the total is derived from short and full pages', async () => {
    const bare = await startNavidromeStandin({ user: 'alice', password, albums, totalCountHeader: false });
    try {
      const p = new NavidromeProvider({ url: bare.url, user: 'alice', password });
      assert.equal((await p.listRecentAlbums({ startIndex: 0, limit: 3 })).total, 4); // full page: more may follow
      assert.equal((await p.listRecentAlbums({ startIndex: 6, limit: 3 })).total, 8); // short page: the end
      assert.equal((await p.listRecentAlbums({ startIndex: 0, limit: 8 })).total, 9);
      assert.equal((await p.listRecentAlbums({ startIndex: 0, limit: 9 })).total, 8);
    } finally {
      await bare.close();
    }
  });

  test('a limit above 500 is fetched in several getAlbumList2 calls', async () => {
    const many: StandinAlbumInput[] = Array.from({ length: 520 }, (_, i) => ({
      name: `A${i}`,
      created: new Date(Date.UTC(2020, 0, 1) + i * 60_000).toISOString(),
      songs: [],
    }));
    const big = await startNavidromeStandin({ user: 'alice', password, albums: many });
    try {
      const page = await new NavidromeProvider({ url: big.url, user: 'alice', password }).listRecentAlbums({
        startIndex: 10,
        limit: 600,
      });
      assert.equal(page.total, 520);
      assert.equal(page.albums.length, 510);
      assert.equal(page.albums[0].name, 'A509');
      assert.equal(page.albums.at(-1)!.name, 'A0');
      assert.deepEqual(
        big.calls('getAlbumList2').map((c) => [c.params.get('size'), c.params.get('offset')]),
        [
          ['500', '10'],
          ['100', '510'],
        ],
      );
    } finally {
      await big.close();
    }
  });

  test('album tracks come from getAlbum', async () => {
    const tracks = await provider().listAlbumTracks('al-3');
    assert.deepEqual(
      tracks.map((t) => [t.id, t.albumId, t.title, t.trackNumber, t.duration, t.album, t.artist]),
      [
        ['al-3-tr-1', 'al-3', 'One', 1, 1, 'Café del Mar – 東京', 'Artist 3'],
        ['al-3-tr-2', 'al-3', 'Two', 2, 2, 'Café del Mar – 東京', 'Artist 3'],
      ],
    );
    assert.match(tracks[0].path!, /\.flac$/);
    const artistId = `ar-${createHash('md5').update('Artist 3').digest('hex').slice(0, 8)}`;
    assert.deepEqual(
      tracks.map((t) => [t.artistId, t.libraryId]),
      [
        [artistId, undefined],
        [artistId, undefined],
      ],
      "the song's artistId; Subsonic names no music folder per song",
    );
    assert.deepEqual(
      await provider()
        .listAlbumTracks('al-big')
        .then((t) => t.length),
      250,
    );
  });

  test('stream returns the original bytes with format=raw and an extension', async () => {
    server.requests.length = 0;
    for (const [id, file, ext] of [
      ['al-1-tr-1', flac, '.flac'],
      ['al-1-tr-2', mp3, '.mp3'],
    ] as const) {
      const audio = await provider().openTrackAudio(id); // fresh provider: extension from Content-Type
      const chunks: Buffer[] = [];
      for await (const c of audio.stream) chunks.push(c as Buffer);
      const expected = await fs.readFile(file);
      assert.ok(Buffer.concat(chunks).equals(expected), `${id} bytes differ`);
      assert.equal(audio.extension, ext);
      assert.equal(audio.size, expected.length);
    }
    assert.deepEqual(
      server.calls('stream').map((c) => c.params.get('format')),
      ['raw', 'raw'],
    );
    await assert.rejects(provider().openTrackAudio('nope'), expectError('not_found', /data not found/));
  });

  test('creates a 250-track playlist in batches, lists it and deletes it', async () => {
    server.requests.length = 0;
    const p = provider();
    const ids = Array.from({ length: 250 }, (_, i) => `big-${249 - i}`);
    const name = 'Chill – 東京 & Café';
    const created = await p.createPlaylist(name, ids);
    assert.equal(created.name, name);
    assert.equal(created.trackCount, 250);
    assert.deepEqual(server.playlists.get(created.id)?.songIds, ids); // order kept across batches

    const create = server.calls('createPlaylist');
    assert.equal(create.length, 1);
    assert.equal(create[0].method, 'POST');
    assert.equal(create[0].params.getAll('songId').length, 100);
    assert.deepEqual(
      server.calls('updatePlaylist').map((c) => c.params.getAll('songIdToAdd').length),
      [100, 50],
    );

    assert.deepEqual(await p.listPlaylists(), [{ id: created.id, name, trackCount: 250 }]);
    await p.deletePlaylist(created.id);
    assert.deepEqual(await p.listPlaylists(), []);
    await assert.rejects(p.deletePlaylist(created.id), expectError('not_found'));
  });

  test('a playlist whose tracks the server drops is rolled back and reported', async () => {
    const p = provider();
    await assert.rejects(
      p.createPlaylist('Partly unknown', ['al-1-tr-1', 'gone-1']),
      expectError('not_found', /kept 1 of the 2/),
    );
    assert.deepEqual(await p.listPlaylists(), []);
  });

  test('a wrong password is one request and a clear auth error', async () => {
    server.requests.length = 0;
    const p = provider({ password: 'wrong' });
    await assert.rejects(
      p.listRecentAlbums({ startIndex: 0, limit: 10 }),
      expectError('auth', /Wrong username or password.*NAVIDROME_PASSWORD/),
    );
    assert.equal(server.requests.length, 1, 'auth failures are not retried');
    const health = await p.health();
    assert.equal(health.ok, false);
    assert.match(health.error!, /Subsonic error 40/);
  });

  test('health pings the server', async () => {
    assert.deepEqual(await provider().health(), { ok: true, server: 'Navidrome 0.63.2 (standin)', auth: 'token' });
    assert.equal(server.requests.at(-1)!.endpoint, 'ping');
  });

  test('a failed envelope becomes an error with the Subsonic code mapped', async () => {
    await assert.rejects(provider().listAlbumTracks('missing'), expectError('not_found', /Album not found.*error 70/));
  });

  test('5xx answers to reads are retried, then reported', async () => {
    server.requests.length = 0;
    server.failNext(2, 503);
    const page = await provider({ retries: 3 }).listRecentAlbums({ startIndex: 0, limit: 1 });
    assert.equal(page.albums[0].id, 'al-7');
    assert.equal(server.calls('getAlbumList2').length, 3);

    server.requests.length = 0;
    server.failNext(3, 500);
    await assert.rejects(provider({ retries: 2 }).listAlbumTracks('al-1'), expectError('server', /HTTP 500/));
    assert.equal(server.calls('getAlbum').length, 3);
  });

  test('a POST that got a 500 is not repeated (it may have created the playlist)', async () => {
    const p = provider({ retries: 3 });
    await p.health(); // the API version is known (1.16.1), so creating starts with createPlaylist itself
    server.requests.length = 0;
    server.failNext(1, 500);
    await assert.rejects(p.createPlaylist('Once', ['al-1-tr-1']), expectError('server'));
    assert.equal(server.calls('createPlaylist').length, 1);
  });

  test('a URL without a Subsonic API is a configuration error', async () => {
    const p = provider({ url: `${server.url}/wrong/base` });
    await assert.rejects(p.listPlaylists(), expectError('bad_config', /NAVIDROME_URL/));
  });

  test('a pasted /rest suffix and a trailing slash are accepted', async () => {
    assert.equal((await provider({ url: `${server.url}/rest/` }).health()).ok, true);
  });

  test('a server that does not answer times out', async () => {
    server.hangNext(1);
    await assert.rejects(provider({ timeoutMs: 300, retries: 0 }).listPlaylists(), expectError('timeout'));
  });

  test('password login: every request is a POST form with p=enc:<hex>, nothing secret in a URL', async () => {
    server.requests.length = 0;
    const p = provider({ auth: 'password' });
    const { albums } = await p.listRecentAlbums({ startIndex: 0, limit: 1 });
    const [track] = await p.listAlbumTracks(albums[0].id);
    const audio = await p.openTrackAudio(track.id);
    audio.stream.resume();
    const created = await p.createPlaylist('Form only', [track.id]);
    await p.deletePlaylist(created.id);
    assert.deepEqual((await p.health()).auth, 'password');
    assert.ok(server.requests.length >= 7);
    for (const r of server.requests) {
      assert.equal(r.method, 'POST', r.endpoint);
      assert.deepEqual([...r.query.keys()], [], `${r.endpoint}: the URL carries no parameters`);
      assert.equal(r.params.get('p'), subsonicEncodedPassword(password));
      assert.equal(r.params.has('t'), false);
    }
    assert.equal(subsonicEncodedPassword('sesame'), 'enc:736573616d65'); // the Subsonic documentation's example
  });

  test('auto: token where the server takes it, password on API 1.10.2, API key where only that works', async () => {
    const auto = async (
      opts: Parameters<typeof startNavidromeStandin>[0],
      extra: Partial<ConstructorParameters<typeof NavidromeProvider>[0]> = {},
    ) => {
      const s = await startNavidromeStandin({ user: 'alice', password, albums: albums.slice(0, 2), ...opts });
      try {
        const p = new NavidromeProvider({ url: s.url, user: 'alice', password, auth: 'auto', ...extra });
        const page = await p.listRecentAlbums({ startIndex: 0, limit: 5 });
        return {
          health: await p.health(),
          names: page.albums.map((a) => a.name),
          calls: s.requests.map((r) => r.endpoint),
        };
      } finally {
        await s.close();
      }
    };
    const navidrome = await auto({});
    assert.equal(navidrome.health.auth, 'token');
    assert.deepEqual(navidrome.names, ['Album 2', 'Album 1']);
    assert.deepEqual(navidrome.calls.slice(0, 2), ['ping', 'getAlbumList2'], 'one probe, then work');

    const old = await auto({ apiVersion: '1.10.2' });
    assert.deepEqual([old.health.auth, old.health.server], ['password', 'Subsonic (API 1.10.2)']);
    assert.deepEqual(old.calls.slice(0, 3), ['ping', 'ping', 'getAlbumList2'], 'token refused (10), password taken');

    const keyOnly = await auto({ logins: ['apikey'], apiKey: 'k3y-0f-alice' }, { apiKey: 'k3y-0f-alice' });
    assert.equal(keyOnly.health.auth, 'apikey');
    assert.deepEqual(keyOnly.calls.slice(0, 4), ['ping', 'getOpenSubsonicExtensions', 'ping', 'getAlbumList2']);
    assert.deepEqual(keyOnly.names, ['Album 2', 'Album 1']);

    // A key the server does not list the extension for is not tried; the error names every refusal.
    await assert.rejects(
      auto({ logins: ['apikey'], apiVersion: '1.10.2' }, { password: undefined, apiKey: 'k' }),
      expectError('auth', /apikey: not among/),
    );
    // A wrong password is final: no other method is tried with it.
    await assert.rejects(auto({}, { password: 'wrong' }), expectError('auth', /Wrong username or password/));
  });

  test('API key login sends apiKey without u, and the delete guard learns the user from tokenInfo', async () => {
    const s = await startNavidromeStandin({
      user: 'alice',
      password,
      albums: albums.slice(0, 1),
      apiKey: 'k3y-0f-alice',
    });
    try {
      const p = new NavidromeProvider({ url: s.url, apiKey: 'k3y-0f-alice', auth: 'apikey' });
      const created = await p.createPlaylist('Keyed', ['al-1-tr-1']);
      s.playlists.set('theirs', { ...s.playlists.get(created.id)!, id: 'theirs', owner: 'bob' });
      await assert.rejects(p.deletePlaylist('theirs'), expectError('refused', /belongs to bob, not alice/));
      await p.deletePlaylist(created.id);
      assert.deepEqual([...s.playlists.keys()], ['theirs']);
      for (const r of s.requests)
        assert.deepEqual([r.params.get('apiKey'), r.params.has('u')], ['k3y-0f-alice', false], r.endpoint);
      assert.ok(s.calls('tokenInfo').length === 1);
      await assert.rejects(
        new NavidromeProvider({ url: server.url, apiKey: 'k', auth: 'apikey' }).listPlaylists(),
        expectError('auth', /does not accept apikey login.*SUBSONIC_AUTH=auto/),
      );
    } finally {
      await s.close();
    }
  });

  test("another user's playlist is refused before the server is asked to delete it", async () => {
    const p = provider();
    const mine = await p.createPlaylist('Mine', ['al-1-tr-1']);
    server.playlists.set('bobs', { ...server.playlists.get(mine.id)!, id: 'bobs', name: 'Bob', owner: 'bob' });
    server.requests.length = 0;
    await assert.rejects(
      p.deletePlaylist('bobs'),
      expectError('refused', /"Bob" \(bobs\): it belongs to bob, not alice/),
    );
    assert.deepEqual(server.calls('deletePlaylist'), []);
    assert.ok(server.playlists.has('bobs'));
    server.playlists.delete('bobs');
    await p.deletePlaylist(mine.id);
  });

  test('API 1.10.2: createPlaylist answers empty, so the new id is the one that was not there before', async () => {
    const s = await startNavidromeStandin({ user: 'alice', password, albums, apiVersion: '1.10.2' });
    try {
      const p = new NavidromeProvider({ url: s.url, user: 'alice', password, auth: 'password' });
      const ids = Array.from({ length: 250 }, (_, i) => `big-${i}`);
      const a = await p.createPlaylist('Same', ids);
      const b = await p.createPlaylist('Same', ids.slice(0, 3));
      assert.notEqual(a.id, b.id);
      assert.deepEqual(s.playlists.get(a.id)?.songIds, ids);
      assert.deepEqual(s.playlists.get(b.id)?.songIds, ids.slice(0, 3));
    } finally {
      await s.close();
    }
  });

  test('a server refusing our newer API version (error 30) is asked again with its own', async () => {
    const s = await startNavidromeStandin({
      user: 'alice',
      password,
      albums: albums.slice(0, 1),
      apiVersion: '1.12.0',
      strictVersion: true,
    });
    try {
      const p = new NavidromeProvider({ url: s.url, user: 'alice', password, auth: 'password' });
      assert.equal((await p.listRecentAlbums({ startIndex: 0, limit: 1 })).albums[0].id, 'al-1');
      await p.listPlaylists();
      assert.deepEqual(
        s.requests.map((r) => r.params.get('v')),
        ['1.16.1', '1.12.0', '1.12.0'],
      );
    } finally {
      await s.close();
    }
  });

  test('a server older than API 1.8 is a clear configuration error', async () => {
    const s = await startNavidromeStandin({ user: 'alice', password, apiVersion: '1.7.0' });
    try {
      await assert.rejects(
        new NavidromeProvider({ url: s.url, user: 'alice', password, auth: 'password' }).listPlaylists(),
        expectError('bad_config', /API 1\.7\.0; AudioMuse needs 1\.8\.0/),
      );
    } finally {
      await s.close();
    }
  });
});
