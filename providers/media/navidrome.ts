// Navidrome and the other Subsonic / OpenSubsonic servers (API 1.8 to 1.16.1). Login is one of: the salted
// token (u, t = md5(password + s), a fresh s per request), the OpenSubsonic API key, or the legacy password
// (p=enc:<hex>, only ever in a POST form body, never in a URL); `auto` picks the first the server accepts.
// Mutations go as POST forms, which keeps long song lists out of URLs and lets the HTTP layer refuse to blindly
// retry them. Subsonic reports errors as HTTP 200 with status "failed"; those become MediaServerErrors with a
// code the caller can act on. The API version of every answer is kept, so older servers get what they support.
import { createHash, randomBytes } from 'node:crypto';
import { fetchStream, fetchText, redactUrl, type HttpOptions } from '../../lib/http.ts';
import { extensionOfMime, PLAYLIST_BATCH } from './audio-types.ts';
import {
  MediaServerError,
  mediaHttpError,
  type Album,
  type AlbumPage,
  type AudioStream,
  type ServerPerson,
  type MediaProvider,
  type PlayedTrack,
  type Playlist,
  type ProviderHealth,
  type ServerUser,
  type Track,
} from './provider.ts';

/** How the provider logs in: SUBSONIC_AUTH. */
export type SubsonicAuth = 'token' | 'apikey' | 'password' | 'auto';
/** The login actually used once `auto` has been resolved. */
export type SubsonicLogin = Exclude<SubsonicAuth, 'auto'>;

export interface NavidromeOptions {
  url: string;
  user?: string;
  password?: string;
  /** OpenSubsonic API key (NAVIDROME_API_KEY), for `apikey` and `auto`. */
  apiKey?: string;
  /** Default `token`. */
  auth?: SubsonicAuth;
  /** Per request attempt (default 120 s). */
  timeoutMs?: number;
  /** Extra attempts for reads on network errors, timeouts, 5xx and 429 (default 3). */
  retries?: number;
  /** First retry delay, doubling each time (default 500 ms). */
  backoffMs?: number;
}

export const SUBSONIC_API_VERSION = '1.16.1';
export const SUBSONIC_CLIENT = 'AudioMuse';
/** getAlbumList2, getAlbum and updatePlaylist, which AudioMuse cannot work without, came with API 1.8.0. */
const MIN_API_VERSION = '1.8.0';
/** Salted tokens came with API 1.13.0. */
const TOKEN_API_VERSION = '1.13.0';
/** createPlaylist answers with the new playlist since API 1.14.0; before, the id must be found by listing. */
const CREATE_RETURNS_PLAYLIST_VERSION = '1.14.0';
/** getAlbumList2 returns at most this many albums per call. */
const ALBUM_PAGE_MAX = 500;
/** Error codes that mean "not this login method" (missing parameter, token or method not supported), so
 *  `auto` tries the next one. 40 (wrong credentials) is final: another method would not fix the password. */
const NEXT_LOGIN_CODES = new Set([10, 41, 42, 43, 44]);

/** The Subsonic token: lowercase hex md5 of the UTF-8 password followed by the salt. */
export function subsonicToken(password: string, salt: string): string {
  return createHash('md5')
    .update(password + salt, 'utf8')
    .digest('hex');
}

/** The legacy password parameter: "enc:" and the UTF-8 bytes in hex (hides it from casual eyes, no more). */
export function subsonicEncodedPassword(password: string): string {
  return `enc:${Buffer.from(password, 'utf8').toString('hex')}`;
}

/** a >= b for dotted API versions ("1.10.2" >= "1.8.0"). */
export function apiVersionAtLeast(a: string, b: string): boolean {
  const x = a.split('.').map(Number);
  const y = b.split('.').map(Number);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    if ((x[i] || 0) !== (y[i] || 0)) return (x[i] || 0) > (y[i] || 0);
  }
  return true;
}

/** A failed Subsonic envelope, with the server's error code (auth detection and the delete guard read it). */
class SubsonicFailure extends MediaServerError {
  constructor(
    message: string,
    code: MediaServerError['code'],
    readonly subsonicCode: number,
  ) {
    super(message, code);
  }
}

