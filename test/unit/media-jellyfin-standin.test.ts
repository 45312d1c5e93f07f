// The Jellyfin stand-in's own behaviour, where the OpenAPI documents are silent (reference §1.2-1.7, §7):
// Range downloads, DELETE semantics, playlist duplicates per version, visibility, paging counts, start-up.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { JellyfinStandin, syntheticLibrary, writeSineWav, type StandinVersion } from '../standins/jellyfin.ts';

const work = mkdtempSync(path.join(os.tmpdir(), 'jf-standin-'));
const wav = path.join(work, 'tone.wav');
writeSineWav(wav, 0.3);
const wavData = readFileSync(wav);
after(() => rmSync(work, { recursive: true, force: true }));

/** The JSON shapes read here: a query result or a creation result. */
type Json = { Items: Record<string, string | null>[]; TotalRecordCount: number; StartIndex: number; Id: string };
const json = async (r: Promise<Response>) => (await (await r).json()) as Json;

async function start(version: StandinVersion = '10.11.11') {
  const standin = new JellyfinStandin(
    syntheticLibrary({ albums: 6, tracksPerAlbum: 3, file: wav, artists: 2 }),
    version,
  );
  const url = await standin.listen();
  const key = { Authorization: `MediaBrowser Token="${standin.apiKey}"` };
  const call = (method: string, p: string, headers: Record<string, string> = key, body?: unknown) =>
    fetch(url + p, {
      method,
      headers: body === undefined ? headers : { ...headers, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  return { standin, url, key, call };
}

describe('downloads', () => {
  let env: Awaited<ReturnType<typeof start>>;
  before(async () => (env = await start()));
  after(() => env.standin.close());

  test('full, ranged, suffix and unsatisfiable requests follow ASP.NET range processing', async () => {
    const id = env.standin.trackIds()[0];
    const full = await env.call('GET', `/Items/${id}/Download`);
    assert.equal(full.status, 200);
    assert.equal(full.headers.get('accept-ranges'), 'bytes');
    assert.equal(full.headers.get('content-type'), 'audio/wav');
    assert.equal(full.headers.get('etag'), null);
    assert.match(
      full.headers.get('content-disposition') ?? '',
      /^attachment; filename="01 - Song 1\.1\.wav"; filename\*=UTF-8''01%20-%20Song%201\.1\.wav$/,
    );
    assert.ok(full.headers.get('last-modified'));
    assert.deepEqual(Buffer.from(await full.arrayBuffer()), wavData);

    const part = await env.call('GET', `/Items/${id}/Download`, { ...env.key, Range: 'bytes=10-19' });
    assert.equal(part.status, 206);
    assert.equal(part.headers.get('content-range'), `bytes 10-19/${wavData.length}`);
    assert.deepEqual(Buffer.from(await part.arrayBuffer()), wavData.subarray(10, 20));

    const tail = await env.call('GET', `/Items/${id}/Download`, { ...env.key, Range: 'bytes=-5' });
    assert.equal(tail.status, 206);
    assert.deepEqual(Buffer.from(await tail.arrayBuffer()), wavData.subarray(wavData.length - 5));

    const beyond = await env.call('GET', `/Items/${id}/Download`, { ...env.key, Range: `bytes=${wavData.length}-` });
    assert.equal(beyond.status, 416);
    assert.equal(beyond.headers.get('content-range'), `bytes */${wavData.length}`);
  });

  test('the stream endpoint is anonymous while Download needs a token', async () => {
    const id = env.standin.trackIds()[0];
    assert.equal((await env.call('GET', `/Audio/${id}/stream?static=true`, {})).status, 200);
    assert.equal((await env.call('GET', `/Items/${id}/Download`, {})).status, 401);
  });
});

describe('items', () => {
  let env: Awaited<ReturnType<typeof start>>;
  before(async () => (env = await start()));
  after(() => env.standin.close());

  test('DELETE /Items/{id} on a track deletes it and its file, which is why clients must guard it', async () => {
    const id = env.standin.trackIds()[0];
    assert.equal((await env.call('DELETE', `/Items/${id}`)).status, 204);
    assert.deepEqual(env.standin.deletedFiles, [wav]);
    assert.equal((await env.call('GET', `/Items/${id}`)).status, 404);
  });

  test('DateCreated and Path appear only when requested through Fields; ChannelId is always null', async () => {
    const uid = env.standin.user('alice').id;
    const plain = await json(env.call('GET', `/Items?userId=${uid}&IncludeItemTypes=Audio&Recursive=true&Limit=1`));
    const item = plain.Items[0];
    assert.equal(item.DateCreated, undefined);
    assert.equal(item.Path, undefined);
    assert.equal(item.ChannelId, null);
    assert.match(String(item.Id), /^[0-9a-f]{32}$/);
    const rich = await json(
      env.call(
        'GET',
        `/Items?userId=${uid}&IncludeItemTypes=Audio&Recursive=true&Limit=1&fields=DateCreated&fields=Path`,
      ),
    );
    assert.match(String(rich.Items[0].DateCreated), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.0000000Z$/);
    assert.match(String(rich.Items[0].Path), /\.wav$/);
  });

  test('TotalRecordCount is the count before paging, and only when paging with counting enabled', async () => {
    const q = `/Items?userId=${env.standin.user('alice').id}&IncludeItemTypes=MusicAlbum&Recursive=true`;
    const paged = await json(env.call('GET', `${q}&StartIndex=2&Limit=2`));
    assert.deepEqual([paged.Items.length, paged.TotalRecordCount, paged.StartIndex], [2, 6, 2]); // 6 albums in the library
    const uncounted = await json(env.call('GET', `${q}&Limit=2&EnableTotalRecordCount=false`));
    assert.equal(uncounted.TotalRecordCount, 2);
  });

  test('user rules: a user name is a 400, an unknown id a 404, another user with a user token a 403', async () => {
    const alice = env.standin.user('alice');
    const asAlice = { Authorization: `MediaBrowser Token="${alice.token}"` };
    assert.equal((await env.call('GET', '/Items?userId=alice')).status, 400);
    assert.equal((await env.call('GET', '/Items?userId=0123456789abcdef0123456789abcdef')).status, 404);
    assert.equal((await env.call('GET', `/Items?userId=${env.standin.user('admin').id}`, asAlice)).status, 403);
    assert.equal((await env.call('GET', `/Items?userId=${alice.id}`, asAlice)).status, 200);
  });

  test('start-up answers 503 everywhere except /System/Ping', async () => {
    env.standin.startingUp = true;
    try {
      assert.equal((await env.call('GET', '/System/Info/Public')).status, 503);
      assert.equal((await env.call('GET', '/System/Ping')).status, 200);
    } finally {
      env.standin.startingUp = false;
    }
  });
});

describe('playlists', () => {
  for (const [version, expected] of [
    ['10.11.11', 2],
    ['12.0.0', 3],
  ] as const) {
    test(`${version}: adding an id already present ${expected === 2 ? 'is ignored' : 'adds a duplicate'}`, async () => {
      const env = await start(version);
      try {
        const [a, b] = env.standin.trackIds();
        const uid = env.standin.user('alice').id;
        const created = await json(
          env.call('POST', '/Playlists', env.key, { Name: 'P', Ids: [a, b], UserId: uid, MediaType: 'Audio' }),
        );
        assert.equal((await env.call('POST', `/Playlists/${created.Id}/Items?ids=${a}&userId=${uid}`)).status, 204);
        assert.equal(env.standin.playlists()[0].entries.length, expected);
        const items = await json(env.call('GET', `/Playlists/${created.Id}/Items?userId=${uid}`));
        for (const it of items.Items) assert.equal(it.PlaylistItemId, it.Id);
      } finally {
        await env.standin.close();
      }
    });
  }

  test('an API key without a user id cannot create a playlist; a body without Name is invalid', async () => {
    const env = await start();
    try {
      assert.equal((await env.call('POST', '/Playlists', env.key, { Name: 'No user', Ids: [] })).status, 400);
      assert.equal(
        (await env.call('POST', '/Playlists', env.key, { Ids: [], UserId: env.standin.user('alice').id })).status,
        400,
      );
      assert.deepEqual(env.standin.playlists(), []);
    } finally {
      await env.standin.close();
    }
  });

  test('body-created playlists are public; query-created ones are private to their owner', async () => {
    const env = await start();
    try {
      const admin = env.standin.user('admin').id;
      await env.call('POST', '/Playlists', env.key, { Name: 'Public', Ids: [], UserId: admin, MediaType: 'Audio' });
      await env.call('POST', `/Playlists?name=Private&userId=${admin}&mediaType=Audio`);
      const seen = await json(
        env.call('GET', `/Items?userId=${env.standin.user('alice').id}&IncludeItemTypes=Playlist&Recursive=true`),
      );
      assert.deepEqual(
        seen.Items.map((p) => p.Name),
        ['Public'],
      );
    } finally {
      await env.standin.close();
    }
  });
});
