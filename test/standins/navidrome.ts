// An in-process Navidrome (Subsonic 1.16.1 / OpenSubsonic) stand-in for tests, following Navidrome's
// server/subsonic/api.go: `/rest/<method>` and `/rest/<method>.view`, GET query or POST form parameters,
// token auth checked by recomputing md5(password + s), errors as HTTP 200 with status "failed", empty lists
// dropped from JSON (omitempty), x-total-count on getAlbumList2, original bytes from `stream`. Every request is
// recorded, and the next requests can be made to fail with an HTTP status or to hang. It can also play an
// older or plainer Subsonic server: API 1.10.2 without tokens and with empty createPlaylist answers (as
// Supysonic, whose real answers test/integration/media-supysonic.test.ts compares with these), or a server
// that takes only OpenSubsonic API keys.
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

export interface StandinSongInput {
  id?: string;
  title: string;
  artist?: string;
  track?: number;
  discNumber?: number;
  year?: number;
  /** Seconds. */
  duration?: number;
  /** Real audio file served by `stream`. */
  file: string;
  contentType?: string;
}

export interface StandinAlbumInput {
  id?: string;
  name: string;
  artist?: string;
  year?: number;
  /** ISO date the album was added; `newest` sorts on it. */
  created: string;
  songs: StandinSongInput[];
}

export interface NavidromeStandinOptions {
  user?: string;
  password?: string;
  albums?: StandinAlbumInput[];
  /** Send x-total-count with getAlbumList2 as Navidrome does (default true; other Subsonic servers do not). */
  totalCountHeader?: boolean;
  serverVersion?: string;
  /** The API version answered (default 1.16.1). Before 1.13 token logins get error 10, as on Supysonic; before
   *  1.14 createPlaylist answers with an empty envelope; before 1.16 nothing OpenSubsonic is answered. */
  apiVersion?: string;
  /** Login methods accepted (default token and password, plus apikey when `apiKey` is set); others get 42. */
  logins?: ('token' | 'password' | 'apikey')[];
  /** The OpenSubsonic API key of `user`. */
  apiKey?: string;
  /** Refuse clients announcing a newer API with error 30, as Subsonic and Airsonic do (Navidrome does not). */
  strictVersion?: boolean;
}

export interface RecordedRequest {
  method: string;
  /** "getAlbumList2" for both /rest/getAlbumList2 and /rest/getAlbumList2.view. */
  endpoint: string;
  path: string;
  /** The URL's query alone (what proxies and access logs see). */
  query: URLSearchParams;
  /** Query and form parameters together. */
  params: URLSearchParams;
}

interface Song extends Required<Omit<StandinSongInput, 'track' | 'discNumber' | 'year' | 'artist'>> {
  artist: string;
  track?: number;
  discNumber?: number;
  year?: number;
  albumId: string;
  album: string;
  suffix: string;
  size: number;
  created: string;
}

interface Album {
  id: string;
  name: string;
  artist: string;
  year?: number;
  created: string;
  songs: Song[];
}

export interface StandinPlaylist {
  id: string;
  name: string;
  comment?: string;
  public: boolean;
  owner: string;
  created: string;
  changed: string;
  songIds: string[];
}

const MIME: Record<string, string> = {
  mp3: 'audio/mpeg',
  flac: 'audio/flac',
  ogg: 'audio/ogg',
  opus: 'audio/ogg',
  m4a: 'audio/mp4',
  wav: 'audio/x-wav',
};

class SubsonicError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

export function md5Hex(s: string): string {
  return createHash('md5').update(s, 'utf8').digest('hex');
}

export class NavidromeStandin {
  readonly requests: RecordedRequest[] = [];
  readonly playlists = new Map<string, StandinPlaylist>();
  readonly albums: Album[] = [];
  readonly songs = new Map<string, Song>();
  url = '';
  private failures: number[] = [];
  private hangs = 0;
  private readonly user: string;
  private readonly password: string;
  private readonly server: http.Server;