interface SubsonicSong {
  id: string;
  parent?: string;
  albumId?: string;
  title?: string;
  artist?: string;
  artistId?: string;
  album?: string;
  track?: number;
  discNumber?: number;
  duration?: number;
  suffix?: string;
  path?: string;
  size?: number;
  created?: string;
  /** Per user on Navidrome/OpenSubsonic; Supysonic reports no play counts. */
  playCount?: number;
  /** OpenSubsonic: when this user last played the song. */
  played?: string;
  /** When this user starred the song. */
  starred?: string;
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
  owner?: string;
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
  openSubsonicExtensions?: { name: string }[];
  tokenInfo?: { username?: string };
  starred2?: { song?: SubsonicSong[] };
  users?: { user?: { username: string; adminRole?: boolean }[] };
}

type Params = [string, string | number | boolean][];

interface CallOptions {
  /** A change on the server: sent as a POST form and never retried blindly. */
  write?: boolean;
  /** Log in this way instead of the resolved login (used while `auto` probes). */
  login?: SubsonicLogin;
}

export class NavidromeProvider implements MediaProvider {
  readonly type = 'navidrome' as const;
  private readonly base: string;
  private readonly http: HttpOptions;
  private readonly auth: SubsonicAuth;
  /** Suffixes seen in getAlbum, so openTrackAudio rarely needs getSong for the extension. */
  private readonly suffixes = new Map<string, string>();
  /** The login in use; for `auto`, found once (and found again after a failure to find it). */
  private login?: Promise<SubsonicLogin>;
  /** The API version the server reported in its last answer. */
  private apiVersion?: string;
  /** The version we announce: lowered to the server's when it refuses ours (error 30, "server must upgrade"). */
  private clientVersion = SUBSONIC_API_VERSION;
  /** The user the API key belongs to (OpenSubsonic tokenInfo), for the delete guard. */
  private keyOwner?: Promise<string | undefined>;

  constructor(private readonly options: NavidromeOptions) {
    const { url, user, password, apiKey } = options;
    this.auth = options.auth ?? 'token';
    const needs: Record<SubsonicAuth, [boolean, string]> = {
      token: [!!(user && password), 'NAVIDROME_USER and NAVIDROME_PASSWORD'],
      password: [!!(user && password), 'NAVIDROME_USER and NAVIDROME_PASSWORD'],
      apikey: [!!apiKey, 'NAVIDROME_API_KEY'],
      auto: [!!((user && password) || apiKey), 'NAVIDROME_USER and NAVIDROME_PASSWORD, or NAVIDROME_API_KEY'],
    };
    const [ok, what] = needs[this.auth];
    if (!url || !ok) {
      throw new MediaServerError(
        `A Subsonic server needs NAVIDROME_URL and ${what} (SUBSONIC_AUTH=${this.auth})`,
        'bad_config',
      );
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
      secrets: [password, password && subsonicEncodedPassword(password), apiKey].filter((x): x is string => !!x),
    };
    if (this.auth !== 'auto') this.login = Promise.resolve(this.auth);
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
      const { body, headers } = await this.call('getAlbumList2', [
        ['type', 'newest'],
        ['size', size],
        ['offset', offset],
      ]);
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
    const login = await this.resolveLogin();
    const { url, init } = this.request(
      'stream',
      [
        ['id', trackId],
        ['format', 'raw'],
      ],
      login,
      false,
    );
    const res = await fetchStream(url, init, { ...this.http, idempotent: true });
    if (!res.body) throw this.httpError('stream', res.status, res.text ?? '', url);
    const type = (res.headers.get('content-type') ?? '').split(';')[0].trim().toLowerCase();
    // Subsonic servers send stream errors as an envelope in the requested format instead of audio.
    if (type === 'application/json' || type.endsWith('/xml')) {
      const chunks: Buffer[] = [];
      for await (const c of res.body) chunks.push(c as Buffer);
      const text = Buffer.concat(chunks).toString('utf8');
      this.check('stream', this.parse(text, url), login);
      throw this.protocolError('stream', `answered with ${type} instead of audio`);
    }
    const length = Number(res.headers.get('content-length'));
    let extension = this.suffixes.get(trackId) ?? extensionOfMime(type);
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
    // Before API 1.14 createPlaylist answers with an empty envelope: the new id is the one that was not there.
    const before =
      this.apiVersion && apiVersionAtLeast(this.apiVersion, CREATE_RETURNS_PLAYLIST_VERSION)
        ? undefined
        : new Set((await this.listPlaylists()).map((p) => p.id));
    const { body } = await this.call(
      'createPlaylist',
      [['name', name], ...(first ?? []).map((id): [string, string] => ['songId', id])],
      { write: true },
    );
    const id = body.playlist?.id ?? (await this.newPlaylistNamed(name, before ?? new Set()));
    try {
      for (const batch of rest) {
        await this.call(
          'updatePlaylist',
          [['playlistId', id], ...batch.map((t): [string, string] => ['songIdToAdd', t])],
          { write: true },
        );
      }
      // Read back: Navidrome silently drops ids it does not know, and a short playlist must not pass as done.
      const check = await this.call('getPlaylist', [['id', id]]);
      const count = check.body.playlist?.songCount ?? check.body.playlist?.entry?.length ?? 0;
      if (count !== trackIds.length) {
        throw new MediaServerError(
          `The server kept ${count} of the ${trackIds.length} tracks of playlist "${name}"; ` +
            'some track ids are unknown to it (library rescanned since the analysis?)',
          'not_found',
        );
      }
      return { id, name: body.playlist?.name ?? name, trackCount: count };
    } catch (err) {
      // Leave no half-filled playlist behind.
      await this.call('deletePlaylist', [['id', id]], { write: true }).catch(() => {});
      throw err;
    }
  }

