// The Subsonic provider against a real Subsonic server, Debian's Supysonic (API 1.10.2, password login only),
// over a library of real music clips: login detection, paging, tracks, audio bytes and their analysis, a
// 250-track playlist, the delete guard, a wrong password, a server that is down. Then the Navidrome stand-in,
// playing a 1.10.2 server, is checked against the shapes Supysonic answers for the same calls.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { analyzeTrack } from '../../engines/analysis/analyze-track.ts';
import { createMediaProvider } from '../../providers/media/index.ts';
import { NavidromeProvider, subsonicEncodedPassword, type NavidromeOptions } from '../../providers/media/navidrome.ts';
import { MediaServerError, type Album } from '../../providers/media/provider.ts';
import { mediaServerHealth } from '../../lib/health.ts';
import { makeClipLibrary, type ClipLibrary } from '../helpers/analysis-library.ts';
import { diffShapes, jsonShape } from '../helpers/json-shape.ts';
import { startSupysonic, supysonicSkip, type Supysonic } from '../helpers/supysonic.ts';
import { tagWav } from '../helpers/wav-tags.ts';
import { modelsDir, requireOrSkip } from '../shared-paths.ts';
import { writeSineWav } from '../standins/jellyfin.ts';
import { writeM3u8 } from '../../engines/playlists/playlist-files.ts';
import { startNavidromeStandin, type NavidromeStandin } from '../standins/navidrome.ts';

const skip = supysonicSkip();
const alice = { name: 'alice', password: 'Pässwörd 東京 & co', admin: true };
const bob = { name: 'bob', password: 'bob-secret-1' };
const BIG = 250;

const isError = (code: MediaServerError['code'], pattern?: RegExp) => (err: unknown) => {
  assert.ok(err instanceof MediaServerError, `expected a MediaServerError, got ${String(err)}`);
  assert.equal(err.code, code, err.message);
  if (pattern) assert.match(err.message, pattern);
  return true;
};