  constructor(private readonly opts: NavidromeStandinOptions = {}) {
    this.user = opts.user ?? 'admin';
    this.password = opts.password ?? 'sesame';
    for (const [i, a] of (opts.albums ?? []).entries()) {
      const album: Album = {
        id: a.id ?? `al-${i + 1}`,
        name: a.name,
        artist: a.artist ?? 'Unknown Artist',
        year: a.year,
        created: a.created,
        songs: [],
      };
      for (const [j, s] of a.songs.entries()) {
        const suffix = path.extname(s.file).slice(1).toLowerCase();
        const song: Song = {
          id: s.id ?? `${album.id}-tr-${j + 1}`,
          title: s.title,
          artist: s.artist ?? album.artist,
          track: s.track,
          discNumber: s.discNumber,
          year: s.year ?? a.year,
          duration: s.duration ?? 0,
          file: s.file,
          contentType: s.contentType ?? MIME[suffix] ?? 'application/octet-stream',
          albumId: album.id,
          album: album.name,
          suffix,
          size: statSync(s.file).size,
          created: a.created,
        };
        album.songs.push(song);
        this.songs.set(song.id, song);
      }
      this.albums.push(album);
    }
    this.server = http.createServer((req, res) => {
      this.handle(req, res).catch((err) => {
        res.writeHead(500, { 'content-type': 'text/plain' }).end(String(err?.stack ?? err));
      });
    });
  }