  /**
   * createPlaylist with playlistId sets the whole song list in one call (Subsonic API 1.8+, Navidrome, Supysonic);
   * it keeps the old name, so a changed name is set after with updatePlaylist.
   */
  async replacePlaylistTracks(playlistId: string, name: string, trackIds: string[]): Promise<Playlist> {
    await this.call(
      'createPlaylist',
      [['playlistId', playlistId], ...trackIds.map((id): [string, string] => ['songId', id])],
      { write: true },
    );
    const { body } = await this.call('getPlaylist', [['id', playlistId]]);
    if (body.playlist?.name !== undefined && body.playlist.name !== name)
      await this.call(
        'updatePlaylist',
        [
          ['playlistId', playlistId],
          ['name', name],
        ],
        { write: true },
      );
    const count = body.playlist?.songCount ?? body.playlist?.entry?.length ?? 0;
    return { id: playlistId, name, trackCount: count };
  }

  /** Deletes only playlists of the configured user: an admin account may delete anyone's on some servers. */
  async deletePlaylist(playlistId: string): Promise<void> {
    const refused = (err: unknown) => {
      if (err instanceof SubsonicFailure && err.subsonicCode === 50) {
        throw new MediaServerError(
          `Refusing to delete playlist ${playlistId}: the server says it is not ours (${err.message})`,
          'refused',
        );
      }
      throw err;
    };
    const { body } = await this.call('getPlaylist', [['id', playlistId]]).catch(refused);
    const owner = body.playlist?.owner;
    const me = await this.userName();
    if (owner && me && owner.toLowerCase() !== me.toLowerCase()) {
      throw new MediaServerError(
        `Refusing to delete playlist "${body.playlist?.name}" (${playlistId}): it belongs to ${owner}, not ${me}; ` +
          'AudioMuse deletes only its own playlists',
        'refused',
      );
    }
    await this.call('deletePlaylist', [['id', playlistId]], { write: true }).catch(refused);
  }

  async health(): Promise<ProviderHealth> {
    try {
      const { body } = await this.call('ping');
      const product = body.type ? body.type[0].toUpperCase() + body.type.slice(1) : 'Subsonic';
      return {
        ok: true,
        server: `${product} ${body.serverVersion ?? `(API ${body.version})`}`,
        auth: await this.resolveLogin(),
      };
    } catch (err) {
      if (!(err instanceof MediaServerError)) throw err;
      return { ok: false, server: 'Navidrome', auth: this.auth, error: err.message };
    }
  }

  /** The server's users (getUsers: the configured login must be an administrator's). */
  async listUsers(): Promise<ServerUser[]> {
    const { body } = await this.call('getUsers');
    return (body.users?.user ?? []).map((u) => ({ id: u.username, name: u.username, admin: u.adminRole ?? false }));
  }