describe('Subsonic provider against a real Supysonic', { skip }, () => {
  let work: string;
  let lib: ClipLibrary;
  let server: Supysonic;
  /** Album name -> date its files carry (Supysonic dates an album by its oldest file). */
  const dates = new Map<string, Date>();
  const bigFiles: string[] = [];
  const provider = (extra: Partial<NavidromeOptions> = {}) =>
    new NavidromeProvider({
      url: server.url,
      user: alice.name,
      password: alice.password,
      auth: 'password',
      retries: 0,
      ...extra,
    });

  before(async () => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'media-supysonic-'));
    const musicDir = path.join(work, 'music');
    lib = await makeClipLibrary(musicDir, { albums: 3, tracksPerAlbum: 2, seconds: 8 });
    for (const f of lib.files) {
      const date = new Date(Date.UTC(2024, 0, 1 + Number(f.album.split(' ')[1])));
      dates.set(f.album, date);
      fs.utimesSync(f.file, date, date);
    }
    // An older album of 250 tiny tagged WAVs, for a playlist longer than two update batches.
    dates.set('Big', new Date(Date.UTC(2023, 0, 1)));
    for (let i = 0; i < BIG; i++) {
      const file = path.join(musicDir, 'Big Artist', 'Big', `${String(i + 1).padStart(3, '0')}.wav`);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      writeSineWav(file, 0.02, 8000, 200 + i);
      tagWav(file, { title: `Big ${i + 1}`, artist: 'Big Artist', album: 'Big', track: i + 1 });
      fs.utimesSync(file, dates.get('Big')!, dates.get('Big')!);
      bigFiles.push(file);
    }
    server = await startSupysonic({ musicDir, users: [alice, bob] });
  });
  after(async () => {
    await server?.stop();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  test('auto finds the password login (tokens get error 10 on API 1.10.2) and health says so', async () => {
    const media = await createMediaProvider(
      {
        mediaServerType: 'navidrome',
        navidromeUrl: server.url,
        navidromeUser: alice.name,
        navidromePassword: alice.password,
        subsonicAuth: 'auto',
      },
      { retries: 0 },
    );
    assert.deepEqual(await mediaServerHealth(media), {
      ok: true,
      server: 'Subsonic (API 1.10.2)',
      auth: 'password',
      type: 'navidrome',
    });
  });

  test('the token login is refused with a message that says what to set', async () => {
    await assert.rejects(
      provider({ auth: 'token' }).listRecentAlbums({ startIndex: 0, limit: 1 }),
      isError('auth', /API 1\.10\.2 does not accept token login \(tokens need API 1\.13\.0\).*SUBSONIC_AUTH=password/),
    );
  });

  test('recent albums come newest first, page by page, with derived totals', async () => {
    const expected = [...dates.entries()].sort((a, b) => b[1].getTime() - a[1].getTime()).map(([name]) => name);
    const p = provider();
    const seen: Album[] = [];
    const totals: number[] = [];
    for (let start = 0; ; start += 2) {
      const page = await p.listRecentAlbums({ startIndex: start, limit: 2 });
      seen.push(...page.albums);
      totals.push(page.total);
      if (page.albums.length < 2) break;
    }
    assert.deepEqual(
      seen.map((a) => a.name),
      expected,
    );
    assert.deepEqual(
      seen.map((a) => Date.parse(a.dateCreated!)),
      expected.map((n) => dates.get(n)!.getTime()),
    );
    // Full pages say "at least one more"; the short (here empty) last page gives the exact count.
    assert.deepEqual(totals, [3, 5, 4]);
    assert.deepEqual(
      seen.map((a) => a.artist),
      expected.map((n) => (n === 'Big' ? 'Big Artist' : lib.files.find((f) => f.album === n)!.artist)),
    );
  });

  test('album tracks match the files, and a track opens with its original bytes, which analyse as the file does', async (t) => {
    const p = provider();
    const { albums } = await p.listRecentAlbums({ startIndex: 0, limit: 10 });
    const album = albums.find((a) => a.name === 'Album 1')!;
    const tracks = await p.listAlbumTracks(album.id);
    const files = lib.files.filter((f) => f.album === 'Album 1');
    assert.deepEqual(
      tracks.map((x) => [x.title, x.trackNumber, x.artist, x.album]),
      files.map((f, i) => [f.title, i + 1, f.artist, 'Album 1']),
    );
    assert.deepEqual(
      tracks.map((x) => x.duration),
      [8, 8],
    );
    // Each song's artistId is the server's id of its artist (getArtists names them).
    const body = new URLSearchParams({
      u: alice.name,
      p: subsonicEncodedPassword(alice.password),
      v: '1.10.2',
      c: 'test',
      f: 'json',
    });
    const index = (await (await fetch(`${server.url}/rest/getArtists.view`, { method: 'POST', body })).json()) as {
      'subsonic-response': { artists: { index: { artist: { id: string; name: string }[] }[] } };
    };
    const idOf = new Map(index['subsonic-response'].artists.index.flatMap((i) => i.artist.map((a) => [a.name, a.id])));
    for (const a of albums)
      for (const x of await p.listAlbumTracks(a.id))
        assert.equal(x.artistId, idOf.get(x.artist!), `${x.title} by ${x.artist}`);

    const audio = await p.openTrackAudio(tracks[1].id);
    const chunks: Buffer[] = [];
    for await (const c of audio.stream) chunks.push(c as Buffer);
    const bytes = Buffer.concat(chunks);
    assert.ok(bytes.equals(fs.readFileSync(files[1].file)), 'format=raw gives the original file');
    assert.equal(audio.extension, '.ogg');
    assert.equal(audio.size, bytes.length);

    if (!requireOrSkip(t, path.join(modelsDir, 'msd-musicnn-1.onnx'), 'MusiCNN ONNX models (MODELS_DIR)')) return;
    const streamed = await analyzeTrack((await p.openTrackAudio(tracks[1].id)).stream, { modelsDir });
    const local = await analyzeTrack(files[1].file, { modelsDir });
    assert.ok(Math.abs(streamed.durationSec - 8) < 0.1, `duration ${streamed.durationSec}`);
    assert.deepEqual([...streamed.embedding], [...local.embedding]);
    assert.deepEqual(streamed.moodHeads, local.moodHeads);
    assert.equal(streamed.tempo, local.tempo);
  });

  test('a playlist file written from the paths Supysonic reports opens the songs from the music folder', async () => {
    const p = provider();
    const { albums } = await p.listRecentAlbums({ startIndex: 0, limit: 10 });
    const tracks = (
      await Promise.all(albums.filter((a) => a.name !== 'Big').map((a) => p.listAlbumTracks(a.id)))
    ).flat();
    assert.ok(tracks.length === 6 && tracks.every((x) => x.path), 'every song has the path the server reports');
    const musicDir = path.join(work, 'music');
    const file = writeM3u8(
      {
        name: 'Supysonic mix',
        date: new Date(0).toISOString(),
        tracks: tracks.map((x) => ({
          ...x,
          durationSec: x.duration ?? null,
          album: x.album ?? null,
          artist: x.artist ?? null,
          path: x.path ?? null,
        })),
      },
      musicDir,
    );
    assert.equal(file.withoutPath, 0);
    const entries = file.body.split('\n').filter((l) => l && !l.startsWith('#'));
    // Written into the music folder, each entry names the song's own file.
    assert.deepEqual(
      entries.map((e) =>
        fs
          .readFileSync(path.resolve(musicDir, e))
          .equals(fs.readFileSync(lib.files.find((f) => f.title === tracks[entries.indexOf(e)].title)!.file)),
      ),
      entries.map(() => true),
    );
  });

  test('a 250-track playlist is created in batches, read back, listed and deleted', async () => {
    const p = provider();
    const { albums } = await p.listRecentAlbums({ startIndex: 0, limit: 10 });
    const big = await p.listAlbumTracks(albums.find((a) => a.name === 'Big')!.id);
    assert.equal(big.length, BIG);
    const wanted = big.map((x) => x.id).reverse(); // an order the album does not have
    const created = await p.createPlaylist('Big mix – 東京', wanted);
    assert.equal(created.trackCount, BIG);
    assert.deepEqual(await server.members(created.id), wanted);
    assert.deepEqual(
      (await p.listPlaylists()).filter((x) => x.id === created.id),
      [{ id: created.id, name: 'Big mix – 東京', trackCount: BIG }],
    );
    await p.deletePlaylist(created.id);
    await assert.rejects(server.members(created.id), /no playlist/);
  });

  test("a radio's playlist is replaced in one request: same id, exactly the new songs in their order", async () => {
    const p = provider();
    const { albums } = await p.listRecentAlbums({ startIndex: 0, limit: 10 });
    const big = (await p.listAlbumTracks(albums.find((a) => a.name === 'Big')!.id)).map((x) => x.id);
    const created = await p.createPlaylist('Radio – replaced', big.slice(0, 5));
    const next = [...big.slice(100, 230)].reverse();
    const replaced = await p.replacePlaylistTracks(created.id, 'Radio – replaced', next);
    assert.equal(replaced.id, created.id);
    assert.equal(replaced.trackCount, next.length);
    assert.deepEqual(await server.members(created.id), next);
    await p.deletePlaylist(created.id);
  });

  test("another user's playlist is never deleted, even by an admin account the server would let", async () => {
    const asBob = provider({ user: bob.name, password: bob.password });
    const { albums } = await asBob.listRecentAlbums({ startIndex: 0, limit: 1 });
    const song = (await asBob.listAlbumTracks(albums[0].id))[0].id;
    const theirs = await asBob.createPlaylist('Bob only', [song]);
    await assert.rejects(provider().deletePlaylist(theirs.id), isError('refused', /belongs to bob, not alice/));
    assert.deepEqual(await server.members(theirs.id), [song], 'still there');
    await asBob.deletePlaylist(theirs.id); // its owner may
    await assert.rejects(server.members(theirs.id), /no playlist/);
  });

  test('a wrong password is a clear auth error that never shows the password', async () => {
    const wrong = 'wrong-Pässwörd-42';
    const p = provider({ password: wrong, auth: 'auto' });
    const err = await p.listPlaylists().then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(isError('auth', /Wrong username or password.*NAVIDROME_PASSWORD/)(err));
    const text = `${(err as Error).message} ${(err as Error).stack}`;
    assert.ok(!text.includes(wrong) && !text.includes(subsonicEncodedPassword(wrong).slice(4)), text);
    const health = await p.health();
    assert.equal(health.ok, false);
    assert.match(health.error!, /Subsonic error 40/);
  });

  describe('the stand-in answers in the shapes Supysonic does', () => {
    let standin: NavidromeStandin;
    before(async () => {
      standin = await startNavidromeStandin({
        user: alice.name,
        password: alice.password,
        apiVersion: '1.10.2',
        totalCountHeader: false,
        albums: [...new Set(lib.files.map((f) => f.album))].map((album) => ({
          name: album,
          artist: lib.files.find((f) => f.album === album)!.artist,
          created: dates.get(album)!.toISOString(),
          songs: lib.files
            .filter((f) => f.album === album)
            .map((f, i) => ({ title: f.title, track: i + 1, discNumber: 1, duration: 8, file: f.file })),
        })),
      });
    });
    after(() => standin?.close());

    /** One raw call with the password login, as a POST form; the parsed JSON. */
    const raw = async (
      base: string,
      method: string,
      params: Record<string, string> = {},
      password = alice.password,
    ) => {
      const body = new URLSearchParams({
        u: alice.name,
        p: subsonicEncodedPassword(password),
        v: '1.16.1',
        c: 'shape-test',
        f: 'json',
        ...params,
      });
      const res = await fetch(`${base}/rest/${method}.view`, { method: 'POST', body });
      return { status: res.status, json: (await res.json()) as unknown };
    };

    test('every call AudioMuse makes: same keys with the same JSON types', async () => {
      const first = async (base: string) => {
        const list = (await raw(base, 'getAlbumList2', { type: 'newest', size: '1' })).json as {
          'subsonic-response': { albumList2: { album: { id: string }[] } };
        };
        const albumId = list['subsonic-response'].albumList2.album[0].id;
        const album = (await raw(base, 'getAlbum', { id: albumId })).json as {
          'subsonic-response': { album: { song: { id: string }[] } };
        };
        return { albumId, songId: album['subsonic-response'].album.song[0].id };
      };
      const real = await first(server.url);
      const fake = await first(standin.url);
      const calls: [string, (ids: { albumId: string; songId: string }) => Record<string, string>, string?][] = [
        ['ping', () => ({})],
        ['getAlbumList2', () => ({ type: 'newest', size: '2', offset: '0' })],
        ['getAlbumList2', () => ({ type: 'newest', size: '2', offset: '50' })], // past the end: empty list
        ['getAlbum', (ids) => ({ id: ids.albumId })],
        ['getSong', (ids) => ({ id: ids.songId })],
        ['getPlaylists', () => ({})], // none yet
        ['createPlaylist', (ids) => ({ name: 'Shape', songId: ids.songId })],
        ['getAlbum', () => ({ id: '00000000-0000-4000-8000-000000000000' })], // error 70
        ['ping', () => ({}), 'wrong password'], // error 40
      ];
      const differences: Record<string, ReturnType<typeof diffShapes>> = {};
      for (const [i, [method, params, password]] of calls.entries()) {
        const a = await raw(server.url, method, params(real), password);
        const b = await raw(standin.url, method, params(fake), password);
        assert.equal(b.status, a.status, `${method}: HTTP status`);
        differences[`${i} ${method}`] = diffShapes(jsonShape(a.json), jsonShape(b.json));
      }
      // Playlists, now that each server has one.
      const realId = (
        (await raw(server.url, 'getPlaylists')).json as {
          'subsonic-response': { playlists: { playlist: { id: string }[] } };
        }
      )['subsonic-response'].playlists.playlist[0].id;
      const fakeId = [...standin.playlists.keys()][0];
      for (const [method, a, b] of [
        ['getPlaylists', {}, {}],
        ['getPlaylist', { id: realId }, { id: fakeId }],
        [
          'updatePlaylist',
          { playlistId: realId, songIndexToRemove: '0' },
          { playlistId: fakeId, songIndexToRemove: '0' },
        ],
        ['deletePlaylist', { id: realId }, { id: fakeId }],
      ] as const) {
        const ra = await raw(server.url, method, a);
        const rb = await raw(standin.url, method, b);
        differences[method] = diffShapes(jsonShape(ra.json), jsonShape(rb.json));
      }
      const none = { missing: [], wrongType: [] };
      assert.deepEqual(differences, Object.fromEntries(Object.keys(differences).map((k) => [k, none])));
      // A method Supysonic lacks (what `auto` asks before trying an API key): without a login "parameter
      // missing", with one a 404 "Unknown method", from both.
      const anonymous = async (base: string) => {
        const r = await fetch(`${base}/rest/getOpenSubsonicExtensions.view?f=json&v=1.16.1&c=shape-test`);
        return { status: r.status, json: (await r.json()) as unknown };
      };
      const code = (r: { json: unknown }) =>
        (r.json as { 'subsonic-response': { error?: { code: number } } })['subsonic-response'].error?.code;
      for (const [label, ask] of [
        ['anonymous', anonymous],
        ['logged in', (base: string) => raw(base, 'getOpenSubsonicExtensions')],
      ] as const) {
        const [a, b] = [await ask(server.url), await ask(standin.url)];
        assert.deepEqual([b.status, code(b)], [a.status, code(a)], label);
        assert.deepEqual(diffShapes(jsonShape(a.json), jsonShape(b.json)), { missing: [], wrongType: [] }, label);
      }
      assert.deepEqual(
        [(await raw(server.url, 'getOpenSubsonicExtensions')).status, code(await anonymous(server.url))],
        [404, 10],
      );
    });
  });

  test('a server that is down is a network error, and health says so', async () => {
    await server.stop();
    const p = provider({ timeoutMs: 5000 });
    await assert.rejects(p.listPlaylists(), isError('network'));
    const health = await p.health();
    assert.equal(health.ok, false);
    assert.equal(health.auth, 'password');
  });
});
