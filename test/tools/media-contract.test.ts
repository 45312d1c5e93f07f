// The media contract: one table of cases (paging edges, unknown ids, the delete guard, duplicate, non-ASCII and
// blank playlist names, 250-track, empty and partly unknown playlists) run against every source over one library:
// the local folder, the Jellyfin stand-in (10.11 and 12.0), the Navidrome stand-in (with and without the
// x-total-count header) and a real Supysonic server (password login, API 1.10.2). Expected values come from the
// library description or from the servers' own storage (stand-in state, .m3u8 files on disk, Supysonic's
// database), never from the provider under test.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createMediaProvider } from '../../providers/media/index.ts';
import { LocalFolderProvider, PLAYLIST_MARKER } from '../../providers/media/local.ts';
import {
  MediaServerError,
  type Album,
  type AlbumPage,
  type MediaProvider,
  type Track,
} from '../../providers/media/provider.ts';
import {
  guid,
  JellyfinStandin,
  shuffle,
  writeSineWav,
  type StandinLibrary,
  type StandinVersion,
} from '../standins/jellyfin.ts';
import { startNavidromeStandin, type StandinAlbumInput } from '../standins/navidrome.ts';
import { startSupysonic, supysonicSkip } from '../helpers/supysonic.ts';
import { tagWav } from '../helpers/wav-tags.ts';

// ---------------------------------------------------------------------------------------------------------------
// The library: 30 albums by 6 artists, 9–13 tracks each (330 in all). Albums come in bulk-import groups of three
// sharing one date, so paging must break ties the same way on every request. One artist, one album and its
// tracks have non-ASCII names. Every track is its own tiny tagged WAV with its own tone, so bytes identify a track
// (the tags let a real server that reads them, Supysonic, group the files into the same albums).

const ALBUMS = 30;
const ARTISTS = ['Artist 1', 'Artist 2', 'Café del Mar', 'Artist 4', 'Artist 5', 'Artist 6'];

interface DescribedAlbum {
  artist: string;
  name: string;
  date: Date;
  titles: string[];
  files: string[];
}

const work = mkdtempSync(path.join(os.tmpdir(), 'media-contract-'));
const musicDir = path.join(work, 'music');
after(() => rmSync(work, { recursive: true, force: true }));

const described: DescribedAlbum[] = Array.from({ length: ALBUMS }, (_, a) => {
  const artist = ARTISTS[a % ARTISTS.length];
  const name = a === 7 ? 'Ñandú – 東京' : `Album ${String(a + 1).padStart(2, '0')}`;
  const titles = Array.from({ length: 9 + (a % 5) }, (_, t) =>
    a === 7 ? `Ñandú 夜 ${t + 1}` : `Song ${a + 1}.${t + 1}`,
  );
  const date = new Date(Date.UTC(2024, 0, 1 + Math.floor(a / 3)));
  const files = titles.map((title, t) =>
    path.join(musicDir, artist, name, `${String(t + 1).padStart(2, '0')} - ${title}.wav`),
  );
  return { artist, name, date, titles, files };
});
const TRACKS = described.reduce((n, a) => n + a.titles.length, 0);
const fileOfTitle = new Map(described.flatMap((a) => a.titles.map((t, i): [string, string] => [t, a.files[i]])));
const albumByName = new Map(described.map((a) => [a.name, a]));
/** Album dates newest first: what every listing's dates must be, in this order. */
const expectedDates = described.map((a) => a.date.getTime()).sort((x, y) => y - x);

let tone = 0;
for (const album of described) {
  for (const [t, file] of album.files.entries()) {
    mkdirSync(path.dirname(file), { recursive: true });
    writeSineWav(file, 0.02, 8000, 200 + 3 * tone++);
    tagWav(file, { title: album.titles[t], artist: album.artist, album: album.name, track: t + 1 });
    utimesSync(file, album.date, album.date); // the local folder (and Supysonic) date an album by its files
  }
}

