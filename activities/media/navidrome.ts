// Navidrome through the Subsonic / OpenSubsonic API (v1.16.1). Authentication is the salted token: every
// request carries u, t = md5(password + s) and a fresh random s, so the password never travels. Mutations go
// as POST forms (Navidrome's formPost), which keeps long song lists and credentials out of URLs and lets the
// HTTP layer refuse to blindly retry them. Subsonic reports errors as HTTP 200 with status "failed"; those
// become MediaServerError with a code the caller can act on.
import { createHash, randomBytes } from 'node:crypto';
import { fetchStream, fetchText, redactUrl, type HttpOptions } from '../../lib/http.ts';
import {
  MediaServerError,
  mediaHttpError,
  type Album,
  type AlbumPage,
  type AudioStream,
  type MediaProvider,
  type Playlist,
  type ProviderHealth,
  type Track,
} from './provider.ts';

export interface NavidromeOptions {
  url: string;
  user: string;
  password: string;
  /** Per request attempt (default 120 s). */
  timeoutMs?: number;
  /** Extra attempts for reads on network errors, timeouts, 5xx and 429 (default 3). */
  retries?: number;
  /** First retry delay, doubling each time (default 500 ms). */
  backoffMs?: number;
}

export const SUBSONIC_API_VERSION = '1.16.1';
export const SUBSONIC_CLIENT = 'AudioMuse';
/** getAlbumList2 returns at most this many albums per call. */
const ALBUM_PAGE_MAX = 500;
/** Song ids per createPlaylist / updatePlaylist call. */
const PLAYLIST_BATCH = 100;

/** The Subsonic token: lowercase hex md5 of the UTF-8 password followed by the salt. */
export function subsonicToken(password: string, salt: string): string {
  return createHash('md5').update(password + salt, 'utf8').digest('hex');
}

interface SubsonicSong {
  id: string;
  parent?: string;
  albumId?: string;
  title?: string;
  artist?: string;
  album?: string;
  track?: number;
  discNumber?: number;
  duration?: number;
  suffix?: string;
  path?: string;
  size?: number;
  created?: string;
}

interface SubsonicAlbum {
  id: string;
  name?: string;
  album?: string;
  title?: string;
  artist?: string;
  year?: number;
  created?: string;
  song?: SubsonicSong[];
}

interface SubsonicPlaylist {
  id: string;
  name?: string;
  songCount?: number;
  created?: string;
  entry?: SubsonicSong[];
}

interface SubsonicBody {
  status?: string;
  version?: string;
  type?: string;
  serverVersion?: string;
  error?: { code?: number; message?: string };
  albumList2?: { album?: SubsonicAlbum[] };
  album?: SubsonicAlbum;
  song?: SubsonicSong;
  playlists?: { playlist?: SubsonicPlaylist[] };
  playlist?: SubsonicPlaylist;
}

type Params = [string, string | number | boolean][];

const EXTENSION_BY_MIME: Record<string, string> = {
  'audio/mpeg': '.mp3', 'audio/mp3': '.mp3', 'audio/flac': '.flac', 'audio/x-flac': '.flac',
  'audio/ogg': '.ogg', 'application/ogg': '.ogg', 'audio/opus': '.opus', 'audio/mp4': '.m4a',
  'audio/x-m4a': '.m4a', 'audio/m4a': '.m4a', 'audio/aac': '.aac', 'audio/wav': '.wav', 'audio/x-wav': '.wav',
  'audio/wave': '.wav', 'audio/x-ms-wma': '.wma', 'audio/aiff': '.aiff', 'audio/x-aiff': '.aiff',
  'audio/x-ape': '.ape', 'audio/x-wavpack': '.wv', 'audio/dsf': '.dsf', 'audio/x-dsf': '.dsf',
};

export class NavidromeProvider implements MediaProvider {
  readonly type = 'navidrome' as const;
  private readonly base: string;
  private readonly http: Omit<HttpOptions, 'idempotent'>;
  /** Suffixes seen in getAlbum, so openTrackAudio rarely needs getSong for the extension. */
  private readonly suffixes = new Map<string, string>();

