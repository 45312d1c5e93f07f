// LocalFolderProvider against a temp folder of ffmpeg tones: tags and fallbacks, paging by mtime, streaming,
// .m3u8 playlists with relative paths, deletion rules, id stability and the incremental scan.
import assert from 'node:assert/strict';
import { existsSync, realpathSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { LocalFolderProvider, parseFileName } from '../../providers/media/local.ts';
import { MediaServerError, type Track } from '../../providers/media/provider.ts';
import { ffmpegOrSkip, makeTone } from '../standins/audio.ts';

const skip = await ffmpegOrSkip();

let tmp: string;
let music: string;
let lists: string;
const day = 86_400;

// Relative path → tone options and the mtime (seconds) that orders albums.
const library: [string, Parameters<typeof makeTone>[1], number][] = [
  [
    'Artist A/Album One/01 - First.flac',
    {
      tags: { title: 'First', artist: 'Artist A', album_artist: 'Artist A', album: 'Album One', track: 1, date: 2001 },
    },
    30 * day,
  ],
  [
    'Artist A/Album One/02 - Second.mp3',
    { tags: { title: 'Second', artist: 'Artist A', album: 'Album One', track: '2/9', date: 2001 } },
    20 * day,
  ],
  [
    'Café del Mar/Ñandú – 東京.flac',
    { seconds: 2, tags: { title: 'Ñandú – 東京', artist: 'Café del Mar', album: 'Café del Mar', track: 1 } },
    25 * day,
  ],
  ['Untagged/Deep/03 - Nameless Tune.wav', {}, 10 * day],
  [
    'Nested/Level1/Level2/Album Z/z.ogg',
    { tags: { title: 'Zed', artist: 'Zee', album: 'Album Z', date: 1999 } },
    40 * day,
  ],
];

function expectError(code: MediaServerError['code']) {
  return (err: unknown) => {
    assert.ok(err instanceof MediaServerError, `expected MediaServerError, got ${err}`);
    assert.equal(err.code, code);
    return true;
  };
}

describe('LocalFolderProvider', { skip }, () => {
  before(async () => {
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'audiomuse-local-'));
    music = path.join(tmp, 'music');
    lists = path.join(music, 'Playlists'); // the PLAYLIST_DIR default sits inside MUSIC_DIR
    for (const [rel, opts] of library) await makeTone(path.join(music, rel), opts);
    await fs.writeFile(path.join(music, 'Artist A/Album One/notes.txt'), 'not audio');
    await fs.mkdir(path.join(music, '.hidden'));
    await fs.copyFile(path.join(music, library[0][0]), path.join(music, '.hidden/skip.flac'));
    for (const [rel, , mtime] of library) await fs.utimes(path.join(music, rel), mtime, mtime);
  });
  after(async () => {
    LocalFolderProvider.clearCache();
    await fs.rm(tmp, { recursive: true, force: true });
  });

  const provider = () => new LocalFolderProvider({ musicDir: music, playlistDir: lists });

  async function allTracks(p: LocalFolderProvider): Promise<Track[]> {
    const { albums } = await p.listRecentAlbums({ startIndex: 0, limit: 100 });
    return (await Promise.all(albums.map((a) => p.listAlbumTracks(a.id)))).flat();
  }

  test('albums come newest file first, paged, with the total of all albums', async () => {
    const p = provider();
    const pages = [];
    for (let start = 0; start < 6; start += 2) pages.push(await p.listRecentAlbums({ startIndex: start, limit: 2 }));
    assert.deepEqual(
      pages.map((pg) => pg.total),
      [4, 4, 4],
    );
    assert.deepEqual(
      pages.map((pg) => pg.albums.map((a) => a.name)),
      [['Album Z', 'Album One'], ['Café del Mar', 'Deep'], []],
    );
    const [z, one] = pages[0].albums;
    assert.equal(one.dateCreated, new Date(30 * day * 1000).toISOString()); // newest of its two files
    assert.equal(z.year, 1999);
    assert.equal(z.artist, 'Zee');
  });

  test('tags give titles, numbers, artist, year and duration', async () => {
    const p = provider();
    const { albums } = await p.listRecentAlbums({ startIndex: 0, limit: 10 });
    const one = albums.find((a) => a.name === 'Album One')!;
    assert.equal(one.artist, 'Artist A');
    assert.equal(one.year, 2001);
    const tracks = await p.listAlbumTracks(one.id);
    assert.deepEqual(
      tracks.map((t) => [t.title, t.trackNumber, t.artist, t.album]),
      [
        ['First', 1, 'Artist A', 'Album One'],
        ['Second', 2, 'Artist A', 'Album One'],
      ],
    );
    for (const t of tracks) {
      assert.equal(t.albumId, one.id);
      assert.ok(Math.abs(t.duration! - 1) < 0.1, `duration ${t.duration}`);
      assert.equal(t.path, path.join(music, 'Artist A/Album One', path.basename(t.path!)));
    }
    // An artist id derived from the name: one per artist, the same on every scan, no library id.
    const ids = new Map((await allTracks(p)).map((t) => [t.artist, t.artistId]));
    assert.equal(new Set(ids.values()).size, ids.size, `one id per artist: ${[...ids]}`);
    assert.match(tracks[0].artistId ?? '', /^r[0-9a-f]{20}$/);
    assert.deepEqual(
      tracks.map((t) => [t.artistId, t.libraryId]),
      tracks.map(() => [ids.get('Artist A'), undefined]),
    );
  });

  test('an untagged file is named from its folder and file name', async () => {
    const p = provider();
    const { albums } = await p.listRecentAlbums({ startIndex: 0, limit: 10 });
    const deep = albums.find((a) => a.name === 'Deep');
    assert.ok(deep, `albums: ${albums.map((a) => a.name)}`);
    assert.equal(deep.artist, 'Untagged');
    const [t] = await p.listAlbumTracks(deep.id);
    assert.equal(t.title, 'Nameless Tune');
    assert.equal(t.trackNumber, 3);
    assert.equal(t.artist, 'Untagged');
    assert.ok(Math.abs(t.duration! - 1) < 0.1);
  });

  test('non-ASCII names work and ids are URL-safe', async () => {
    const p = provider();
    const tracks = await allTracks(p);
    assert.equal(tracks.length, library.length); // .hidden and notes.txt are ignored
    const nandu = tracks.find((t) => t.title === 'Ñandú – 東京');
    assert.ok(nandu);
    assert.equal(nandu.artist, 'Café del Mar');
    assert.equal(nandu.path, path.join(music, 'Café del Mar/Ñandú – 東京.flac'));
    for (const t of tracks) {
      assert.match(t.id, /^[A-Za-z0-9_-]+$/);
      assert.match(t.albumId, /^[A-Za-z0-9_-]+$/);
    }
  });

  test('openTrackAudio streams the file bytes unchanged', async () => {
    const p = provider();
    const nandu = (await allTracks(p)).find((t) => t.title === 'Ñandú – 東京')!;
    const audio = await p.openTrackAudio(nandu.id);
    const chunks: Buffer[] = [];
    for await (const c of audio.stream) chunks.push(c as Buffer);
    const expected = await fs.readFile(path.join(music, 'Café del Mar/Ñandú – 東京.flac'));
    assert.ok(Buffer.concat(chunks).equals(expected));
    assert.equal(audio.extension, '.flac');
    assert.equal(audio.size, expected.length);
  });

  test('unknown ids are not_found', async () => {
    const p = provider();
    await assert.rejects(p.listAlbumTracks('a0000'), expectError('not_found'));
    await assert.rejects(p.openTrackAudio('t0000'), expectError('not_found'));
    await assert.rejects(p.createPlaylist('x', ['t0000']), expectError('not_found'));
    await assert.rejects(p.deletePlaylist('p0000'), expectError('not_found'));
  });

  test('createPlaylist writes an .m3u8 whose relative paths resolve to the tracks', async () => {
    const p = provider();
    const tracks = await allTracks(p);
    const pick = ['Ñandú – 東京', 'First', 'Nameless Tune'].map((title) => tracks.find((t) => t.title === title)!);
    const name = 'Chill – 東京 Café/Night';
    const created = await p.createPlaylist(
      name,
      pick.map((t) => t.id),
    );
    assert.equal(created.name, name);
    assert.equal(created.trackCount, 3);
    assert.match(created.id, /^[A-Za-z0-9_-]+$/);

    const files = await fs.readdir(lists);
    assert.deepEqual(files, ['Chill – 東京 Café_Night.m3u8']); // '/' cannot be in a file name
    const file = path.join(lists, files[0]);
    const lines = (await fs.readFile(file, 'utf8')).trimEnd().split('\n');
    assert.equal(lines[0], '#EXTM3U');
    assert.ok(lines.some((l) => l.startsWith('#AUDIOMUSE')));
    assert.ok(lines.includes('#EXTINF:2,Café del Mar - Ñandú – 東京'), lines.join('\n'));
    assert.ok(lines.includes('#EXTINF:1,Artist A - First'));
    const entries = lines.filter((l) => !l.startsWith('#'));
    assert.equal(entries.length, 3);
    for (const [i, entry] of entries.entries()) {
      assert.ok(!path.isAbsolute(entry), entry);
      const resolved = path.resolve(lists, entry);
      assert.ok(existsSync(resolved), `${entry} does not resolve`);
      assert.equal(realpathSync(resolved), realpathSync(pick[i].path!));
    }

    const listed = await p.listPlaylists();
    assert.deepEqual(listed, [{ id: created.id, name, trackCount: 3 }]);
    // The playlist folder inside MUSIC_DIR adds no album.
    assert.equal((await p.rescan()).albums, 4);
  });

  test('a same-named playlist gets a numbered file and never overwrites', async () => {
    const p = provider();
    const [t] = await allTracks(p);
    const a = await p.createPlaylist('Twice', [t.id]);
    const b = await p.createPlaylist('Twice', []);
    assert.notEqual(a.id, b.id);
    assert.ok(existsSync(path.join(lists, 'Twice.m3u8')));
    assert.ok(existsSync(path.join(lists, 'Twice (2).m3u8')));
    const listed = await p.listPlaylists();
    assert.deepEqual(
      listed
        .filter((l) => l.name === 'Twice')
        .map((l) => l.trackCount)
        .sort(),
      [0, 1],
    );
    await p.deletePlaylist(a.id);
    await p.deletePlaylist(b.id);
    assert.ok(!existsSync(path.join(lists, 'Twice.m3u8')));
  });

  test('with its id in `replace`, our own playlist is written over in place: same file, same id, no temp file left', async () => {
    const p = provider();
    const [a, b] = await allTracks(p);
    const first = await p.createPlaylist('Kept_automatic', [a.id]);
    const again = await p.createPlaylist('Kept_automatic', [a.id, b.id], { replace: new Set([first.id]) });
    assert.equal(again.id, first.id);
    assert.deepEqual(
      (await fs.readdir(lists)).filter((f) => f.startsWith('Kept') || f.startsWith('.')),
      ['Kept_automatic.m3u8'],
      'one file under the same name, no temporary file beside it',
    );
    assert.deepEqual(
      (await p.listPlaylists()).filter((l) => l.id === first.id),
      [{ id: first.id, name: 'Kept_automatic', trackCount: 2 }],
    );
    await p.deletePlaylist(first.id);
  });

  test("a user's file under our name is never written over, even when its id is in `replace`: ours is numbered", async () => {
    const p = provider();
    const [t] = await allTracks(p);
    const theirs = path.join(lists, 'Taken_automatic.m3u8');
    const text = '#EXTM3U\n../Artist A/Album One/01 - First.flac\n';
    await fs.writeFile(theirs, text);
    const userId = (await p.listPlaylists()).find((l) => l.name === 'Taken_automatic')!.id;
    const ours = await p.createPlaylist('Taken_automatic', [t.id], { replace: new Set([userId]) });
    assert.notEqual(ours.id, userId);
    assert.equal(await fs.readFile(theirs, 'utf8'), text, "the user's file is untouched");
    assert.ok(existsSync(path.join(lists, 'Taken_automatic (2).m3u8')));
    await p.deletePlaylist(ours.id);
    await fs.rm(theirs);
  });

  test('deletes its own playlists and refuses a user .m3u', async () => {
    const p = provider();
    const [t] = await allTracks(p);
    const ours = await p.createPlaylist('Mine to delete', [t.id]);
    const foreign = path.join(lists, 'Road trip.m3u');
    await fs.writeFile(foreign, '#EXTM3U\n#EXTINF:1,Artist A - First\n../Artist A/Album One/01 - First.flac\n');

    const listed = await p.listPlaylists();
    const road = listed.find((l) => l.name === 'Road trip');
    assert.ok(road);
    assert.equal(road.trackCount, 1);

    await assert.rejects(p.deletePlaylist(road.id), (err: unknown) => {
      expectError('refused')(err);
      assert.match((err as Error).message, /Road trip\.m3u.*not written by AudioMuse/);
      return true;
    });
    assert.ok(existsSync(foreign));

    await p.deletePlaylist(ours.id);
    assert.ok(!(await p.listPlaylists()).some((l) => l.id === ours.id));
    assert.ok(!existsSync(path.join(lists, 'Mine to delete.m3u8')));
  });

  test('health reports a usable folder and a missing one', async () => {
    assert.deepEqual(await provider().health(), { ok: true, server: `Local folder ${music}` });
    const missing = new LocalFolderProvider({ musicDir: path.join(tmp, 'nope'), playlistDir: lists });
    const h = await missing.health();
    assert.equal(h.ok, false);
    assert.match(h.error!, /MUSIC_DIR .*nope.*ENOENT/);
    await assert.rejects(missing.listRecentAlbums({ startIndex: 0, limit: 1 }), expectError('bad_config'));
  });
});