const jellyfinLibrary: StandinLibrary = {
  artists: ARTISTS.map((artist) => ({
    name: artist,
    albums: described
      .filter((a) => a.artist === artist)
      .map((a) => ({
        name: a.name,
        dateCreated: a.date.toISOString(),
        tracks: a.titles.map((title, t) => ({ title, file: a.files[t], trackNumber: t + 1, durationSeconds: 1 })),
      })),
  })),
};
const navidromeAlbums: StandinAlbumInput[] = described.map((a) => ({
  name: a.name,
  artist: a.artist,
  created: a.date.toISOString(),
  songs: a.titles.map((title, t) => ({ title, artist: a.artist, file: a.files[t], track: t + 1, duration: 1 })),
}));

// ---------------------------------------------------------------------------------------------------------------
// The sources, and where they legitimately differ.

interface Source {
  label: string;
  provider: MediaProvider;
  /**
   * `exact`: total is the number of albums. `derived`: a Subsonic server without Navidrome's x-total-count
   * header has no count at all, so the provider derives one from page lengths: exact once a short page has shown
   * the end, one past the page while pages come back full (so `while (start < total)` loops continue).
   */
  totals: 'exact' | 'derived';
  /**
   * deletePlaylist(a track or album id). Jellyfin ids name any item and DELETE /Items/{id} would delete the
   * media files, so the provider looks the item up and refuses it. Subsonic deletePlaylist and the local folder
   * only ever look among playlists, so a track or album id simply names no playlist.
   */
  nonPlaylistDelete: 'refused' | 'not_found';
  /**
   * createPlaylist with an id the server does not have. Jellyfin skips unknown ids itself (MediaType is set)
   * and the provider reports the count the server holds; Navidrome drops them too, but the provider reads the
   * playlist back and refuses a short one (deleting it); the local folder checks before writing. Publishing
   * filters through existingTrackIds first, so this only matters for a track removed in between.
   */
  unknownTrackInPlaylist: 'left-out' | 'refused';
  /**
   * createPlaylist with a track id twice. Jellyfin 10.10/10.11 drop repeats and 12.0 keeps them, so the provider
   * sends each id once and every version stores the same list; Navidrome and an .m3u8 keep what they are given.
   */
  repeatedTracks: 'once' | 'kept';
  /** Ids shaped like this server's own that name nothing. */
  unknownAlbumId: string;
  unknownTrackId: string;
  /** The playlist's track ids in order, read from the server's storage rather than through the provider. */
  members(playlistId: string): Promise<string[]>;
  /**
   * Media files the server has deleted (must stay empty: no playlist operation may touch media). Absent where
   * the API has no call that deletes media (Subsonic), so there is nothing to watch.
   */
  lostMedia?: () => string[];
  close(): Promise<void>;
}

type SourceFactory = () => Promise<Source>;

const localSource: SourceFactory = async () => {
  const playlistDir = path.join(musicDir, 'Playlists'); // PLAYLIST_DIR's default sits inside MUSIC_DIR
  const provider = await createMediaProvider({ mediaServerType: 'local', musicDir, playlistDir });
  return {
    label: 'local folder',
    provider,
    totals: 'exact',
    nonPlaylistDelete: 'not_found',
    unknownTrackInPlaylist: 'refused',
    repeatedTracks: 'kept',
    unknownAlbumId: `a${'0'.repeat(20)}`,
    unknownTrackId: `t${'0'.repeat(20)}`,
    async members(playlistId) {
      const listed = (await provider.listPlaylists()).find((p) => p.id === playlistId);
      assert.ok(listed, `playlist ${playlistId} is listed`);
      const files = (await fs.readdir(playlistDir)).filter((f) => f.endsWith('.m3u8'));
      // The file is found by its #PLAYLIST name and entry count; names can repeat, so it must be unique here.
      const candidates = [];
      for (const f of files) {
        const lines = readFileSync(path.join(playlistDir, f), 'utf8').split('\n');
        const entries = lines.filter((l) => l !== '' && !l.startsWith('#'));
        if (lines.includes(`#PLAYLIST:${listed.name}`) && entries.length === listed.trackCount)
          candidates.push(entries);
      }
      assert.equal(candidates.length, 1, `one .m3u8 holds playlist ${JSON.stringify(listed.name)}`);
      const idByFile = new Map<string, string>();
      const { albums } = await provider.listRecentAlbums({ startIndex: 0, limit: 1000 });
      for (const a of albums)
        for (const t of await provider.listAlbumTracks(a.id)) idByFile.set(await provider.localFile!(t.id), t.id);
      return candidates[0].map((rel) => {
        const id = idByFile.get(path.resolve(playlistDir, rel));
        assert.ok(id, `${rel} resolves to a track of the library`);
        return id;
      });
    },
    lostMedia: () => described.flatMap((a) => a.files).filter((f) => !existsSync(f)),
    async close() {
      LocalFolderProvider.clearCache();
      await fs.rm(playlistDir, { recursive: true, force: true });
    },
  };
};