  /**
   * What one user played and starred. Subsonic answers only for the user who logs in: with the person's own
   * login (`person.credentials`) the calls go out as them, else as the configured user, who must be that person.
   * Starred songs come from getStarred2; play counts from the songs of the albums getAlbumList2 `recent` lists
   * (Navidrome lists only albums this user played, and its songs carry playCount and played). Supysonic keeps no
   * per-user counts, so from it only stars arrive.
   */
  async listeningHistory(person: ServerPerson, onPage?: (read: number) => void): Promise<PlayedTrack[]> {
    return (await this.asPerson(person)).ownHistory(onPage);
  }

  /**
   * Subsonic acts only as the user who logs in: with the person's own login the calls go out as them, else the
   * configured user must be that person.
   */
  async asPerson(person: ServerPerson): Promise<NavidromeProvider> {
    const own = person.credentials;
    if (own)
      return new NavidromeProvider({
        ...this.options,
        user: own.user,
        password: own.password,
        apiKey: own.apiKey,
        auth: 'auto',
      });
    if ((await this.userName())?.toLowerCase() !== person.serverUserId.toLowerCase())
      throw new MediaServerError(
        `Subsonic acts only as the user who logs in: store ${person.serverUserId}'s own login for them ` +
          `(audiomuse users add … --password or --api-key), or configure NAVIDROME_USER=${person.serverUserId}`,
        'bad_config',
      );
    return this;
  }

  private async ownHistory(onPage?: (read: number) => void): Promise<PlayedTrack[]> {
    const byId = new Map<string, PlayedTrack>();
    const { body } = await this.call('getStarred2');
    for (const s of body.starred2?.song ?? [])
      byId.set(s.id, { trackId: s.id, playCount: s.playCount ?? 0, lastPlayed: s.played, favourite: true });
    onPage?.(byId.size);
    for (let offset = 0; ; offset += ALBUM_PAGE_MAX) {
      const { body: list } = await this.call('getAlbumList2', [
        ['type', 'recent'],
        ['size', ALBUM_PAGE_MAX],
        ['offset', offset],
      ]);
      const albums = list.albumList2?.album ?? [];
      for (const album of albums) {
        const { body: one } = await this.call('getAlbum', [['id', album.id]]);
        for (const s of one.album?.song ?? []) {
          if (!s.playCount) continue;
          byId.set(s.id, { trackId: s.id, playCount: s.playCount, lastPlayed: s.played, favourite: !!s.starred });
        }
      }
      onPage?.(byId.size);
      if (albums.length < ALBUM_PAGE_MAX) break;
    }
    return [...byId.values()];
  }

  /** The login in use, finding it first under `auto`. */
  resolveLogin(): Promise<SubsonicLogin> {
    if (!this.login) {
      this.login = this.detectLogin();
      this.login.catch(() => {
        this.login = undefined;
      }); // a server that was down is asked again next time
    }
    return this.login;
  }

  /** `auto`: token, then API key (when the server lists the extension), then password, by the error codes. */
  private async detectLogin(): Promise<SubsonicLogin> {
    const { password, apiKey } = this.options;
    const refusals: string[] = [];
    const attempt = async (login: SubsonicLogin): Promise<boolean> => {
      try {
        await this.call('ping', [], { login });
        return true;
      } catch (err) {
        if (!(err instanceof SubsonicFailure && NEXT_LOGIN_CODES.has(err.subsonicCode))) throw err;
        refusals.push(`${login}: error ${err.subsonicCode}`);
        return false;
      }
    };
    if (password && (await attempt('token'))) return 'token';
    if (apiKey) {
      const extensions = await this.openSubsonicExtensions();
      if (!extensions.includes('apiKeyAuthentication'))
        refusals.push("apikey: not among the server's OpenSubsonic extensions");
      else if (await attempt('apikey')) return 'apikey';
    }
    if (password && (await attempt('password'))) return 'password';
    throw new MediaServerError(
      `${this.base} accepted none of the login methods AudioMuse can use (${refusals.join('; ')}); ` +
        'set NAVIDROME_USER and NAVIDROME_PASSWORD, or NAVIDROME_API_KEY for servers that only take API keys',
      'auth',
    );
  }