describe('LocalFolderProvider scan cache and id stability', { skip }, () => {
  let dir: string;
  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'audiomuse-local-ids-'));
    await makeTone(path.join(dir, 'B/Beta/01 - One.flac'), { tags: { title: 'One', album: 'Beta' } });
    await makeTone(path.join(dir, 'B/Beta/02 - Two.flac'), { tags: { title: 'Two', album: 'Beta' } });
    await makeTone(path.join(dir, 'Ω/Omega.ogg'), { tags: { title: 'Omega', album: 'Ω' } });
  });
  after(async () => {
    LocalFolderProvider.clearCache();
    await fs.rm(dir, { recursive: true, force: true });
  });

  async function idsByPath(p: LocalFolderProvider) {
    const { albums } = await p.listRecentAlbums({ startIndex: 0, limit: 100 });
    const out = new Map<string, string>();
    for (const a of albums) {
      out.set(`album:${a.name}`, a.id);
      for (const t of await p.listAlbumTracks(a.id)) out.set(path.relative(dir, t.path!), t.id);
    }
    return out;
  }

  test('ids survive a restart, a different spelling of MUSIC_DIR and new files', async () => {
    const first = await idsByPath(new LocalFolderProvider({ musicDir: dir, playlistDir: path.join(dir, 'P') }));
    LocalFolderProvider.clearCache(); // as a new process would start
    await makeTone(path.join(dir, 'A/Alpha/00 - New.flac'), { tags: { title: 'New', album: 'Alpha' } });
    const spelled = path.relative(process.cwd(), dir) + path.sep;
    const second = await idsByPath(new LocalFolderProvider({ musicDir: spelled, playlistDir: path.join(dir, 'P') }));
    assert.equal(first.size, 5);
    assert.equal(second.size, 7);
    for (const [key, id] of first) assert.equal(second.get(key), id, key);
    assert.equal(new Set(second.values()).size, 7);
  });

  test('localFile opens the listed path without a scan; a hint that names another file or leaves the folder is ignored', async () => {
    const listed = await idsByPath(new LocalFolderProvider({ musicDir: dir, playlistDir: path.join(dir, 'P') }));
    const one = listed.get('B/Beta/01 - One.flac')!;
    const two = listed.get('B/Beta/02 - Two.flac')!;
    const abs = (rel: string) => path.join(dir, rel);

    LocalFolderProvider.clearCache(); // an analysis process that has never listed the folder
    const fresh = new LocalFolderProvider({ musicDir: dir, playlistDir: path.join(dir, 'P') });
    assert.equal(await fresh.localFile(one, abs('B/Beta/01 - One.flac')), abs('B/Beta/01 - One.flac'));
    assert.equal(await fresh.localFile(listed.get('Ω/Omega.ogg')!, abs('Ω/Omega.ogg')), abs('Ω/Omega.ogg'));
    assert.equal(fresh.lastScan, undefined, 'no scan of the folder was needed');

    // The hint is another track's file (a stale row): the id decides, through the scan.
    assert.equal(await fresh.localFile(one, abs('B/Beta/02 - Two.flac')), abs('B/Beta/01 - One.flac'));
    assert.ok(fresh.lastScan, 'a wrong hint falls back to the scan');
    // Outside the folder, or a path that is not there: never opened, the scan answers or says not_found.
    const outside = path.join(os.tmpdir(), 'elsewhere.flac');
    assert.equal(await fresh.localFile(two, outside), abs('B/Beta/02 - Two.flac'));
    assert.equal(await fresh.localFile(two, abs('B/Beta/../../../etc/passwd')), abs('B/Beta/02 - Two.flac'));
    await assert.rejects(fresh.localFile('t-no-such-track', abs('B/Beta/01 - One.flac')), /No track with id/);
  });

  test('a rescan reads tags only of new or changed files', async () => {
    LocalFolderProvider.clearCache();
    const p = new LocalFolderProvider({ musicDir: dir, playlistDir: path.join(dir, 'P'), scanTtlMs: 0 });
    const full = await p.rescan();
    assert.equal(full.parsed, full.files);
    assert.equal((await p.rescan()).parsed, 0);

    // Re-tag one file in place; the next call (TTL 0) must see the new title after parsing only that file.
    const file = path.join(dir, 'B/Beta/02 - Two.flac');
    await makeTone(file, { tags: { title: 'Two (remaster)', album: 'Beta' } });
    const later = Date.now() / 1000 + 5;
    await fs.utimes(file, later, later);
    const { albums } = await p.listRecentAlbums({ startIndex: 0, limit: 10 });
    const beta = albums.find((a) => a.name === 'Beta')!;
    assert.deepEqual(
      (await p.listAlbumTracks(beta.id)).map((t) => t.title),
      ['One', 'Two (remaster)'],
    );
    assert.equal(albums[0].id, beta.id); // newest mtime first
    assert.equal((await p.rescan()).parsed, 0);

    // A second provider on the same folder shares the scan instead of reading every file again.
    const other = new LocalFolderProvider({ musicDir: dir, playlistDir: path.join(dir, 'P') });
    await other.listRecentAlbums({ startIndex: 0, limit: 1 });
    assert.equal((await p.rescan()).parsed, 0);
  });
});