const jellyfinSource =
  (version: StandinVersion, auth: 'user token' | 'API key'): SourceFactory =>
  async () => {
    const standin = new JellyfinStandin(jellyfinLibrary, version);
    const url = await standin.listen();
    const alice = standin.user('alice');
    const provider = await createMediaProvider(
      {
        mediaServerType: 'jellyfin',
        jellyfinUrl: url,
        jellyfinUserId: alice.id,
        jellyfinToken: auth === 'API key' ? standin.apiKey : alice.token,
        mediaTimeoutMs: 10_000,
      },
      { retries: 0 },
    );
    return {
      label: `Jellyfin ${version} stand-in (${auth})`,
      provider,
      totals: 'exact',
      nonPlaylistDelete: 'refused',
      unknownTrackInPlaylist: 'left-out',
      repeatedTracks: 'once',
      unknownAlbumId: guid('album:nobody/nothing/99'),
      unknownTrackId: guid('audio:nothing'),
      members: async (id) => {
        const stored = standin.playlists().find((p) => p.id === id);
        assert.ok(stored, `the stand-in stores playlist ${id}`);
        return stored.entries;
      },
      lostMedia: () => [...standin.deletedFiles],
      close: () => standin.close(),
    };
  };

const navidromeSource =
  (totalCountHeader: boolean): SourceFactory =>
  async () => {
    const standin = await startNavidromeStandin({ albums: navidromeAlbums, totalCountHeader });
    const provider = await createMediaProvider(
      {
        mediaServerType: 'navidrome',
        navidromeUrl: standin.url,
        navidromeUser: 'admin',
        navidromePassword: 'sesame',
        mediaTimeoutMs: 10_000,
      },
      { retries: 0 },
    );
    return {
      label: totalCountHeader ? 'Navidrome stand-in' : 'Subsonic stand-in without x-total-count',
      provider,
      totals: totalCountHeader ? 'exact' : 'derived',
      nonPlaylistDelete: 'not_found',
      unknownTrackInPlaylist: 'refused',
      repeatedTracks: 'kept',
      unknownAlbumId: 'al-999',
      unknownTrackId: 'al-999-tr-1',
      members: async (id) => {
        const stored = standin.playlists.get(id);
        assert.ok(stored, `the stand-in stores playlist ${id}`);
        return [...stored.songIds];
      },
      close: () => standin.close(),
    };
  };

const supysonicSource: SourceFactory = async () => {
  const user = { name: 'alice', password: 'Sésame 東京' };
  const server = await startSupysonic({ musicDir, users: [user] });
  const provider = await createMediaProvider(
    {
      mediaServerType: 'navidrome',
      navidromeUrl: server.url,
      navidromeUser: user.name,
      navidromePassword: user.password,
      subsonicAuth: 'password',
      mediaTimeoutMs: 10_000,
    },
    { retries: 0 },
  );
  return {
    label: 'Supysonic (real server, password login)',
    provider,
    totals: 'derived', // no x-total-count
    nonPlaylistDelete: 'not_found',
    unknownTrackInPlaylist: 'refused', // Supysonic refuses the whole createPlaylist (error 70) and keeps nothing
    repeatedTracks: 'kept',
    unknownAlbumId: '00000000-0000-4000-8000-000000000000', // Supysonic ids are UUIDs
    unknownTrackId: '00000000-0000-4000-8000-000000000001',
    members: (id) => server.members(id),
    close: () => server.stop(),
  };
};