  constructor(private readonly options: NavidromeOptions) {
    const { url, user, password } = options;
    if (!url || !user || !password) {
      throw new MediaServerError('Navidrome needs NAVIDROME_URL, NAVIDROME_USER and NAVIDROME_PASSWORD', 'bad_config');
    }
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new MediaServerError(`NAVIDROME_URL ${JSON.stringify(url)} is not a URL`, 'bad_config');
    }
    if (!/^https?:$/.test(parsed.protocol)) {
      throw new MediaServerError(`NAVIDROME_URL must start with http:// or https:// (got ${url})`, 'bad_config');
    }
    // A base path is kept ("https://host/navidrome"); a pasted ".../rest" or trailing slash is dropped.
    this.base = parsed.origin + parsed.pathname.replace(/\/+$/, '').replace(/\/rest$/, '');
    this.http = {
      server: 'Navidrome',
      makeError: mediaHttpError,
      timeoutMs: options.timeoutMs ?? 120_000,
      retries: options.retries ?? 3,
      backoffMs: options.backoffMs,
    };
  }

  async listRecentAlbums({ startIndex, limit }: { startIndex: number; limit: number }): Promise<AlbumPage> {
    if (!Number.isInteger(startIndex) || startIndex < 0 || !Number.isInteger(limit) || limit < 0) {
      throw new RangeError(`Paging needs non-negative integers, got startIndex=${startIndex} limit=${limit}`);
    }
    const albums: Album[] = [];
    let headerTotal: number | undefined;
    let ended = false;
    // limit 0 still asks for one album, to learn the total.
    while (!ended && (albums.length < limit || (limit === 0 && headerTotal === undefined))) {
      const size = Math.max(1, Math.min(ALBUM_PAGE_MAX, limit - albums.length));
      const offset = startIndex + albums.length;
      const { body, headers } = await this.call('getAlbumList2', [['type', 'newest'], ['size', size], ['offset', offset]]);
      const page = body.albumList2?.album ?? [];
      const header = Number(headers.get('x-total-count'));
      if (headers.has('x-total-count') && Number.isFinite(header)) headerTotal = header;
      if (limit > 0) albums.push(...page.slice(0, limit - albums.length).map(toAlbum));
      ended = page.length < size;
      if (limit === 0) break;
    }
    // Subsonic has no total. Navidrome sends x-total-count; elsewhere a short page gives the exact end and a
    // full page gives a lower bound one past it, so `while (start < total)` loops keep going.
    const total = headerTotal ?? startIndex + albums.length + (ended ? 0 : 1);
    return { albums, total };
  }

  async listAlbumTracks(albumId: string): Promise<Track[]> {
    const { body } = await this.call('getAlbum', [['id', albumId]]);
    if (!body.album) throw this.protocolError('getAlbum', 'no "album" in the answer');
    return (body.album.song ?? []).map((s) => this.toTrack(s, albumId));
  }

  async existingTrackIds(trackIds: string[]): Promise<Set<string>> {
    // Subsonic has no batch lookup: getSong per id, a few at a time.
    const found = new Set<string>();
    const queue = [...trackIds];
    const next = async (): Promise<void> => {
      for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
        try {
          await this.call('getSong', [['id', id]]);
          found.add(id);
        } catch (err) {
          if (!(err instanceof MediaServerError && err.code === 'not_found')) throw err;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(8, trackIds.length) }, next));
    return found;
  }

  async openTrackAudio(trackId: string): Promise<AudioStream> {
    const url = this.url('stream');
    url.search = this.query([['id', trackId], ['format', 'raw']]).toString();
    const res = await fetchStream(url, { method: 'GET' }, this.http);
    if (!res.body) throw this.httpError('stream', res.status, res.text ?? '', url);
    const type = (res.headers.get('content-type') ?? '').split(';')[0].trim().toLowerCase();
    // Navidrome sends stream errors as an envelope in the requested format instead of audio.
    if (type === 'application/json' || type.endsWith('/xml')) {
      const chunks: Buffer[] = [];
      for await (const c of res.body) chunks.push(c as Buffer);
      const text = Buffer.concat(chunks).toString('utf8');
      this.unwrap('stream', text, url);
      throw this.protocolError('stream', `answered with ${type} instead of audio`);
    }
    const length = Number(res.headers.get('content-length'));
    let extension = this.suffixes.get(trackId) ?? EXTENSION_BY_MIME[type];
    if (extension === undefined) {
      // Unknown type (e.g. application/octet-stream): ask for the song's suffix.
      const song = await this.call('getSong', [['id', trackId]]).catch(() => undefined);
      extension = song?.body.song?.suffix ? `.${song.body.song.suffix.toLowerCase()}` : '';
    }
    return {
      stream: res.body,
      extension,
      size: res.headers.has('content-length') && Number.isFinite(length) ? length : undefined,
    };
  }

  async listPlaylists(): Promise<Playlist[]> {
    const { body } = await this.call('getPlaylists');
    return (body.playlists?.playlist ?? []).map((p) => ({ id: p.id, name: p.name ?? '', trackCount: p.songCount }));
  }

  async createPlaylist(name: string, trackIds: string[]): Promise<Playlist> {
    if (!name.trim()) throw new MediaServerError('A playlist needs a non-empty name', 'refused');
    const [first, ...rest] = chunk(trackIds, PLAYLIST_BATCH);
    const { body } = await this.call(
      'createPlaylist',
      [['name', name], ...(first ?? []).map((id): [string, string] => ['songId', id])],
      'POST',
    );
    // Servers before API 1.14 answer with an empty envelope: find the newest playlist of that name.
    const id = body.playlist?.id ?? (await this.newestPlaylistNamed(name));
    try {
      for (const batch of rest) {
        await this.call(
          'updatePlaylist',
          [['playlistId', id], ...batch.map((t): [string, string] => ['songIdToAdd', t])],
          'POST',
        );
      }
      // Read back: Navidrome silently drops ids it does not know, and a short playlist must not pass as done.
      const check = await this.call('getPlaylist', [['id', id]]);
      const count = check.body.playlist?.songCount ?? check.body.playlist?.entry?.length ?? 0;
      if (count !== trackIds.length) {
        throw new MediaServerError(
          `Navidrome kept ${count} of the ${trackIds.length} tracks of playlist "${name}"; ` +
            'some track ids are unknown to it (library rescanned since the analysis?)',
          'not_found',
        );
      }
      return { id, name: body.playlist?.name ?? name, trackCount: count };
    } catch (err) {
      // Leave no half-filled playlist behind.
      await this.call('deletePlaylist', [['id', id]], 'POST').catch(() => {});
      throw err;
    }
  }

  async deletePlaylist(playlistId: string): Promise<void> {
    await this.call('deletePlaylist', [['id', playlistId]], 'POST');
  }

  async health(): Promise<ProviderHealth> {
    try {
      const { body } = await this.call('ping');
      const product = body.type ? body.type[0].toUpperCase() + body.type.slice(1) : 'Subsonic';
      return { ok: true, server: `${product} ${body.serverVersion ?? `(API ${body.version})`}` };
    } catch (err) {
      if (!(err instanceof MediaServerError)) throw err;
      return { ok: false, server: 'Navidrome', error: err.message };
    }
  }

  private url(method: string): URL {
    return new URL(`${this.base}/rest/${method}.view`);
  }

  /** Auth parameters with a fresh salt, then the call's own. */
  private query(params: Params): URLSearchParams {
    const salt = randomBytes(8).toString('hex');
    const q = new URLSearchParams({
      u: this.options.user,
      t: subsonicToken(this.options.password, salt),
      s: salt,
      v: SUBSONIC_API_VERSION,
      c: SUBSONIC_CLIENT,
      f: 'json',
    });
    for (const [k, v] of params) q.append(k, String(v));
    return q;
  }

  private async call(method: string, params: Params = [], verb: 'GET' | 'POST' = 'GET') {
    const url = this.url(method);
    const query = this.query(params);
    let init: RequestInit;
    if (verb === 'GET') {
      url.search = query.toString();
      init = { method: 'GET' };
    } else {
      init = {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: query.toString(),
      };
    }
    const res = await fetchText(url, init, this.http);
    if (res.status < 200 || res.status >= 300) throw this.httpError(method, res.status, res.text, url);
    return { body: this.unwrap(method, res.text, url), headers: res.headers };
  }

  /** The inner subsonic-response, or the MediaServerError it reports. */
  private unwrap(method: string, text: string, url: URL): SubsonicBody {
    let body: SubsonicBody | undefined;
    try {
      body = (JSON.parse(text) as { 'subsonic-response'?: SubsonicBody })['subsonic-response'];
    } catch {
      // handled below
    }
    if (!body) {
      throw new MediaServerError(
        `${redactUrl(url)} did not answer with a Subsonic JSON envelope (starts with ` +
          `${JSON.stringify(text.slice(0, 80))}); NAVIDROME_URL should be the Navidrome base URL, e.g. http://host:4533`,
        'bad_config',
      );
    }
    if (body.status === 'ok') return body;
    const code = body.error?.code ?? 0;
    const detail = `Navidrome ${method} failed: ${body.error?.message ?? 'no message'} (Subsonic error ${code})`;
    switch (code) {
      case 40:
        throw new MediaServerError(
          `${detail}; check NAVIDROME_USER (${this.options.user}) and NAVIDROME_PASSWORD`,
          'auth',
        );
      case 41:
      case 42:
      case 43:
      case 44:
        throw new MediaServerError(`${detail}; the server does not accept salted-token authentication`, 'auth');
      case 50:
        throw new MediaServerError(`${detail}; user ${this.options.user} is not allowed to do this`, 'auth');
      case 70:
        throw new MediaServerError(detail, 'not_found');
      case 20:
      case 30:
        throw new MediaServerError(`${detail}; client speaks API ${SUBSONIC_API_VERSION}`, 'bad_config');
      default:
        throw new MediaServerError(detail, 'server');
    }
  }

  private httpError(method: string, status: number, text: string, url: URL): MediaServerError {
    const where = `Navidrome ${method} (${redactUrl(url)}) answered HTTP ${status}`;
    const excerpt = text.trim().slice(0, 120);
    if (status === 401 || status === 403) {
      return new MediaServerError(`${where}; a proxy in front of Navidrome may need its own login`, 'auth', status);
    }
    if (status === 404) {
      return new MediaServerError(
        `${where}: no Subsonic API there; NAVIDROME_URL should be the Navidrome base URL, e.g. http://host:4533`,
        'bad_config',
        status,
      );
    }
    return new MediaServerError(`${where}${excerpt ? `: ${excerpt}` : ''}`, 'server', status);
  }

  private protocolError(method: string, what: string): MediaServerError {
    return new MediaServerError(`Navidrome ${method}: ${what}`, 'server');
  }

  private async newestPlaylistNamed(name: string): Promise<string> {
    const { body } = await this.call('getPlaylists');
    const matches = (body.playlists?.playlist ?? []).filter((p) => p.name === name);
    matches.sort((a, b) => (b.created ?? '').localeCompare(a.created ?? ''));
    if (!matches[0]) throw this.protocolError('createPlaylist', `playlist "${name}" not found after creating it`);
    return matches[0].id;
  }

  private toTrack(s: SubsonicSong, albumId: string): Track {
    if (s.suffix) this.suffixes.set(s.id, `.${s.suffix.toLowerCase()}`);
    return {
      id: s.id,
      albumId: s.albumId ?? s.parent ?? albumId,
      title: s.title ?? '',
      artist: s.artist,
      album: s.album,
      duration: s.duration,
      trackNumber: s.track,
      discNumber: s.discNumber,
      path: s.path ?? (s.suffix ? `${s.title ?? s.id}.${s.suffix}` : undefined),
      changeMarker: s.size !== undefined || s.created ? `${s.size ?? ''}:${s.created ?? ''}` : undefined,
    };
  }
}

function toAlbum(a: SubsonicAlbum): Album {
  return {
    id: a.id,
    name: a.name ?? a.album ?? a.title ?? '',
    artist: a.artist,
    year: a.year || undefined,
    dateCreated: a.created,
  };
}

function chunk<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