  /** Names of the server's OpenSubsonic extensions; none for plain Subsonic servers (they lack the call). */
  private async openSubsonicExtensions(): Promise<string[]> {
    // The call is public in OpenSubsonic, so it needs no login; a plain Subsonic server refuses it somehow.
    const url = this.url('getOpenSubsonicExtensions');
    url.search = new URLSearchParams({ v: this.clientVersion, c: SUBSONIC_CLIENT, f: 'json' }).toString();
    const res = await fetchText(url, { method: 'GET' }, this.http);
    try {
      const body = (JSON.parse(res.text) as { 'subsonic-response'?: SubsonicBody })['subsonic-response'];
      return body?.status === 'ok' ? (body.openSubsonicExtensions ?? []).map((e) => e.name) : [];
    } catch {
      return [];
    }
  }

  /** Who we are on the server: NAVIDROME_USER, or for an API key the user it belongs to. */
  private async userName(): Promise<string | undefined> {
    if ((await this.resolveLogin()) !== 'apikey') return this.options.user;
    this.keyOwner ??= this.call('tokenInfo').then(
      (r) => r.body.tokenInfo?.username ?? this.options.user,
      () => this.options.user,
    );
    return this.keyOwner;
  }

  private url(method: string): URL {
    return new URL(`${this.base}/rest/${method}.view`);
  }

  /** URL and fetch init of one call: login parameters (fresh salt), then the call's own. A write, and every
   *  request that carries the password, is a POST form so that nothing secret or long lands in a URL. */
  private request(
    method: string,
    params: Params,
    login: SubsonicLogin,
    write: boolean,
  ): { url: URL; init: RequestInit } {
    const { user = '', password = '', apiKey = '' } = this.options;
    const q = new URLSearchParams();
    if (login === 'token') {
      const salt = randomBytes(8).toString('hex');
      q.set('u', user);
      q.set('t', subsonicToken(password, salt));
      q.set('s', salt);
    } else if (login === 'apikey') {
      q.set('apiKey', apiKey); // OpenSubsonic: without u
    } else {
      q.set('u', user);
      q.set('p', subsonicEncodedPassword(password));
    }
    q.set('v', this.clientVersion);
    q.set('c', SUBSONIC_CLIENT);
    q.set('f', 'json');
    for (const [k, v] of params) q.append(k, String(v));
    const url = this.url(method);
    if (!write && login !== 'password') {
      url.search = q.toString();
      return { url, init: { method: 'GET' } };
    }
    return {
      url,
      init: { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: q.toString() },
    };
  }

  private async call(method: string, params: Params = [], opts: CallOptions = {}) {
    const login = opts.login ?? (await this.resolveLogin());
    for (let versionRetry = true; ; versionRetry = false) {
      const { url, init } = this.request(method, params, login, !!opts.write);
      // Reads sent as POST (password login) are still safe to repeat.
      const res = await fetchText(url, init, { ...this.http, idempotent: !opts.write });
      if (res.status < 200 || res.status >= 300) throw this.httpError(method, res.status, res.text, url);
      const body = this.parse(res.text, url);
      // Error 30: the server is older than the version we announced. Announce its own and ask once more.
      if (versionRetry && body.error?.code === 30 && body.version && body.version !== this.clientVersion) {
        this.clientVersion = body.version;
        continue;
      }
      return { body: this.check(method, body, login), headers: res.headers };
    }
  }

  /** The inner subsonic-response; records the server's API version. */
  private parse(text: string, url: URL): SubsonicBody {
    let body: SubsonicBody | undefined;
    try {
      body = (JSON.parse(text) as { 'subsonic-response'?: SubsonicBody })['subsonic-response'];
    } catch {
      // handled below
    }
    if (!body) {
      throw new MediaServerError(
        `${redactUrl(url)} did not answer with a Subsonic JSON envelope (starts with ` +
          `${JSON.stringify(text.slice(0, 80))}); NAVIDROME_URL should be the server's base URL, e.g. http://host:4533`,
        'bad_config',
      );
    }
    if (body.version) this.apiVersion = body.version;
    if (body.version && !apiVersionAtLeast(body.version, MIN_API_VERSION)) {
      throw new MediaServerError(
        `The server speaks Subsonic API ${body.version}; AudioMuse needs ${MIN_API_VERSION} or later ` +
          '(getAlbumList2, getAlbum, updatePlaylist)',
        'bad_config',
      );
    }
    return body;
  }