const SOURCES: [string, SourceFactory][] = [
  ['local', localSource],
  ['jellyfin-10.11', jellyfinSource('10.11.11', 'user token')],
  ['jellyfin-12.0', jellyfinSource('12.0.0', 'API key')],
  ['navidrome', navidromeSource(true)],
  ['subsonic', navidromeSource(false)],
  ['supysonic', supysonicSource],
];
/** Sources that need something installed: skipped with the reason, or failing under CI (supysonicSkip). */
const SKIPS: Record<string, false | string> = { supysonic: supysonicSkip() };

// ---------------------------------------------------------------------------------------------------------------
// Helpers

interface Catalog {
  /** The whole listing in one call. */
  albums: Album[];
  tracksByAlbum: Map<string, Track[]>;
  tracks: Track[];
}

const catalogs = new WeakMap<Source, Promise<Catalog>>();

/** Lists everything once per source (the first case checks it against the description). */
function catalog(s: Source): Promise<Catalog> {
  let c = catalogs.get(s);
  if (!c) {
    c = (async () => {
      const { albums } = await s.provider.listRecentAlbums({ startIndex: 0, limit: 1000 });
      const tracksByAlbum = new Map<string, Track[]>();
      for (const a of albums) tracksByAlbum.set(a.id, await s.provider.listAlbumTracks(a.id));
      return { albums, tracksByAlbum, tracks: [...tracksByAlbum.values()].flat() };
    })();
    catalogs.set(s, c);
  }
  return c;
}

const isError = (code: MediaServerError['code']) => (err: unknown) => {
  assert.ok(err instanceof MediaServerError, `expected a MediaServerError, got ${String(err)}`);
  assert.equal(err.code, code, err.message);
  return true;
};

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** What `total` must be for page (start, limit) of the 30 albums, under the source's total semantics. */
function checkTotal(s: Source, start: number, limit: number, page: AlbumPage): void {
  const at = `total of page (${start}, ${limit})`;
  const len = page.albums.length;
  if (s.totals === 'exact') return assert.equal(page.total, ALBUMS, at);
  if (start > ALBUMS) assert.ok(page.total <= start, `${at} = ${page.total}: claims albums from ${start} on`);
  else if (len < limit) assert.equal(page.total, ALBUMS, `${at}: a short page shows the end`);
  else if (start + len < ALBUMS)
    assert.ok(
      page.total > start + len && page.total <= ALBUMS,
      `${at} = ${page.total}: must say more follow, never more than there are`,
    );
  else
    assert.ok(
      page.total === ALBUMS || page.total === ALBUMS + 1,
      `${at} = ${page.total}: a full last page cannot tell whether more follow`,
    );
}

const ids = (items: { id: string }[]) => items.map((i) => i.id);

// ---------------------------------------------------------------------------------------------------------------
// The cases

const PAGES: [label: string, startIndex: number, limit: number][] = [
  ['limit 0: the total alone', 0, 0],
  ['first album (limit 1)', 0, 1],
  ['limit larger than the library', 0, ALBUMS + 20],
  ['limit exactly the library', 0, ALBUMS],
  ['middle, limit 1', 15, 1],
  ['middle page splitting a same-date group', 13, 7],
  ['last album', ALBUMS - 1, 1],
  ['page crossing the end', ALBUMS - 3, 10],
  ['start exactly at the end', ALBUMS, 10],
  ['start past the end', ALBUMS + 5, 10],
];

interface Case {
  name: string;
  /** Sources the case applies to (default: all), with the reason in a comment where it is restricted. */
  only?: string[];
  run(s: Source): Promise<void>;
}

