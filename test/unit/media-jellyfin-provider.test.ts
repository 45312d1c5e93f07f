// JellyfinProvider against the Jellyfin stand-in (10.11 and 12.0 behaviour): paging, tracks, downloads with
// cleanup, playlists in batches, the delete guard, auth errors, user-name resolution, retries and timeouts.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { downloadToTemp } from '../../providers/media/download.ts';
import { JellyfinProvider, type JellyfinOptions } from '../../providers/media/jellyfin.ts';
import { MediaServerError } from '../../providers/media/provider.ts';
import {
  guid,
  JellyfinStandin,
  syntheticLibrary,
  writeSineWav,
  type StandinLibrary,
  type StandinVersion,
} from '../standins/jellyfin.ts';

const work = mkdtempSync(path.join(os.tmpdir(), 'jf-provider-'));
const wav = path.join(work, 'tone.wav');
const wavBytes = writeSineWav(wav, 0.5);
after(() => rmSync(work, { recursive: true, force: true }));

const smallLibrary = (): StandinLibrary => syntheticLibrary({ albums: 140, tracksPerAlbum: 2, file: wav, artists: 7 });

async function start(library: StandinLibrary, version: StandinVersion = '10.11.11', options = {}) {
  const standin = new JellyfinStandin(library, version, options);
  const url = await standin.listen();
  const provider = (over: Partial<JellyfinOptions> = {}) =>
    new JellyfinProvider({
      url,
      userId: standin.user('alice').id,
      token: standin.apiKey,
      retries: 2,
      backoffMs: 1,
      timeoutMs: 5000,
      ...over,
    });
  return { standin, url, provider };
}

const isError = (code: MediaServerError['code'], pattern?: RegExp) => (err: unknown) => {
  assert.ok(err instanceof MediaServerError, `expected MediaServerError, got ${String(err)}`);
  assert.equal(err.code, code, err.message);
  if (pattern) assert.match(err.message, pattern);
  return true;
};

const calls = (s: JellyfinStandin, method: string, re: RegExp) =>
  s.requests.filter((r) => r.method === method && re.test(r.path));

