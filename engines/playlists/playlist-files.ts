// Playlist files any player reads: extended M3U (.m3u8, UTF-8) and JSPF (XSPF as JSON, https://xspf.org/jspf),
// written from stored tracks and the file paths their media server reported. Pure: paths are only text here.

export interface FileTrack {
  title: string | null;
  artist: string | null;
  album: string | null;
  durationSec: number | null;
  /** The file's path as the media server reported it (absolute, or relative to a Subsonic music folder). */
  path: string | null;
  /** A URI naming the track on its media server (JSPF `identifier`). */
  identifier?: string;
}

export interface FilePlaylist {
  name: string;
  /** When the playlist was made (ISO 8601). */
  date: string;
  tracks: readonly FileTrack[];
}

export interface PlaylistFile {
  body: string;
  /** Tracks whose absolute path is not under the root given: they keep the server's path. */
  outsideRoot: number;
  /** Tracks with no path a player could open (none stored, or one a line cannot hold): a comment, no entry. */
  withoutPath: number;
}

/** Where a track's file is, for a playlist written against `root` (the music folder as the player sees it). */
type Place = { kind: 'relative' | 'absolute'; path: string } | { kind: 'none' };

const WINDOWS_ABSOLUTE = /^(?:[A-Za-z]:[\\/]|\\\\)/;

const isWindows = (p: string) => WINDOWS_ABSOLUTE.test(p);
const isAbsolute = (p: string) => p.startsWith('/') || isWindows(p);
const slashed = (p: string) => p.replace(/\\/g, '/');

/**
 * A track's path relative to `root` when it lies under it; the server's path otherwise (and with no root).
 * Windows paths (drive letters, UNC shares) compare without regard to case or separator, as Windows does.
 */
export function placeTrack(path: string | null, root?: string): Place & { outsideRoot: boolean } {
  if (!path || /[\r\n]/.test(path)) return { kind: 'none', outsideRoot: false };
  const absolute = isAbsolute(path);
  if (!root || !absolute) return { kind: absolute ? 'absolute' : 'relative', path, outsideRoot: false };
  const windows = isWindows(path);
  const norm = windows ? slashed : (p: string) => p;
  const prefix = norm(root).replace(/\/+$/, '') + '/';
  const head = norm(path).slice(0, prefix.length);
  const rest = (windows ? head.toLowerCase() === prefix.toLowerCase() : head === prefix)
    ? path.slice(prefix.length)
    : '';
  if (!rest) return { kind: 'absolute', path, outsideRoot: true };
  return { kind: 'relative', path: windows ? slashed(rest) : rest, outsideRoot: false };
}

/** "Artist - Title" on one line (the #EXTINF display text). */
function label(t: FileTrack): string {
  return [t.artist, t.title]
    .filter(Boolean)
    .join(' - ')
    .replace(/[\r\n]+/g, ' ');
}

function count(places: ReturnType<typeof placeTrack>[]): Omit<PlaylistFile, 'body'> {
  return {
    outsideRoot: places.filter((p) => p.outsideRoot).length,
    withoutPath: places.filter((p) => p.kind === 'none').length,
  };
}

/**
 * Extended M3U: `#EXTM3U`, the name, then per track `#EXTINF:<seconds>,<artist> - <title>` and its path. A track
 * without a usable path is a comment line (players skip it; a reader sees which song is missing).
 */
export function writeM3u8(playlist: FilePlaylist, root?: string): PlaylistFile {
  const places = playlist.tracks.map((t) => placeTrack(t.path, root));
  const lines = ['#EXTM3U', `#PLAYLIST:${playlist.name.replace(/[\r\n]+/g, ' ')}`];
  playlist.tracks.forEach((t, i) => {
    const place = places[i];
    if (place.kind === 'none') {
      lines.push(`# no file path for: ${label(t) || '(untitled)'}`);
      return;
    }
    const seconds = t.durationSec === null || t.durationSec < 0 ? -1 : Math.round(t.durationSec);
    // A relative entry starting with '#' would read as a comment.
    const entry = place.kind === 'relative' && place.path.startsWith('#') ? `./${place.path}` : place.path;
    lines.push(`#EXTINF:${seconds},${label(t)}`, entry);
  });
  return { body: lines.join('\n') + '\n', ...count(places) };
}

/** A place as a URI: `file:` for absolute paths (Windows ones too), a relative reference otherwise. */
export function locationUri(place: Extract<Place, { path: string }>): string {
  const encoded = (p: string) => p.split('/').map(encodeURIComponent).join('/');
  if (place.kind === 'relative') return encoded(slashed(place.path));
  const p = slashed(place.path);
  if (p.startsWith('//')) return `file:${encoded(p)}`; // UNC: \\host\share\… → file://host/share/…
  if (/^[A-Za-z]:\//.test(p)) return `file:///${p.slice(0, 2)}${encoded(p.slice(2))}`;
  return `file://${encoded(p)}`;
}

/** JSPF: `{playlist: {title, creator, date, track: [{title, creator, album, duration (ms), location, identifier}]}}`;
 *  absent values are left out (the format has no nulls). */
export function writeJspf(playlist: FilePlaylist, root?: string): PlaylistFile {
  const places = playlist.tracks.map((t) => placeTrack(t.path, root));
  const track = playlist.tracks.map((t, i) => {
    const place = places[i];
    return {
      ...(place.kind !== 'none' && { location: [locationUri(place)] }),
      ...(t.identifier && { identifier: [t.identifier] }),
      ...(t.title && { title: t.title }),
      ...(t.artist && { creator: t.artist }),
      ...(t.album && { album: t.album }),
      ...(t.durationSec !== null && t.durationSec >= 0 && { duration: Math.round(t.durationSec * 1000) }),
    };
  });
  const doc = { playlist: { title: playlist.name, creator: 'AudioMuse', date: playlist.date, track } };
  return { body: JSON.stringify(doc, null, 2) + '\n', ...count(places) };
}

/** A playlist name as a file name: no path separators, reserved or control characters, at most 150 bytes. */
export function playlistFileName(name: string, extension: string): string {
  let s = name
    .normalize('NFC')
    .replace(/[/\\:*?"<>|\u0000-\u001f\u007f]/g, '_')
    .replace(/^[.\s]+|[.\s]+$/g, '');
  while (new TextEncoder().encode(s).length > 150) s = [...s].slice(0, -1).join('');
  return `${s || 'playlist'}.${extension}`;
}