const CASES: Case[] = [
  {
    name: 'the library is the described one: albums newest first, tracks in order',
    async run(s) {
      const { albums, tracksByAlbum, tracks } = await catalog(s);
      assert.deepEqual(albums.map((a) => a.name).sort(), described.map((a) => a.name).sort());
      assert.deepEqual(
        albums.map((a) => Date.parse(a.dateCreated ?? '')),
        expectedDates,
      );
      for (const a of albums) {
        const d = albumByName.get(a.name)!;
        assert.equal(a.artist, d.artist, a.name);
        assert.deepEqual(
          tracksByAlbum.get(a.id)!.map((t) => t.title),
          d.titles,
          a.name,
        );
      }
      assert.equal(tracks.length, TRACKS);
      assert.ok(TRACKS >= 300);
      assert.equal(new Set(ids(tracks)).size, TRACKS, 'track ids are unique');
      assert.equal(new Set(ids(albums)).size, ALBUMS, 'album ids are unique');
    },
  },
  ...PAGES.map(([label, start, limit]): Case => ({
    name: `paging: ${label} (startIndex ${start}, limit ${limit})`,
    async run(s) {
      const { albums } = await catalog(s);
      const page = await s.provider.listRecentAlbums({ startIndex: start, limit });
      assert.deepEqual(ids(page.albums), ids(albums.slice(start, start + limit)));
      checkTotal(s, start, limit, page);
    },
  })),
  {
    name: 'paging: pages of 1, 7, 30 and 45 concatenate to the one big listing, ending by short page or by total',
    async run(s) {
      const { albums } = await catalog(s);
      for (const limit of [1, 7, 30, 45]) {
        // A short page ends the walk (cli/commands/albums.ts, activities/library.ts).
        const byShortPage: Album[] = [];
        for (let start = 0; ; start += limit) {
          const page = await s.provider.listRecentAlbums({ startIndex: start, limit });
          checkTotal(s, start, limit, page);
          byShortPage.push(...page.albums);
          if (page.albums.length < limit) break;
          assert.ok(start < 100, 'the walk ends');
        }
        assert.deepEqual(ids(byShortPage), ids(albums), `limit ${limit}, until a short page`);
        // `while (start < total)` must neither stop early nor run on.
        const byTotal: Album[] = [];
        let requests = 0;
        for (let start = 0, total = 1; start < total; requests++) {
          const page = await s.provider.listRecentAlbums({ startIndex: start, limit });
          byTotal.push(...page.albums);
          start += page.albums.length;
          total = page.total;
          if (page.albums.length === 0) break;
        }
        assert.deepEqual(ids(byTotal), ids(albums), `limit ${limit}, while start < total`);
        assert.ok(requests <= Math.ceil(ALBUMS / limit) + 1, `limit ${limit}: ${requests} requests`);
      }
    },
  },
  {
    name: 'unknown ids: listAlbumTracks and openTrackAudio are not_found; a real track opens with its bytes',
    async run(s) {
      const { albums, tracksByAlbum } = await catalog(s);
      for (const id of [s.unknownAlbumId, 'no-such-album']) {
        await assert.rejects(s.provider.listAlbumTracks(id), isError('not_found'), `listAlbumTracks(${id})`);
      }
      for (const id of [s.unknownTrackId, 'no-such-track']) {
        await assert.rejects(s.provider.openTrackAudio(id), isError('not_found'), `openTrackAudio(${id})`);
      }
      // The control: the same calls work for ids the server has, and the bytes are the described file's.
      const track = tracksByAlbum.get(albums[4].id)![2];
      const audio = await s.provider.openTrackAudio(track.id);
      assert.deepEqual(await readAll(audio.stream), readFileSync(fileOfTitle.get(track.title)!));
      assert.equal(audio.extension, '.wav');
    },
  },
  {
    name: 'unknown ids: existingTrackIds returns exactly the real ones of a mix',
    async run(s) {
      const { albums, tracks } = await catalog(s);
      const [first, middle, last] = [tracks[0], tracks[Math.floor(TRACKS / 2)], tracks[TRACKS - 1]];
      const mix = [first.id, s.unknownTrackId, last.id, 'no-such-track', albums[0].id, middle.id, s.unknownAlbumId];
      assert.deepEqual([...(await s.provider.existingTrackIds(mix))].sort(), [first.id, middle.id, last.id].sort());
      // Every track at once (several batches on Jellyfin), with unknown ids spread through the list.
      const all = ids(tracks);
      const withUnknown = all.flatMap((id, i) =>
        i % 50 === 0 ? [id, `${s.unknownTrackId.slice(0, -1)}${i / 50}`] : [id],
      );
      assert.deepEqual([...(await s.provider.existingTrackIds(withUnknown))].sort(), [...all].sort());
      assert.equal((await s.provider.existingTrackIds([])).size, 0);
    },
  },
  {
    name: 'delete guard: a track or album id is refused and nothing is deleted',
    async run(s) {
      const { albums, tracksByAlbum, tracks } = await catalog(s);
      const witness = await s.provider.createPlaylist('Guard witness', ids(tracks.slice(0, 2)));
      const before = await s.provider.listPlaylists();
      const album = albums[3];
      const track = tracksByAlbum.get(albums[5].id)![0];
      for (const id of [track.id, album.id]) {
        await assert.rejects(s.provider.deletePlaylist(id), isError(s.nonPlaylistDelete), `deletePlaylist(${id})`);
      }
      assert.deepEqual(await s.provider.listPlaylists(), before);
      if (s.lostMedia) assert.deepEqual(s.lostMedia(), []);
      assert.equal((await s.provider.existingTrackIds(ids(tracks))).size, TRACKS);
      assert.deepEqual(ids(await s.provider.listAlbumTracks(album.id)), ids(tracksByAlbum.get(album.id)!));
      assert.equal((await s.provider.listRecentAlbums({ startIndex: 0, limit: 1000 })).albums.length, ALBUMS);
      assert.deepEqual(await s.members(witness.id), ids(tracks.slice(0, 2)));
      await s.provider.deletePlaylist(witness.id);
    },
  },
  {
    name: 'delete guard: an unknown or already deleted playlist id is not_found and deletes nothing',
    async run(s) {
      const { tracks } = await catalog(s);
      const witness = await s.provider.createPlaylist('Guard witness', ids(tracks.slice(5, 8)));
      const gone = await s.provider.createPlaylist('Short-lived', ids(tracks.slice(0, 1)));
      await s.provider.deletePlaylist(gone.id);
      const before = await s.provider.listPlaylists();
      assert.ok(!before.some((p) => p.id === gone.id), 'the deleted playlist is no longer listed');
      for (const id of [gone.id, 'no-such-playlist']) {
        await assert.rejects(s.provider.deletePlaylist(id), isError('not_found'), `deletePlaylist(${id})`);
      }
      assert.deepEqual(await s.provider.listPlaylists(), before);
      assert.deepEqual(await s.members(witness.id), ids(tracks.slice(5, 8)));
      if (s.lostMedia) assert.deepEqual(s.lostMedia(), []);
      await s.provider.deletePlaylist(witness.id);
    },
  },
  {
    // Only the local folder has playlists AudioMuse did not write in the same namespace: on the servers a user's
    // playlist is told apart by the ids publishing recorded, not by the provider.
    name: "delete guard: a user's .m3u8 without the marker is refused and left as it was",
    only: ['local'],
    async run(s) {
      const { tracks } = await catalog(s);
      const playlistDir = path.join(musicDir, 'Playlists');
      await fs.mkdir(playlistDir, { recursive: true });
      const entry = path.relative(playlistDir, fileOfTitle.get(tracks[0].title)!);
      const plain = `#EXTM3U\n#EXTINF:1,${tracks[0].title}\n${entry}\n`;
      // The marker counts only in the header: a comment after the first entry is the user's text.
      const late = `#EXTM3U\n${entry}\n${PLAYLIST_MARKER} written by AudioMuse\n`;
      await fs.writeFile(path.join(playlistDir, 'Road trip.m3u8'), plain);
      await fs.writeFile(path.join(playlistDir, 'Late marker.m3u8'), late);
      try {
        const listed = await s.provider.listPlaylists();
        for (const [name, text] of [
          ['Road trip', plain],
          ['Late marker', late],
        ]) {
          const mine = listed.find((p) => p.name === name);
          assert.ok(mine, `${name} is listed`);
          assert.equal(mine.trackCount, 1);
          await assert.rejects(s.provider.deletePlaylist(mine.id), isError('refused'), name);
          assert.equal(readFileSync(path.join(playlistDir, `${name}.m3u8`), 'utf8'), text);
        }
        // The control: the same content with the marker in its header is ours and goes.
        await fs.writeFile(path.join(playlistDir, 'Ours.m3u8'), `#EXTM3U\n${PLAYLIST_MARKER}\n${entry}\n`);
        const ours = (await s.provider.listPlaylists()).find((p) => p.name === 'Ours')!;
        await s.provider.deletePlaylist(ours.id);
        assert.ok(!existsSync(path.join(playlistDir, 'Ours.m3u8')));
      } finally {
        await fs.rm(path.join(playlistDir, 'Road trip.m3u8'), { force: true });
        await fs.rm(path.join(playlistDir, 'Late marker.m3u8'), { force: true });
      }
    },
  },
  {
    name: 'duplicate names: two playlists of one name are two playlists; deleting one keeps the other',
    async run(s) {
      const { tracks } = await catalog(s);
      const name = 'Twice_automatic';
      const a = await s.provider.createPlaylist(name, ids(tracks.slice(10, 12)));
      const b = await s.provider.createPlaylist(name, ids(tracks.slice(20, 23)));
      assert.notEqual(a.id, b.id);
      assert.deepEqual([a.name, a.trackCount, b.name, b.trackCount], [name, 2, name, 3]);
      const listed = (await s.provider.listPlaylists()).filter((p) => p.name === name);
      assert.deepEqual(
        listed.map((p) => [p.id, p.trackCount]).sort(),
        [
          [a.id, 2],
          [b.id, 3],
        ].sort(),
      );
      assert.deepEqual(await s.members(a.id), ids(tracks.slice(10, 12)));
      assert.deepEqual(await s.members(b.id), ids(tracks.slice(20, 23)));
      await s.provider.deletePlaylist(a.id);
      const left = (await s.provider.listPlaylists()).filter((p) => p.name === name);
      assert.deepEqual(
        left.map((p) => [p.id, p.trackCount]),
        [[b.id, 3]],
      );
      assert.deepEqual(await s.members(b.id), ids(tracks.slice(20, 23)));
      await s.provider.deletePlaylist(b.id);
      assert.deepEqual(
        (await s.provider.listPlaylists()).filter((p) => p.name === name),
        [],
      );
    },
  },
  {
    name: 'non-ASCII names: "Café Noir — Ñandú 夜 ✓" round-trips exactly through create and list',
    async run(s) {
      const { tracks } = await catalog(s);
      const name = 'Café Noir — Ñandú 夜 ✓';
      assert.equal(name.normalize('NFC'), name);
      const created = await s.provider.createPlaylist(name, ids(tracks.slice(30, 34)));
      assert.equal(created.name, name);
      const listed = (await s.provider.listPlaylists()).find((p) => p.id === created.id);
      assert.ok(listed, 'listed under the id create returned');
      assert.equal(listed.name, name);
      assert.deepEqual(Buffer.from(listed.name, 'utf8'), Buffer.from(name, 'utf8'));
      assert.equal(listed.trackCount, 4);
      assert.deepEqual(await s.members(created.id), ids(tracks.slice(30, 34)));
      await s.provider.deletePlaylist(created.id);
    },
  },
  {
    name: '250-track playlist: created complete, every id in the given order',
    async run(s) {
      const { tracks } = await catalog(s);
      const wanted = shuffle(ids(tracks), 250).slice(0, 250);
      const created = await s.provider.createPlaylist('Big mix_automatic', wanted);
      assert.equal(created.trackCount, 250);
      assert.equal((await s.provider.listPlaylists()).find((p) => p.id === created.id)?.trackCount, 250);
      assert.deepEqual(await s.members(created.id), wanted);
      await s.provider.deletePlaylist(created.id);
      assert.ok(!(await s.provider.listPlaylists()).some((p) => p.id === created.id));
    },
  },
  {
    // Every provider agrees: an empty playlist is a valid playlist (Jellyfin, Navidrome and the local folder can
    // all hold one), created, listed with 0 tracks and deletable. Publishing never asks for one, but a run whose
    // tracks all vanished must not fail on it.
    name: 'empty track list: an empty playlist is created, listed with 0 tracks and deletable',
    async run(s) {
      const created = await s.provider.createPlaylist('Nothing yet', []);
      assert.equal(created.trackCount, 0);
      const listed = (await s.provider.listPlaylists()).find((p) => p.id === created.id);
      assert.deepEqual(listed && { name: listed.name, trackCount: listed.trackCount }, {
        name: 'Nothing yet',
        trackCount: 0,
      });
      assert.deepEqual(await s.members(created.id), []);
      await s.provider.deletePlaylist(created.id);
      assert.ok(!(await s.provider.listPlaylists()).some((p) => p.id === created.id));
    },
  },
  {
    name: 'createPlaylist with a track the server lacks: refused leaving nothing, or created without it (per source)',
    async run(s) {
      const { tracks } = await catalog(s);
      const known = ids(tracks.slice(40, 43));
      const before = await s.provider.listPlaylists();
      const attempt = s.provider.createPlaylist('Partly gone', [known[0], s.unknownTrackId, known[1], known[2]]);
      if (s.unknownTrackInPlaylist === 'refused') {
        await assert.rejects(attempt, isError('not_found'));
        assert.deepEqual(await s.provider.listPlaylists(), before, 'no half-made playlist is left behind');
      } else {
        const created = await attempt;
        assert.equal(created.trackCount, 3, 'the count is what the server holds');
        assert.deepEqual(await s.members(created.id), known);
        await s.provider.deletePlaylist(created.id);
      }
    },
  },
  {
    name: 'a blank name is refused and creates nothing',
    async run(s) {
      const { tracks } = await catalog(s);
      const before = await s.provider.listPlaylists();
      for (const name of ['', '   ']) {
        await assert.rejects(
          s.provider.createPlaylist(name, ids(tracks.slice(0, 2))),
          isError('refused'),
          JSON.stringify(name),
        );
      }
      assert.deepEqual(await s.provider.listPlaylists(), before);
    },
  },
  {
    name: 'repeated track ids: kept, or sent once (per source)',
    async run(s) {
      const [a, b] = ids((await catalog(s)).tracks.slice(50, 52));
      const created = await s.provider.createPlaylist('Repeats', [a, b, a, a]);
      const expected = s.repeatedTracks === 'once' ? [a, b] : [a, b, a, a];
      assert.equal(created.trackCount, expected.length);
      assert.equal((await s.provider.listPlaylists()).find((p) => p.id === created.id)?.trackCount, expected.length);
      assert.deepEqual(await s.members(created.id), expected);
      await s.provider.deletePlaylist(created.id);
    },
  },
  {
    name: 'playlists made by the cases are all gone again',
    async run(s) {
      // Every case deletes what it created; on the local folder user files were removed by their case.
      assert.deepEqual(await s.provider.listPlaylists(), []);
      if (s.lostMedia) assert.deepEqual(s.lostMedia(), []);
    },
  },
];

for (const [key, makeSource] of SOURCES) {
  describe(`media contract: ${key}`, { skip: SKIPS[key] ?? false }, () => {
    let source: Source | undefined;
    before(async () => {
      source = await makeSource();
    });
    after(() => source?.close());
    for (const c of CASES.filter((x) => !x.only || x.only.includes(key))) {
      test(c.name, async () => {
        const s = source!;
        const before = new Set(ids(await s.provider.listPlaylists()));
        try {
          await c.run(s);
        } catch (err) {
          // A failed case must not fail the next ones through its leftovers: remove what it created.
          for (const p of await s.provider.listPlaylists())
            if (!before.has(p.id)) await s.provider.deletePlaylist(p.id).catch(() => {});
          throw err;
        }
      });
    }
  });
}