  async listen(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** The next `count` API requests get `status` with a plain-text body (503 = Navidrome starting up). */
  failNext(count: number, status = 503): void {
    for (let i = 0; i < count; i++) this.failures.push(status);
  }

  /** The next `count` API requests never get an answer (until close). */
  hangNext(count: number): void {
    this.hangs += count;
  }

  /** Requests to one endpoint, in order. */
  calls(endpoint: string): RecordedRequest[] {
    return this.requests.filter((r) => r.endpoint === endpoint);
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse) {
    const url = new URL(req.url ?? '/', 'http://standin');
    const m = /^\/rest\/([A-Za-z0-9]+?)(?:\.view)?$/.exec(url.pathname);
    if (!m) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('404 page not found');
      return;
    }
    const params = new URLSearchParams(url.search);
    if (req.method === 'POST' && /x-www-form-urlencoded/.test(req.headers['content-type'] ?? '')) {
      let body = '';
      for await (const chunk of req) body += chunk;
      for (const [k, v] of new URLSearchParams(body)) params.append(k, v);
    }
    const endpoint = m[1];
    this.requests.push({
      method: req.method ?? 'GET',
      endpoint,
      path: url.pathname,
      query: new URLSearchParams(url.search),
      params,
    });

    if (this.hangs > 0) {
      this.hangs--;
      return; // the socket stays open until close()
    }
    const failure = this.failures.shift();
    if (failure !== undefined) {
      res.writeHead(failure, { 'content-type': 'text/plain' }).end(http.STATUS_CODES[failure] ?? 'error');
      return;
    }
    if (params.get('f') !== 'json') {
      res.writeHead(200, { 'content-type': 'application/xml' });
      res.end(
        '<subsonic-response xmlns="http://subsonic.org/restapi" status="failed" version="1.16.1">' +
          '<error code="0" message="the stand-in answers only f=json"/></subsonic-response>',
      );
      return;
    }
    const extensions = endpoint === 'getOpenSubsonicExtensions';
    try {
      // Public in OpenSubsonic; a plain Subsonic server (Supysonic) wants a login first, then lacks the method.
      if (!(extensions && this.openSubsonic)) this.authenticate(params);
      if (extensions && !this.openSubsonic) {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            'subsonic-response': {
              status: 'failed',
              version: this.version,
              error: { code: 0, message: 'Unknown method' },
            },
          }),
        );
        return;
      }
      const route = this.routes[endpoint];
      if (!route) {
        res.writeHead(501, { 'content-type': 'text/plain' }).end(`${endpoint} not implemented`);
        return;
      }
      const payload = route(params, res);
      if (payload !== undefined) this.send(res, { status: 'ok', ...payload });
    } catch (err) {
      if (!(err instanceof SubsonicError)) throw err;
      this.send(res, { status: 'failed', error: { code: err.code, message: err.message } });
    }
  }

  private send(res: http.ServerResponse, body: Record<string, unknown>, headers: Record<string, string> = {}) {
    const flavour = this.openSubsonic
      ? { type: 'navidrome', serverVersion: this.opts.serverVersion ?? '0.63.2 (standin)', openSubsonic: true }
      : {};
    const envelope = { 'subsonic-response': { status: body.status, version: this.version, ...flavour, ...body } };
    res.writeHead(200, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(envelope));
  }

  private get version(): string {
    return this.opts.apiVersion ?? '1.16.1';
  }

  private get openSubsonic(): boolean {
    return versionAtLeast(this.version, '1.16.0');
  }

  private accepts(login: 'token' | 'password' | 'apikey'): boolean {
    return (this.opts.logins ?? ['token', 'password', ...(this.opts.apiKey ? ['apikey' as const] : [])]).includes(
      login,
    );
  }

  private authenticate(p: URLSearchParams) {
    for (const required of ['v', 'c']) {
      if (!p.get(required)) throw new SubsonicError(10, `Missing required parameter "${required}"`);
    }
    if (this.opts.strictVersion && !versionAtLeast(this.version, p.get('v')!)) {
      throw new SubsonicError(30, 'Incompatible Subsonic REST protocol version. Server must upgrade.');
    }
    const refused = () => new SubsonicError(42, 'Provided authentication mechanism not supported');
    if (p.has('apiKey')) {
      if (!this.accepts('apikey')) throw refused();
      if (p.has('u')) throw new SubsonicError(43, 'Multiple conflicting authentication mechanisms provided');
      if (p.get('apiKey') !== this.opts.apiKey) throw new SubsonicError(44, 'Invalid API key');
      return;
    }
    if (!p.get('u')) throw new SubsonicError(10, 'Missing required parameter "u"');
    const wrong = new SubsonicError(40, 'Wrong username or password');
    const plain = p.get('p');
    const tokens = versionAtLeast(this.version, '1.13.0');
    // A server older than tokens only knows p, and asks for it (Supysonic: "A required parameter is missing.").
    if (plain === null && !tokens) throw new SubsonicError(10, 'A required parameter is missing.');
    if (!this.accepts(plain !== null ? 'password' : 'token')) throw refused();
    if (p.get('u') !== this.user) throw wrong;
    if (plain !== null) {
      const pass = plain.startsWith('enc:') ? Buffer.from(plain.slice(4), 'hex').toString('utf8') : plain;
      if (pass !== this.password) throw wrong;
      return;
    }
    const token = p.get('t');
    const salt = p.get('s');
    if (!token || !salt) throw new SubsonicError(10, 'Missing required parameter "t" or "s"');
    if (token.toLowerCase() !== md5Hex(this.password + salt)) throw wrong;
  }

  private songJson(s: Song) {
    const nn = String(s.track ?? 0).padStart(2, '0');
    return omitUndefined({
      id: s.id,
      parent: s.albumId,
      isDir: false,
      title: s.title,
      album: s.album,
      artist: s.artist,
      track: s.track,
      discNumber: s.discNumber,
      year: s.year,
      size: s.size,
      suffix: s.suffix,
      contentType: s.contentType,
      duration: Math.round(s.duration),
      bitRate: 0,
      // Navidrome reports a made-up path unless ReportRealPath is set.
      path: `${s.artist}/${s.album}/${nn} - ${s.title}.${s.suffix}`,
      albumId: s.albumId,
      artistId: artistId(s.artist),
      type: 'music',
      isVideo: false,
      created: s.created,
    });
  }

  private albumJson(a: Album) {
    return omitUndefined({
      id: a.id,
      name: a.name,
      artist: a.artist,
      artistId: artistId(a.artist),
      coverArt: `al-${a.id}`,
      songCount: a.songs.length,
      duration: Math.round(a.songs.reduce((t, s) => t + s.duration, 0)),
      created: a.created,
      year: a.year,
    });
  }

  private playlistJson(pl: StandinPlaylist, withEntries: boolean) {
    const songs = pl.songIds.map((id) => this.songs.get(id)).filter((s): s is Song => !!s);
    return omitUndefined({
      id: pl.id,
      name: pl.name,
      comment: pl.comment,
      owner: pl.owner,
      public: pl.public,
      songCount: songs.length,
      duration: Math.round(songs.reduce((t, s) => t + s.duration, 0)),
      created: pl.created,
      changed: pl.changed,
      entry: withEntries && songs.length ? songs.map((s) => this.songJson(s)) : undefined,
    });
  }

  private playlist(id: string | null): StandinPlaylist {
    if (!id) throw new SubsonicError(10, 'Missing required parameter "id"');
    const pl = this.playlists.get(id);
    if (!pl) throw new SubsonicError(70, 'playlist not found');
    return pl;
  }

  private readonly routes: Record<
    string,
    (p: URLSearchParams, res: http.ServerResponse) => Record<string, unknown> | undefined
  > = {
    ping: () => ({}),

    getAlbumList2: (p, res) => {
      const type = p.get('type');
      if (!type) throw new SubsonicError(10, 'Missing required parameter "type"');
      if (type !== 'newest') throw new SubsonicError(0, `list type ${type} is not in the stand-in`);
      const size = Math.min(500, Number(p.get('size') ?? 10));
      const offset = Number(p.get('offset') ?? 0);
      const sorted = [...this.albums].sort((a, b) => b.created.localeCompare(a.created) || a.id.localeCompare(b.id));
      const page = sorted.slice(offset, offset + size).map((a) => this.albumJson(a));
      const headers: Record<string, string> =
        this.opts.totalCountHeader === false ? {} : { 'x-total-count': String(sorted.length) };
      this.send(res, { status: 'ok', albumList2: page.length ? { album: page } : {} }, headers);
      return undefined;
    },

    getAlbum: (p) => {
      const album = this.albums.find((a) => a.id === p.get('id'));
      if (!album) throw new SubsonicError(70, 'Album not found');
      const song = album.songs.map((s) => this.songJson(s));
      return { album: { ...this.albumJson(album), ...(song.length ? { song } : {}) } };
    },

    getSong: (p) => {
      const song = this.songs.get(p.get('id') ?? '');
      if (!song) throw new SubsonicError(70, 'Song not found');
      return { song: this.songJson(song) };
    },

    stream: (p, res) => {
      const song = this.songs.get(p.get('id') ?? '');
      if (!song) throw new SubsonicError(70, 'Song not found');
      res.writeHead(200, {
        'content-type': song.contentType,
        'content-length': String(song.size),
        'x-content-duration': song.duration.toFixed(2),
        'x-content-type-options': 'nosniff',
        'accept-ranges': 'bytes',
      });
      createReadStream(song.file).pipe(res);
      return undefined;
    },

    getPlaylists: () => {
      const list = [...this.playlists.values()].map((pl) => this.playlistJson(pl, false));
      return { playlists: list.length ? { playlist: list } : {} };
    },

    getPlaylist: (p) => ({ playlist: this.playlistJson(this.playlist(p.get('id')), true) }),

    createPlaylist: (p) => {
      const now = new Date().toISOString();
      const existing = p.get('playlistId');
      // Ids the library does not know are dropped, as Navidrome's playlist join does.
      const ids = p.getAll('songId').filter((id) => this.songs.has(id));
      let pl: StandinPlaylist;
      if (existing) {
        pl = this.playlist(existing);
        pl.songIds = ids; // replaces every track
        pl.changed = now;
      } else {
        const name = p.get('name');
        if (!name) throw new SubsonicError(0, "required 'name' parameter is missing");
        pl = { id: randomUUID(), name, public: false, owner: this.user, created: now, changed: now, songIds: ids };
        this.playlists.set(pl.id, pl);
      }
      // createPlaylist answers with the playlist only since API 1.14.
      return versionAtLeast(this.version, '1.14.0') ? { playlist: this.playlistJson(pl, true) } : {};
    },

    updatePlaylist: (p) => {
      const id = p.get('playlistId');
      if (!id) throw new SubsonicError(10, 'Missing required parameter "playlistId"');
      const pl = this.playlist(id);
      if (p.has('name')) pl.name = p.get('name')!;
      if (p.has('comment')) pl.comment = p.get('comment')!;
      if (p.has('public')) pl.public = p.get('public') === 'true';
      const remove = new Set(p.getAll('songIndexToRemove').map(Number));
      pl.songIds = pl.songIds.filter((_, i) => !remove.has(i));
      pl.songIds.push(...p.getAll('songIdToAdd').filter((sid) => this.songs.has(sid)));
      pl.changed = new Date().toISOString();
      return {};
    },

    deletePlaylist: (p) => {
      const pl = this.playlist(p.get('id'));
      if (pl.owner !== this.user) throw new SubsonicError(50, 'User is not authorized for the given operation.');
      this.playlists.delete(pl.id);
      return {};
    },

    getOpenSubsonicExtensions: () => ({
      openSubsonicExtensions: [
        { name: 'formPost', versions: [1] },
        ...(this.accepts('apikey') ? [{ name: 'apiKeyAuthentication', versions: [1] }] : []),
      ],
    }),

    tokenInfo: (p) => {
      if (!p.has('apiKey')) throw new SubsonicError(0, 'tokenInfo needs an API key login');
      return { tokenInfo: { username: this.user } };
    },
  };
}

const artistId = (name: string) => `ar-${md5Hex(name).slice(0, 8)}`;

function versionAtLeast(a: string, b: string): boolean {
  const [x, y] = [a, b].map((v) => v.split('.').map(Number));
  for (let i = 0; i < 3; i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) > (y[i] ?? 0);
  return true;
}

function omitUndefined<T extends Record<string, unknown>>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

export async function startNavidromeStandin(opts: NavidromeStandinOptions = {}): Promise<NavidromeStandin> {
  return new NavidromeStandin(opts).listen();
}