  /** The body when its status is ok, else the MediaServerError it reports. */
  private check(method: string, body: SubsonicBody, login: SubsonicLogin): SubsonicBody {
    if (body.status === 'ok') return body;
    const code = body.error?.code ?? 0;
    const message = body.error?.message ?? 'no message';
    const detail = `Navidrome ${method} failed: ${message} (Subsonic error ${code})`;
    const fail = (text: string, kind: MediaServerError['code']) => new SubsonicFailure(text, kind, code);
    const api = body.version ? `API ${body.version}` : 'the server';
    switch (code) {
      case 40:
        throw login === 'apikey'
          ? fail(`${detail}; check NAVIDROME_API_KEY`, 'auth')
          : fail(`${detail}; check NAVIDROME_USER (${this.options.user}) and NAVIDROME_PASSWORD`, 'auth');
      case 41:
      case 42:
      case 43:
      case 44:
        throw fail(
          `${detail}; ${api} does not accept ${login} login: set SUBSONIC_AUTH=auto to find one it accepts`,
          'auth',
        );
      case 10: {
        // A server that does not know a login method asks for the parameters of one it knows (Supysonic: p;
        // Navidrome 0.56, which has no API keys: "missing parameter: 'u'"). ping has no parameters of its own,
        // and a server older than tokens cannot mean anything else.
        const tooOld = login === 'token' && !!body.version && !apiVersionAtLeast(body.version, TOKEN_API_VERSION);
        const noKeys = login === 'apikey' && /\bu\b/.test(message);
        if ((method === 'ping' && login !== 'password') || tooOld || noKeys) {
          throw fail(
            `${detail}; ${api} does not accept ${login} login${tooOld ? ` (tokens need API ${TOKEN_API_VERSION})` : ''}: ` +
              (login === 'apikey'
                ? 'set NAVIDROME_USER and NAVIDROME_PASSWORD with SUBSONIC_AUTH=auto'
                : 'set SUBSONIC_AUTH=password or auto'),
            'auth',
          );
        }
        throw fail(detail, 'server');
      }
      case 50:
        throw fail(`${detail}; user ${this.options.user ?? '(API key)'} is not allowed to do this`, 'auth');
      case 70:
        throw fail(detail, 'not_found');
      case 20:
      case 30:
        throw fail(`${detail}; client speaks API ${this.clientVersion}`, 'bad_config');
      default:
        // An id the server cannot even parse (Supysonic: "badly formed hexadecimal UUID string") names nothing.
        throw fail(detail, /badly formed|invalid id/i.test(message) ? 'not_found' : 'server');
    }
  }

  private httpError(method: string, status: number, text: string, url: URL): MediaServerError {
    const where = `Navidrome ${method} (${redactUrl(url)}) answered HTTP ${status}`;
    const excerpt = text.trim().slice(0, 120);
    if (status === 401 || status === 403) {
      return new MediaServerError(`${where}; a proxy in front of the server may need its own login`, 'auth', status);
    }
    if (status === 404) {
      return new MediaServerError(
        `${where}: no Subsonic API there; NAVIDROME_URL should be the server's base URL, e.g. http://host:4533`,
        'bad_config',
        status,
      );
    }
    return new MediaServerError(`${where}${excerpt ? `: ${excerpt}` : ''}`, 'server', status);
  }

  private protocolError(method: string, what: string): MediaServerError {
    return new MediaServerError(`Navidrome ${method}: ${what}`, 'server');
  }

  /** The playlist createPlaylist made when the server did not say: named so, and not among `before`. */
  private async newPlaylistNamed(name: string, before: Set<string>): Promise<string> {
    const { body } = await this.call('getPlaylists');
    const matches = (body.playlists?.playlist ?? []).filter((p) => p.name === name && !before.has(p.id));
    // Another client creating the same name at the same moment is the only way to get two: take the newest.
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
      artistId: s.artistId,
      // No libraryId: a Subsonic song names no music folder (OpenSubsonic Child has no such field).
      album: s.album,
      duration: s.duration,
      trackNumber: s.track,
      discNumber: s.discNumber,
      // Only the server's own path: a made-up one would end up in exported playlists (the download's
      // extension comes from the suffix above).
      path: s.path,
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
