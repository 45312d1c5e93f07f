// Keeps the Jellyfin stand-in and our client honest against the server's own OpenAPI documents
// (../shared/jellyfin/openapi-<version>.json): every response the stand-in gives in a full client session
// must fit the documented schema, and every request the client sends must use documented routes,
// parameter names and enum values (Jellyfin silently ignores unknown ones, so a typo would go unnoticed).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { JellyfinProvider } from '../../providers/media/jellyfin.ts';
import {
  JellyfinStandin,
  syntheticLibrary,
  writeSineWav,
  type RecordedExchange,
  type StandinVersion,
} from '../standins/jellyfin.ts';
import { OpenApiDocument } from '../standins/openapi.ts';
import { requireOrSkip, sharedDir } from '../shared-paths.ts';

const work = mkdtempSync(path.join(os.tmpdir(), 'jf-openapi-'));
const wav = path.join(work, 'tone.wav');
writeSineWav(wav);
after(() => rmSync(work, { recursive: true, force: true }));

const docPath = (v: StandinVersion) => path.join(sharedDir, 'jellyfin', `openapi-${v}.json`);
const docs = new Map<string, OpenApiDocument>();
const load = (v: StandinVersion) => {
  if (!docs.has(v)) docs.set(v, OpenApiDocument.load(docPath(v)));
  return docs.get(v)!;
};

// Statuses the documents leave out but the real server sends (reference §1.2 and §1.5): the exception
// middleware's 400/404/500 on any route, and ASP.NET range processing on file routes.
const MIDDLEWARE_STATUSES = [400, 404, 500];
const FILE_ROUTES = ['/Items/{itemId}/Download', '/Items/{itemId}/File', '/Audio/{itemId}/stream'];

/** Null values anywhere except ChannelId (the only property Jellyfin writes as null). */
function nullsIn(value: unknown, at = ''): string[] {
  if (value === null) return at.endsWith('/ChannelId') ? [] : [at || '/'];
  if (Array.isArray(value)) return value.flatMap((v, i) => nullsIn(v, `${at}/${i}`));
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => nullsIn(v, `${at}/${k}`));
  return [];
}

function responseProblems(doc: OpenApiDocument, ex: RecordedExchange): string[] {
  const route = doc.route(ex.method, ex.path);
  if (!route) return [`${ex.method} ${ex.path}: route not in OpenAPI ${doc.version}`];
  let status = ex.status;
  if (FILE_ROUTES.includes(route.template)) {
    if (status === 206) status = 200;
    if (status === 416 || status === 304) return [];
  }
  if (!route.operation.responses[String(status)] && MIDDLEWARE_STATUSES.includes(status)) return [];
  if (status >= 400) return doc.checkResponse(ex.method, ex.path, status, undefined, undefined);
  const problems = doc.checkResponse(
    ex.method,
    ex.path,
    status,
    ex.contentType,
    ex.responseHasBody ? (ex.responseBody ?? '<binary>') : undefined,
  );
  if (ex.responseBody !== undefined)
    problems.push(...nullsIn(ex.responseBody).map((p) => `${ex.method} ${ex.path}: null at ${p}`));
  return problems;
}

/** A full client session plus direct calls to the routes the client does not use. */
async function exercise(version: StandinVersion) {
  const standin = new JellyfinStandin(
    syntheticLibrary({ albums: 40, tracksPerAlbum: 4, file: wav, artists: 5 }),
    version,
  );
  const url = await standin.listen();
  const alice = standin.user('alice');
  const provider = new JellyfinProvider({ url, userId: 'alice', token: standin.apiKey, retries: 0 });
  try {
    assert.equal((await provider.health()).ok, true);
    const { albums } = await provider.listRecentAlbums({ startIndex: 0, limit: 30 });
    const tracks = await provider.listAlbumTracks(albums[0].id);
    const audio = await provider.openTrackAudio(tracks[0].id);
    for await (const _ of audio.stream); // drain
    const playlist = await provider.createPlaylist('Conformance', standin.trackIds().slice(0, 130));
    await provider.listPlaylists();
    await assert.rejects(provider.replacePlaylistTracks(playlist.id, 'Conformance', []), /API key/);
    const owner = new JellyfinProvider({ url, userId: alice.id, token: alice.token, retries: 0 });
    const replaced = await owner.replacePlaylistTracks(playlist.id, 'Conformance', standin.trackIds().slice(2, 7));
    assert.equal(replaced.trackCount, 5, 'the whole list replaced in one request');
    await assert.rejects(provider.deletePlaylist(tracks[1].id));
    await assert.rejects(provider.listAlbumTracks('0123456789abcdef0123456789abcdef'));
    standin.setUserData('alice', tracks[0].id, { playCount: 3, lastPlayed: new Date('2026-01-02T03:04:05Z') });
    standin.setUserData('alice', tracks[1].id, { favourite: true });
    assert.equal((await provider.listUsers()).length, 2);
    assert.equal((await provider.listeningHistory({ serverUserId: alice.id })).length, 2);

    const auth = { Authorization: `MediaBrowser Token="${standin.apiKey}"` };
    const get = (p: string, headers: Record<string, string> = auth) =>
      fetch(url + p, { headers }).then(async (r) => (await r.arrayBuffer(), r.status));
    const track = tracks[0].id;
    assert.equal(await get('/System/Ping'), 200);
    assert.equal(await get('/Users/Me', { Authorization: `MediaBrowser Token="${alice.token}"` }), 200);
    assert.equal(await get('/Users/Me'), 400);
    assert.equal(await get(`/Items/${track}?userId=${alice.id}`), 200);
    assert.equal(
      await get(
        `/Items?userId=${alice.id}&Recursive=true&IncludeItemTypes=MusicArtist,MusicAlbum&Fields=DateCreated,Path,SortName,ParentId,ChildCount,RecursiveItemCount,CanDelete,CanDownload,Etag&Limit=20`,
      ),
      200,
    );
    assert.equal(await get(`/Items?userId=${alice.id}`), 200);
    assert.equal(await get(`/Items?userId=root`), 400);
    assert.equal(await get(`/Items?userId=${alice.id}`, {}), 401);
    const own = { Authorization: `MediaBrowser Token="${alice.token}"` };
    assert.equal(await get(`/Playlists/${playlist.id}`), 400, 'an API key has no user (jellyfin#15600)');
    assert.equal(await get(`/Playlists/${playlist.id}`, own), 200);
    assert.equal(await get(`/Playlists/${playlist.id}/Items?userId=${alice.id}&Fields=Path`), 200);
    assert.equal(await get(`/Items/${track}/Download`, { ...auth, Range: 'bytes=0-99' }), 206);
    assert.equal(await get(`/Items/${track}/Download`, { ...auth, Range: 'bytes=99999999-' }), 416);
    assert.equal(await get(`/Items/${track}/File`), 200);
    assert.equal(await get(`/Audio/${track}/stream?static=true`, {}), 200);
    const removed = await fetch(`${url}/Playlists/${playlist.id}/Items?entryIds=${standin.trackIds()[0]}`, {
      method: 'DELETE',
      headers: own,
    });
    assert.equal(removed.status, 204);
    await provider.deletePlaylist(playlist.id);
    return standin;
  } finally {
    await standin.close();
  }
}