describe('paging a 5,000-album library', () => {
  let env: Awaited<ReturnType<typeof start>>;
  before(async () => {
    // Albums come in groups of 7 sharing a DateCreated, and the stand-in returns ties in a new order on
    // every request, so pages only line up if the client sends a tiebreak.
    env = await start(syntheticLibrary({ albums: 5000, tracksPerAlbum: 1, file: wav, sameDate: 7 }));
  });
  after(() => env.standin.close());

  test('pages of 1,200 cover every album once, newest first, with requests of at most 500', async () => {
    const provider = env.provider();
    const seen: string[] = [];
    let previous = Infinity;
    let total = -1;
    for (let start = 0; ;) {
      const page = await provider.listRecentAlbums({ startIndex: start, limit: 1200 });
      total = page.total;
      for (const a of page.albums) {
        assert.ok(a.dateCreated, 'DateCreated requested through Fields');
        const t = Date.parse(a.dateCreated!);
        assert.ok(t <= previous, `album ${a.name} (${a.dateCreated}) is newer than the one before it`);
        previous = t;
        assert.ok(a.artist?.startsWith('Artist '));
        seen.push(a.id);
      }
      start += page.albums.length;
      if (page.albums.length < 1200) break;
    }
    assert.equal(total, 5000);
    assert.equal(seen.length, 5000);
    assert.equal(new Set(seen).size, 5000, 'no album twice (stable order across pages)');
    assert.deepEqual(seen, env.standin.albumIdsNewestFirst());
    const itemCalls = calls(env.standin, 'GET', /^\/Items$/);
    assert.ok(itemCalls.length >= 10);
    for (const r of itemCalls) {
      assert.ok(Number(r.query.get('Limit')) <= 500, `Limit=${r.query.get('Limit')}`);
      assert.match(r.headers.authorization ?? '', /^MediaBrowser .*Token="/);
      assert.equal(r.headers['x-emby-token'], undefined);
      assert.equal(r.query.get('api_key'), null);
    }
  });

  test('a page past the end is empty and still reports the total', async () => {
    const page = await env.provider().listRecentAlbums({ startIndex: 5000, limit: 50 });
    assert.deepEqual(page.albums, []);
    assert.equal(page.total, 5000);
  });
});

describe('tracks and downloads', () => {
  let env: Awaited<ReturnType<typeof start>>;
  const library: StandinLibrary = {
    artists: [
      {
        name: 'Disc Artist',
        albums: [
          {
            name: 'Two Discs',
            year: 1999,
            // Given out of order: the client must ask the server for disc/track order.
            tracks: [
              { title: 'Second disc opener', file: wav, discNumber: 2, trackNumber: 1, durationSeconds: 61.5 },
              { title: 'Closer', file: wav, discNumber: 1, trackNumber: 2, durationSeconds: 90 },
              { title: 'Opener', file: wav, discNumber: 1, trackNumber: 1, durationSeconds: 30 },
            ],
          },
        ],
      },
    ],
  };
  let albumId: string;
  before(async () => {
    env = await start(library);
    albumId = env.standin.albumIdsNewestFirst()[0];
  });
  after(() => env.standin.close());

  test('lists an album in disc and track order with seconds, artist (name and id), library and path', async () => {
    const tracks = await env.provider().listAlbumTracks(albumId);
    assert.deepEqual(
      tracks.map((t) => t.title),
      ['Opener', 'Closer', 'Second disc opener'],
    );
    assert.deepEqual(
      tracks.map((t) => [t.discNumber, t.trackNumber]),
      [
        [1, 1],
        [1, 2],
        [2, 1],
      ],
    );
    assert.deepEqual(
      tracks.map((t) => t.duration),
      [30, 90, 61.5],
    );
    for (const t of tracks) {
      assert.equal(t.albumId, albumId);
      assert.equal(t.artist, 'Disc Artist');
      assert.equal(t.artistId, guid('artist:Disc Artist'), 'ArtistItems[0].Id');
      assert.equal(t.libraryId, env.standin.libraryId, 'the CollectionFolder among the album ancestors');
      assert.equal(t.album, 'Two Discs');
      assert.match(t.path ?? '', /\.wav$/, 'Path requested through Fields');
    }
  });

  test('an unknown album id is a clear error', async () => {
    await assert.rejects(
      env.provider().listAlbumTracks('0123456789abcdef0123456789abcdef'),
      isError('not_found', /no album with id 0123456789abcdef/),
    );
  });

  test('downloadToTemp streams the original bytes into TEMP_DIR and dispose() removes them', async () => {
    const tempDir = path.join(work, 'temp-ok');
    const [track] = await env.provider().listAlbumTracks(albumId);
    const file = await downloadToTemp(env.provider(), track.id, tempDir);
    assert.equal(path.dirname(file.path), tempDir);
    assert.equal(path.extname(file.path), '.wav');
    assert.equal(file.bytes, wavBytes);
    assert.deepEqual(readFileSync(file.path), readFileSync(wav));
    await file.dispose();
    await file.dispose();
    assert.deepEqual(readdirSync(tempDir), []);
  });

  test('a download that fails leaves nothing in TEMP_DIR: unknown track, cut connection, stall, abort', async () => {
    const tempDir = path.join(work, 'temp-fail');
    const [track] = await env.provider().listAlbumTracks(albumId);
    await assert.rejects(
      downloadToTemp(env.provider(), 'ffffffffffffffffffffffffffffffff', tempDir),
      isError('not_found', /no track/),
    );
    assert.deepEqual(readdirSync(tempDir), []);

    env.standin.addFault({ path: /\/Download$/i, cutAfterBytes: 1000, times: 1 });
    await assert.rejects(downloadToTemp(env.provider(), track.id, tempDir));
    assert.deepEqual(readdirSync(tempDir), []);

    env.standin.addFault({ path: /\/Download$/i, stallAfterBytes: 1000, times: 1 });
    await assert.rejects(downloadToTemp(env.provider({ timeoutMs: 300 }), track.id, tempDir), isError('timeout'));
    assert.deepEqual(readdirSync(tempDir), []);

    env.standin.addFault({ path: /\/Download$/i, stallAfterBytes: 1000, times: 1 });
    const abort = new AbortController();
    const pending = downloadToTemp(env.provider(), track.id, tempDir, { signal: abort.signal });
    setTimeout(() => abort.abort(new Error('analysis cancelled')), 100);
    await assert.rejects(pending, /cancelled|abort/i);
    assert.deepEqual(readdirSync(tempDir), []);
  });

  test('a user without download permission gets an actionable 403', async () => {
    await env.standin.close();
    env = await start(library, '10.11.11', { users: [{ name: 'alice', canDownload: false }] });
    const [track] = await env.provider().listAlbumTracks(env.standin.albumIdsNewestFirst()[0]);
    const provider = env.provider({ token: env.standin.user('alice').token });
    await assert.rejects(provider.openTrackAudio(track.id), isError('auth', /Allow media downloading/));
  });
});

describe('playlists', () => {
  let env: Awaited<ReturnType<typeof start>>;
  before(async () => {
    env = await start(smallLibrary());
  });
  after(() => env.standin.close());

  test('creating with 250 ids sends them all in the one create call, as the configured user, whole or not at all', async () => {
    const ids = env.standin.trackIds().slice(0, 250);
    const playlist = await env.provider().createPlaylist('Mix 250', ids);
    assert.equal(playlist.trackCount, 250);
    const [create] = calls(env.standin, 'POST', /^\/Playlists$/);
    const body = create.body as { Name: string; Ids: string[]; UserId: string; MediaType: string };
    assert.equal(body.Name, 'Mix 250');
    assert.equal(body.MediaType, 'Audio');
    assert.equal(body.UserId, env.standin.user('alice').id);
    assert.deepEqual(body.Ids, ids);
    assert.equal(calls(env.standin, 'POST', new RegExp(`^/Playlists/${playlist.id}/Items$`)).length, 0);
    const stored = env.standin.playlists().find((p) => p.id === playlist.id)!;
    assert.deepEqual(stored.entries, ids);
    assert.equal(stored.ownerId, env.standin.user('alice').id);
  });

  test('an API key may not change a playlist in place (Jellyfin answers 400): refused without a request', async () => {
    const [a, b] = env.standin.trackIds();
    const playlist = await env.provider().createPlaylist('Keyed', [a]);
    await assert.rejects(
      env.provider().replacePlaylistTracks(playlist.id, 'Keyed', [b]),
      isError('refused', /API key/),
    );
    assert.equal(calls(env.standin, 'POST', new RegExp(`^/Playlists/${playlist.id}$`)).length, 0);
    const own = env.provider({ token: env.standin.user('alice').token });
    assert.equal((await own.replacePlaylistTracks(playlist.id, 'Keyed', [b])).trackCount, 1, "the owner's token may");
    assert.deepEqual(env.standin.playlists().find((p) => p.id === playlist.id)!.entries, [b]);
  });

  test('as a person: the same token creates and lists playlists as that user', async () => {
    const [a] = env.standin.trackIds();
    const admin = await env.provider().asPerson({ serverUserId: env.standin.user('admin').id });
    const made = await admin.createPlaylist('For Admin', [a]);
    assert.equal(env.standin.playlists().find((p) => p.id === made.id)!.ownerId, env.standin.user('admin').id);
    await assert.rejects(env.provider().asPerson({ serverUserId: 'admin' }), isError('bad_config', /user id/));
  });

  test('names are not unique: two creates give two playlists, deleting one keeps the other', async () => {
    const [a, b] = env.standin.trackIds();
    const first = await env.provider().createPlaylist('Same name', [a]);
    const second = await env.provider().createPlaylist('Same name', [b]);
    assert.notEqual(first.id, second.id);
    const listed = (await env.provider().listPlaylists()).filter((p) => p.name === 'Same name');
    assert.deepEqual(listed.map((p) => p.id).sort(), [first.id, second.id].sort());
    assert.deepEqual(
      listed.map((p) => p.trackCount),
      [1, 1],
    );
    await env.provider().deletePlaylist(first.id);
    assert.deepEqual(
      (await env.provider().listPlaylists()).filter((p) => p.name === 'Same name').map((p) => p.id),
      [second.id],
    );
  });

  test('repeated ids are sent once, so 10.11 and 12.0 store the same playlist', async () => {
    const [a, b] = env.standin.trackIds();
    const p = await env.provider().createPlaylist('Repeats', [a, b, a, a]);
    assert.deepEqual(env.standin.playlists().find((x) => x.id === p.id)!.entries, [a, b]);
  });

  test('the delete guard refuses a track id and sends no DELETE', async () => {
    const track = env.standin.trackIds()[3];
    const before = calls(env.standin, 'DELETE', /.*/).length;
    await assert.rejects(env.provider().deletePlaylist(track), isError('refused', /not a playlist/));
    assert.equal(calls(env.standin, 'DELETE', /.*/).length, before);
    assert.deepEqual(env.standin.deletedFiles, []);
    assert.equal(env.standin.itemKind(track), 'Audio');
    const album = env.standin.albumIdsNewestFirst()[0];
    await assert.rejects(env.provider().deletePlaylist(album), isError('refused', /MusicAlbum/));
    assert.equal(env.standin.itemKind(album), 'MusicAlbum');
  });

  test("another user's playlist we can see is refused, not a login error: publishing leaves it alone", async () => {
    const [a] = env.standin.trackIds();
    // Made by the admin (public, as Jellyfin's DTO defaults), seen by alice, not hers to delete.
    const shared = await env.provider({ userId: env.standin.user('admin').id }).createPlaylist('Shared_automatic', [a]);
    const alice = env.provider({ token: env.standin.user('alice').token });
    await assert.rejects(alice.deletePlaylist(shared.id), isError('refused', /may not delete playlist/));
    assert.ok(env.standin.playlists().some((p) => p.id === shared.id));
  });

  test('deleting an unknown playlist is a not_found error', async () => {
    await assert.rejects(
      env.provider().deletePlaylist('00000000000000000000000000000001'),
      isError('not_found', /no playlist/),
    );
  });
});

describe('errors, retries and timeouts', () => {
  let env: Awaited<ReturnType<typeof start>>;
  before(async () => {
    env = await start(smallLibrary());
  });
  after(() => env.standin.close());

  test('a token the server rejects is an auth error naming JELLYFIN_TOKEN, without retries', async () => {
    const before = env.standin.requests.length;
    await assert.rejects(
      env.provider({ token: 'not-a-token' }).listRecentAlbums({ startIndex: 0, limit: 5 }),
      (err: unknown) => {
        isError('auth', /JELLYFIN_TOKEN/)(err);
        assert.equal((err as MediaServerError).status, 401);
        assert.doesNotMatch((err as Error).message, /not-a-token/, 'the token never appears in messages');
        return true;
      },
    );
    assert.equal(env.standin.requests.length - before, 1);
    const health = await env.provider({ token: 'not-a-token' }).health();
    assert.equal(health.ok, false);
    assert.equal(health.server, 'Jellyfin 10.11.11', 'the public endpoint still answers');
    assert.match(health.error ?? '', /JELLYFIN_TOKEN/);
  });

  test('a user name in JELLYFIN_USER_ID is resolved once through GET /Users', async () => {
    const before = calls(env.standin, 'GET', /^\/Users$/).length;
    const provider = env.provider({ userId: 'ALICE' });
    await provider.listRecentAlbums({ startIndex: 0, limit: 3 });
    await provider.listPlaylists();
    assert.equal(calls(env.standin, 'GET', /^\/Users$/).length - before, 1);
    const last = env.standin.requests.at(-1)!;
    assert.equal(last.query.get('userId'), env.standin.user('alice').id);
  });

  test('a name that matches no user explains what to put in JELLYFIN_USER_ID', async () => {
    await assert.rejects(
      env.provider({ userId: 'root' }).listRecentAlbums({ startIndex: 0, limit: 3 }),
      isError('bad_config', /JELLYFIN_USER_ID="root".*32 hex.*users: alice, admin/s),
    );
  });

  test('a user id that does not exist is a not_found error naming JELLYFIN_USER_ID', async () => {
    await assert.rejects(
      env.provider({ userId: 'abcdefabcdefabcdefabcdefabcdefab' }).listRecentAlbums({ startIndex: 0, limit: 3 }),
      isError('not_found', /JELLYFIN_USER_ID/),
    );
  });

  test("a user token asking for another user's library is refused with an explanation", async () => {
    const provider = env.provider({ token: env.standin.user('alice').token, userId: env.standin.user('admin').id });
    await assert.rejects(
      provider.listRecentAlbums({ startIndex: 0, limit: 3 }),
      isError('auth', /403.*JELLYFIN_USER_ID/s),
    );
  });

  test('5xx answers are retried with backoff until success', async () => {
    env.standin.addFault({ method: 'GET', path: /^\/Items$/i, status: 500, times: 2 });
    const before = calls(env.standin, 'GET', /^\/Items$/).length;
    const page = await env.provider().listRecentAlbums({ startIndex: 0, limit: 10 });
    assert.equal(page.albums.length, 10);
    assert.equal(calls(env.standin, 'GET', /^\/Items$/).length - before, 3);
  });

  test('5xx that persists ends with a server error after the configured retries', async () => {
    env.standin.addFault({ method: 'GET', path: /^\/Items$/i, status: 502, times: 3 });
    const before = calls(env.standin, 'GET', /^\/Items$/).length;
    await assert.rejects(
      env.provider({ retries: 2 }).listRecentAlbums({ startIndex: 0, limit: 10 }),
      isError('server', /HTTP 502/),
    );
    assert.equal(calls(env.standin, 'GET', /^\/Items$/).length - before, 3);
  });

  test('a playlist create that got a 500 is not retried (it may have been created); a 503 is', async () => {
    const ids = env.standin.trackIds().slice(0, 2);
    env.standin.addFault({ method: 'POST', path: /^\/Playlists$/i, status: 500, times: 1 });
    let before = calls(env.standin, 'POST', /^\/Playlists$/).length;
    await assert.rejects(env.provider().createPlaylist('Once', ids), isError('server'));
    assert.equal(calls(env.standin, 'POST', /^\/Playlists$/).length - before, 1);

    env.standin.addFault({ method: 'POST', path: /^\/Playlists$/i, status: 503, times: 1 });
    before = calls(env.standin, 'POST', /^\/Playlists$/).length;
    const p = await env.provider().createPlaylist('After startup', ids);
    assert.equal(calls(env.standin, 'POST', /^\/Playlists$/).length - before, 2);
    assert.equal(env.standin.playlists().filter((x) => x.name === 'After startup').length, 1);
    assert.equal(p.trackCount, 2);
  });

  test('a hung server ends in a timeout error after the retries', async () => {
    env.standin.addFault({ path: /^\/Items$/i, hang: true, times: 2 });
    const before = calls(env.standin, 'GET', /^\/Items$/).length;
    await assert.rejects(
      env.provider({ timeoutMs: 200, retries: 1 }).listRecentAlbums({ startIndex: 0, limit: 5 }),
      isError('timeout', /did not answer .*within 200 ms \(2 attempts\)/),
    );
    assert.equal(calls(env.standin, 'GET', /^\/Items$/).length - before, 2);
  });

  test('a server that is starting up is reported as such', async () => {
    env.standin.startingUp = true;
    try {
      const health = await env.provider({ retries: 0 }).health();
      assert.equal(health.ok, false);
      assert.match(health.error ?? '', /starting up/);
    } finally {
      env.standin.startingUp = false;
    }
  });

  test('an unreachable server is a network error naming the URL', async () => {
    const { standin, url } = await start(smallLibrary());
    await standin.close();
    const provider = new JellyfinProvider({
      url,
      userId: standin.user('alice').id,
      token: standin.apiKey,
      retries: 1,
      backoffMs: 1,
    });
    await assert.rejects(provider.listPlaylists(), isError('network', new RegExp(`unreachable.*127\\.0\\.0\\.1`)));
  });
});

describe('Jellyfin 12.0', () => {
  let env: Awaited<ReturnType<typeof start>>;
  before(async () => {
    env = await start(smallLibrary(), '12.0.0');
  });
  after(() => env.standin.close());

  test('legacy token forms are rejected while our Authorization header works', async () => {
    const items = `${env.url}/Items?userId=${env.standin.user('alice').id}&IncludeItemTypes=MusicAlbum&Recursive=true&Limit=1`;
    assert.equal((await fetch(items, { headers: { 'X-Emby-Token': env.standin.apiKey } })).status, 401);
    assert.equal((await fetch(`${items}&api_key=${env.standin.apiKey}`)).status, 401);
    assert.equal(
      (await fetch(items, { headers: { Authorization: `Emby Token="${env.standin.apiKey}"` } })).status,
      401,
    );
    assert.equal((await fetch(`${items}&ApiKey=${env.standin.apiKey}`)).status, 200);
    const provider = env.provider();
    assert.equal((await provider.listRecentAlbums({ startIndex: 0, limit: 20 })).albums.length, 20);
    assert.deepEqual(await provider.health(), { ok: true, server: 'Jellyfin 12.0.0' });
    const ids = env.standin.trackIds().slice(0, 120);
    const p = await provider.createPlaylist('Twelve', ids);
    assert.deepEqual(env.standin.playlists().find((x) => x.id === p.id)!.entries, ids);
  });

  test('the same legacy forms still work on 10.11 (so the stand-in modes differ)', async () => {
    const old = await start(smallLibrary(), '10.11.11');
    try {
      const items = `${old.url}/Items?userId=${old.standin.user('alice').id}&IncludeItemTypes=MusicAlbum&Recursive=true&Limit=1`;
      assert.equal((await fetch(items, { headers: { 'X-Emby-Token': old.standin.apiKey } })).status, 200);
      assert.equal((await fetch(`${items}&api_key=${old.standin.apiKey}`)).status, 200);
    } finally {
      await old.standin.close();
    }
  });
});

test('a server mounted under a base path works when JELLYFIN_URL includes it', async () => {
  const { standin, provider } = await start(smallLibrary(), '10.11.11', { basePath: '/jellyfin' });
  try {
    assert.equal((await provider().listRecentAlbums({ startIndex: 0, limit: 5 })).albums.length, 5);
    assert.ok(standin.requests.every((r) => r.status === 200));
  } finally {
    await standin.close();
  }
});