describe('LocalFolderProvider symlinks and line breaks in paths', { skip }, () => {
  let dir: string;
  let music: string;
  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'audiomuse-local-links-'));
    music = path.join(dir, 'music');
    await makeTone(path.join(music, 'In/Album/01 - Inside.flac'), { tags: { title: 'Inside', album: 'In' } });
    await makeTone(path.join(dir, 'outside/Secret/01 - Secret.flac'), { tags: { title: 'Secret', album: 'Out' } });
    await makeTone(path.join(dir, 'outside/lone.flac'), { tags: { title: 'Lone', album: 'Out' } });
    await fs.symlink(path.join(dir, 'outside/Secret'), path.join(music, 'Escape')); // a folder outside
    await fs.symlink(path.join(dir, 'outside/lone.flac'), path.join(music, 'In/Album/02 - Lone.flac')); // a file outside
    await fs.symlink('../In/Album', path.join(music, 'Alias')); // a folder inside: always followed
    // Linux allows a line break in a file name; an .m3u8 line cannot hold one.
    await makeTone(path.join(music, 'Odd/01 - Two\nLines.flac'), { tags: { title: 'Two Lines', album: 'Odd' } });
  });
  after(async () => {
    LocalFolderProvider.clearCache();
    await fs.rm(dir, { recursive: true, force: true });
  });

  const titles = async (p: LocalFolderProvider) => {
    const { albums } = await p.listRecentAlbums({ startIndex: 0, limit: 100 });
    return (await Promise.all(albums.map((a) => p.listAlbumTracks(a.id))))
      .flat()
      .map((t) => t.title)
      .sort();
  };

  test('by default a symlink leading out of MUSIC_DIR is skipped, with one warning each; inside ones are followed', async (t) => {
    const warn = t.mock.method(console, 'warn', () => {});
    const p = new LocalFolderProvider({ musicDir: music, playlistDir: path.join(dir, 'lists'), scanTtlMs: 0 });
    assert.deepEqual(await titles(p), ['Inside', 'Two Lines']);
    const stats = await p.rescan();
    assert.deepEqual(stats.skippedLinks.map((l) => l.split(' → ')[0]).sort(), ['Escape', 'In/Album/02 - Lone.flac']);
    assert.equal(warn.mock.callCount(), 2, 'one warning per link, not one per scan');
    assert.match(String(warn.mock.calls[0].arguments[0]), /outside MUSIC_DIR.*MUSIC_DIR_SYMLINKS=follow/);
    // A path listed before (a stale hint through the link) is not opened: the scan answers, and knows no such track.
    const escaped = path.join(music, 'Escape/01 - Secret.flac');
    const follow = new LocalFolderProvider({
      musicDir: music,
      playlistDir: path.join(dir, 'lists'),
      symlinks: 'follow',
    });
    const secret = (await follow.listRecentAlbums({ startIndex: 0, limit: 10 })).albums.find((a) => a.name === 'Out')!;
    const [secretTrack] = await follow.listAlbumTracks(secret.id);
    await assert.rejects(p.localFile(secretTrack.id, escaped), /No track with id/);
  });

  test('MUSIC_DIR_SYMLINKS=follow follows them', async () => {
    const p = new LocalFolderProvider({ musicDir: music, playlistDir: path.join(dir, 'lists'), symlinks: 'follow' });
    assert.deepEqual(await titles(p), ['Inside', 'Lone', 'Secret', 'Two Lines']);
    assert.deepEqual((await p.rescan()).skippedLinks, []);
  });

  test('a track whose path holds a line break is left out of the .m3u8 and not counted as present', async () => {
    const p = new LocalFolderProvider({ musicDir: music, playlistDir: path.join(dir, 'lists') });
    const { albums } = await p.listRecentAlbums({ startIndex: 0, limit: 10 });
    const tracks = (await Promise.all(albums.map((a) => p.listAlbumTracks(a.id)))).flat();
    const odd = tracks.find((t) => t.title === 'Two Lines')!;
    const inside = tracks.find((t) => t.title === 'Inside')!;
    assert.deepEqual([...(await p.existingTrackIds([odd.id, inside.id]))], [inside.id]);
    const created = await p.createPlaylist('Odd', [odd.id, inside.id]);
    assert.equal(created.trackCount, 1);
    const text = await fs.readFile(path.join(dir, 'lists/Odd.m3u8'), 'utf8');
    const entries = text
      .trimEnd()
      .split('\n')
      .filter((l) => !l.startsWith('#'));
    assert.deepEqual(entries, ['../music/In/Album/01 - Inside.flac'], text);
  });
});

test('parseFileName takes track numbers only where a file name clearly has them', () => {
  assert.deepEqual(parseFileName('01 - Intro'), { title: 'Intro', track: 1, disc: undefined });
  assert.deepEqual(parseFileName('1-02 Second Disc'), { title: 'Second Disc', track: 2, disc: 1 });
  assert.deepEqual(parseFileName('07. Seven'), { title: 'Seven', track: 7, disc: undefined });
  assert.deepEqual(parseFileName('12_Twelve'), { title: 'Twelve', track: 12, disc: undefined });
  assert.deepEqual(parseFileName('5 Years'), { title: '5 Years' });
  assert.deepEqual(parseFileName('1999'), { title: '1999' });
  assert.deepEqual(parseFileName('2001 - A Space Odyssey'), { title: '2001 - A Space Odyssey' });
  assert.deepEqual(parseFileName('Plain'), { title: 'Plain' });
});