describe('the OpenAPI checker', () => {
  test('reports drift: camelCase keys, dashed GUIDs, undocumented parameters and enum values', (t) => {
    if (!requireOrSkip(t, docPath('10.11.11'), 'Jellyfin OpenAPI document 10.11.11')) return;
    const doc = load('10.11.11');
    const good = {
      Name: 'A',
      ServerId: 'x',
      Id: '0123456789abcdef0123456789abcdef',
      ChannelId: null,
      Type: 'Audio',
      MediaType: 'Audio',
    };
    assert.deepEqual(
      doc.checkResponse('GET', '/items', 200, 'application/json', {
        Items: [good],
        TotalRecordCount: 1,
        StartIndex: 0,
      }),
      [],
    );
    assert.notDeepEqual(
      doc.checkResponse('GET', '/Items', 200, 'application/json', { items: [good], totalRecordCount: 1 }),
      [],
    );
    assert.notDeepEqual(
      doc.checkResponse('GET', '/Items', 200, 'application/json', {
        Items: [{ ...good, Id: '01234567-89ab-cdef-0123-456789abcdef' }],
      }),
      [],
    );
    assert.notDeepEqual(
      doc.checkResponse('GET', '/Items', 200, 'application/json', { Items: [{ ...good, Type: 'Song' }] }),
      [],
    );
    const bad = doc.checkRequest('GET', '/Items?userId=root&IncludeItemTypes=Song&Fields=ProductionYear&Name=x');
    assert.equal(bad.length, 4, bad.join('\n'));
    assert.deepEqual(
      doc.checkRequest(
        'GET',
        '/Items?UserId=0123456789abcdef0123456789abcdef&includeitemtypes=MusicAlbum&SortBy=DateCreated,SortName',
      ),
      [],
    );
  });
});

for (const version of ['10.11.11', '12.0.0'] as const) {
  describe(`stand-in ${version} against openapi-${version}.json`, () => {
    test('every response of a full session fits the document, and nulls appear only as ChannelId', async (t) => {
      if (!requireOrSkip(t, docPath(version), `Jellyfin OpenAPI document ${version}`)) return;
      const doc = load(version);
      const standin = await exercise(version);
      const problems = standin.requests.flatMap((ex) => responseProblems(doc, ex));
      assert.deepEqual(problems, []);
      const statuses = new Set(standin.requests.map((r) => r.status));
      for (const s of [200, 204, 206, 400, 401, 416]) assert.ok(statuses.has(s), `the session produced a ${s}`);
    });

    test("our client's requests use documented routes, parameter names and values", async (t) => {
      if (!requireOrSkip(t, docPath(version), `Jellyfin OpenAPI document ${version}`)) return;
      const doc = load(version);
      const standin = await exercise(version);
      const ours = standin.requests.filter(
        (r) => /Client="AudioMuse"/.test(r.headers.authorization ?? '') || r.path === '/System/Info/Public',
      );
      const problems = ours.flatMap((r) => doc.checkRequest(r.method, `${r.path}?${r.query}`, r.body));
      assert.deepEqual(problems, []);
      const used = new Set(ours.map((r) => doc.route(r.method, r.path)?.operation.operationId));
      for (const op of [
        'GetPublicSystemInfo',
        'GetSystemInfo',
        'GetUsers',
        'GetItems',
        'GetItem',
        'GetDownload',
        'CreatePlaylist',
        'GetPlaylistItems',
        'GetCurrentUser',
        'UpdatePlaylist',
        'DeleteItem',
      ]) {
        assert.ok(used.has(op), `the client session used ${op}`);
      }
    });
  });
}
