// The playlist file writers on their own: .m3u8 lines and JSPF documents from tracks whose paths come as the media
// servers report them (a local folder's and Jellyfin's absolute paths, Subsonic's relative ones, Windows shares).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  locationUri,
  placeTrack,
  playlistFileName,
  writeJspf,
  writeM3u8,
  type FileTrack,
} from '../../engines/playlists/playlist-files.ts';

const track = (path: string | null, over: Partial<FileTrack> = {}): FileTrack => ({
  title: 'Hammer',
  artist: 'Muldjord',
  album: 'Forge',
  durationSec: 200.4,
  path,
  ...over,
});
const playlist = (...tracks: FileTrack[]) => ({
  name: 'Rock_Fast_automatic',
  date: '2025-01-02T03:04:05.000Z',
  tracks,
});

test('m3u8: #EXTM3U, #EXTINF with rounded seconds and "artist - title", paths relative to the root given', () => {
  const file = writeM3u8(
    playlist(
      track('/srv/music/Muldjord/Forge/01 - Hammer.flac'),
      track('/srv/music/Other/B/02.mp3', { artist: null, title: 'Anvil', durationSec: null }),
    ),
    '/srv/music/',
  );
  assert.equal(
    file.body,
    [
      '#EXTM3U',
      '#PLAYLIST:Rock_Fast_automatic',
      '#EXTINF:200,Muldjord - Hammer',
      'Muldjord/Forge/01 - Hammer.flac',
      '#EXTINF:-1,Anvil',
      'Other/B/02.mp3',
      '',
    ].join('\n'),
  );
  assert.deepEqual([file.outsideRoot, file.withoutPath], [0, 0]);
});

test("m3u8 without a root: the server's own paths, absolute or (Subsonic) relative, as reported", () => {
  const paths = ['/media/music/A/01 - x.flac', 'Artist/Album/03 - y.mp3', 'C:\\Music\\A\\z.flac'];
  const file = writeM3u8(playlist(...paths.map((p) => track(p))));
  assert.deepEqual(
    file.body.split('\n').filter((l) => l && !l.startsWith('#')),
    paths,
  );
});

test('a path outside the root keeps its absolute server path and is counted; a sibling folder sharing a prefix is outside', () => {
  const file = writeM3u8(
    playlist(track('/media/music/A/1.flac'), track('/media/music2/B/2.flac'), track('/other/3.flac')),
    '/media/music',
  );
  const entries = file.body.split('\n').filter((l) => l && !l.startsWith('#'));
  assert.deepEqual(entries, ['A/1.flac', '/media/music2/B/2.flac', '/other/3.flac']);
  assert.equal(file.outsideRoot, 2);
});

test('a track with no stored path, or one a line cannot hold, is a comment line and counted, never dropped', () => {
  const file = writeM3u8(
    playlist(
      track(null, { title: 'Lost' }),
      track('/m/a.flac'),
      track('/m/evil\n#EXTINF:1,x\n/etc/passwd', { title: 'Split' }),
    ),
    '/m',
  );
  const lines = file.body.trimEnd().split('\n');
  assert.deepEqual(lines.slice(2), [
    '# no file path for: Muldjord - Lost',
    '#EXTINF:200,Muldjord - Hammer',
    'a.flac',
    '# no file path for: Muldjord - Split',
  ]);
  assert.equal(file.withoutPath, 2);
  assert.ok(!lines.some((l) => l === '/etc/passwd'), 'a line break never injects an entry');
});

test('odd characters: UTF-8 kept, a relative entry starting with # made ./#, line breaks in names flattened', () => {
  const file = writeM3u8(
    {
      name: 'Soirée\nmix',
      date: '2025-01-01T00:00:00.000Z',
      tracks: [
        track('/m/#1 Hits/Ça va – 東京.flac', { artist: 'Zoë\r\nX', title: 'Ça va' }),
        track('/m/a,b;c "q".flac'),
      ],
    },
    '/m',
  );
  assert.deepEqual(file.body.split('\n').slice(1, 6), [
    '#PLAYLIST:Soirée mix',
    '#EXTINF:200,Zoë X - Ça va',
    './#1 Hits/Ça va – 東京.flac',
    '#EXTINF:200,Muldjord - Hammer',
    'a,b;c "q".flac',
  ]);
});

