// NavidromeProvider against the in-process Subsonic stand-in: token auth, paging and totals, album tracks,
// raw streaming, playlist create (batched) / list / delete, and error mapping (auth, failed envelopes, 5xx).
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { NavidromeProvider, subsonicToken } from '../../activities/media/navidrome.ts';
import { MediaServerError } from '../../activities/media/provider.ts';
import { hasFfmpeg, makeTone } from '../standins/audio.ts';
import { startNavidromeStandin, type NavidromeStandin, type StandinAlbumInput } from '../standins/navidrome.ts';

const ffmpeg = await hasFfmpeg();
if (!ffmpeg && process.env.CI) throw new Error('ffmpeg is not on PATH; CI must install it');
const skip = ffmpeg ? false : 'ffmpeg is not on PATH; skipped';

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
    assert.deepEqual(pages.map((pg) => pg.total), [8, 8, 8]);
    assert.deepEqual(pages.map((pg) => pg.albums.map((a) => a.id)), [
      ['al-7', 'al-6', 'al-5'], ['al-4', 'al-3', 'al-2'], ['al-1', 'al-big'],
    ]);
    const cafe = pages[1].albums[1];
    assert.deepEqual(cafe, { id: 'al-3', name: 'Café del Mar – 東京', artist: 'Artist 3', year: 2002, dateCreated: dates[2] });

    const calls = server.calls('getAlbumList2');
    assert.deepEqual(calls.map((c) => [c.params.get('type'), c.params.get('size'), c.params.get('offset')]), [
      ['newest', '3', '0'], ['newest', '3', '3'], ['newest', '3', '6'],
    ]);
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
      name: `A${i}`, created: new Date(Date.UTC(2020, 0, 1) + i * 60_000).toISOString(), songs: [],
    }));
    const big = await startNavidromeStandin({ user: 'alice', password, albums: many });
    try {
      const page = await new NavidromeProvider({ url: big.url, user: 'alice', password })
        .listRecentAlbums({ startIndex: 10, limit: 600 });
      assert.equal(page.total, 520);
      assert.equal(page.albums.length, 510);
      assert.equal(page.albums[0].name, 'A509');
      assert.equal(page.albums.at(-1)!.name, 'A0');
      assert.deepEqual(big.calls('getAlbumList2').map((c) => [c.params.get('size'), c.params.get('offset')]), [
        ['500', '10'], ['100', '510'],
      ]);
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
    assert.deepEqual(await provider().listAlbumTracks('al-big').then((t) => t.length), 250);
  });

  test('stream returns the original bytes with format=raw and an extension', async () => {
    server.requests.length = 0;
    for (const [id, file, ext] of [['al-1-tr-1', flac, '.flac'], ['al-1-tr-2', mp3, '.mp3']] as const) {
      const audio = await provider().openTrackAudio(id); // fresh provider: extension from Content-Type
      const chunks: Buffer[] = [];
      for await (const c of audio.stream) chunks.push(c as Buffer);
      const expected = await fs.readFile(file);
      assert.ok(Buffer.concat(chunks).equals(expected), `${id} bytes differ`);
      assert.equal(audio.extension, ext);
      assert.equal(audio.size, expected.length);
    }
    assert.deepEqual(server.calls('stream').map((c) => c.params.get('format')), ['raw', 'raw']);
    await assert.rejects(provider().openTrackAudio('nope'), expectError('not_found', /Song not found/));
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
    assert.deepEqual(server.calls('updatePlaylist').map((c) => c.params.getAll('songIdToAdd').length), [100, 50]);

    assert.deepEqual(await p.listPlaylists(), [{ id: created.id, name, trackCount: 250 }]);
    await p.deletePlaylist(created.id);
    assert.deepEqual(await p.listPlaylists(), []);
    await assert.rejects(p.deletePlaylist(created.id), expectError('not_found'));
  });

  test('a playlist whose tracks the server drops is rolled back and reported', async () => {
    const p = provider();
    await assert.rejects(p.createPlaylist('Partly unknown', ['al-1-tr-1', 'gone-1']), expectError('not_found', /kept 1 of the 2/));
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
    assert.deepEqual(await provider().health(), { ok: true, server: 'Navidrome 0.63.2 (standin)' });
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
    server.requests.length = 0;
    server.failNext(1, 500);
    await assert.rejects(provider({ retries: 3 }).createPlaylist('Once', ['al-1-tr-1']), expectError('server'));
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
    await assert.rejects(
      provider({ timeoutMs: 300, retries: 0 }).listPlaylists(),
      expectError('timeout'),
    );
  });
});