test('Windows paths: the root matches without regard to case or separator; the relative part uses /', () => {
  assert.deepEqual(placeTrack('D:\\Music\\Artist\\Album\\01.flac', 'd:/music'), {
    kind: 'relative',
    path: 'Artist/Album/01.flac',
    outsideRoot: false,
  });
  assert.deepEqual(placeTrack('\\\\nas\\share\\Music\\A\\1.mp3', '\\\\NAS\\share\\music\\'), {
    kind: 'relative',
    path: 'A/1.mp3',
    outsideRoot: false,
  });
  assert.equal(placeTrack('D:\\Musicals\\1.flac', 'D:\\Music').outsideRoot, true);
  // POSIX paths are case-sensitive.
  assert.equal(placeTrack('/Music/a.flac', '/music').outsideRoot, true);
  assert.deepEqual(placeTrack('/music/a.flac', '/'), { kind: 'relative', path: 'music/a.flac', outsideRoot: false });
});

test('JSPF locations are URIs: file: for absolute paths (POSIX, drive, UNC), encoded relative references otherwise', () => {
  assert.equal(locationUri({ kind: 'absolute', path: '/m/A b/#1 Ça.flac' }), 'file:///m/A%20b/%231%20%C3%87a.flac');
  assert.equal(locationUri({ kind: 'absolute', path: 'C:\\Music\\a b.flac' }), 'file:///C:/Music/a%20b.flac');
  assert.equal(locationUri({ kind: 'absolute', path: '\\\\nas\\share\\a.flac' }), 'file://nas/share/a.flac');
  assert.equal(locationUri({ kind: 'relative', path: 'a:b/c?.flac' }), 'a%3Ab/c%3F.flac');
});

test('JSPF: the spec shape, durations in ms, no nulls, a track without a path kept with its identifier', () => {
  const file = writeJspf(
    playlist(
      track('/srv/music/A/01 x.flac', { identifier: 'urn:audiomuse:jellyfin:abc' }),
      track(null, { album: null, durationSec: null, identifier: 'urn:audiomuse:jellyfin:def' }),
      track('/elsewhere/b.mp3', { artist: null }),
    ),
    '/srv/music',
  );
  const doc = JSON.parse(file.body);
  assert.deepEqual(Object.keys(doc), ['playlist']);
  assert.deepEqual(doc.playlist, {
    title: 'Rock_Fast_automatic',
    creator: 'AudioMuse',
    date: '2025-01-02T03:04:05.000Z',
    track: [
      {
        location: ['A/01%20x.flac'],
        identifier: ['urn:audiomuse:jellyfin:abc'],
        title: 'Hammer',
        creator: 'Muldjord',
        album: 'Forge',
        duration: 200400,
      },
      { identifier: ['urn:audiomuse:jellyfin:def'], title: 'Hammer', creator: 'Muldjord' },
      { location: ['file:///elsewhere/b.mp3'], title: 'Hammer', album: 'Forge', duration: 200400 },
    ],
  });
  assert.deepEqual([file.outsideRoot, file.withoutPath], [1, 1]);
  for (const t of doc.playlist.track) {
    assert.ok(Number.isInteger(t.duration ?? 0) && (t.duration ?? 0) >= 0, 'duration is a non-negative integer');
    for (const key of ['location', 'identifier']) if (key in t) assert.ok(Array.isArray(t[key]), `${key} is an array`);
  }
});

test('file names: no separators, reserved or control characters; at most 150 bytes; never empty', () => {
  assert.equal(playlistFileName('Rock/Fast: "best"?', 'm3u8'), 'Rock_Fast_ _best__.m3u8');
  assert.equal(playlistFileName('...', 'jspf'), 'playlist.jspf');
  const long = playlistFileName('東'.repeat(100), 'm3u8');
  assert.ok(new TextEncoder().encode(long).length <= 150 + 5);
});
