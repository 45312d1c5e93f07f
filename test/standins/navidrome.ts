// An in-process Navidrome (Subsonic 1.16.1 / OpenSubsonic) stand-in for tests, following Navidrome's
// server/subsonic/api.go: `/rest/<method>` and `/rest/<method>.view`, GET query or POST form parameters,
// token auth checked by recomputing md5(password + s), errors as HTTP 200 with status "failed", empty lists
// dropped from JSON (omitempty), x-total-count on getAlbumList2, original bytes from `stream`, an admin user
// who sees and deletes every user's playlists. Its answers have the shapes, status codes and error codes of a
// real Navidrome 0.56.1's (test/unit/media-navidrome-fixtures.test.ts replays the answers recorded in
// test/fixtures/navidrome/). Every request is recorded, and the next requests can be made to fail with an HTTP
// status or to hang. It can also play an older or plainer Subsonic server: API 1.10.2 without tokens and with
// empty createPlaylist answers (as Supysonic, whose real answers test/integration/media-supysonic.test.ts
// compares with these), or a server that takes only OpenSubsonic API keys.
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
  /** Default: the album's. */
  genre?: string;
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
  genre?: string;
  /** ISO date the album was added; `newest` sorts on it. */
  created: string;
  songs: StandinSongInput[];
}

export interface NavidromeStandinOptions {
  user?: string;
  password?: string;
  /** `user` is an admin (default true, as Navidrome's first user): sees and may delete every user's playlists. */
  admin?: boolean;
  /** More users, who log in with a token or password as `user` does (not with the API key). */
  otherUsers?: { user: string; password: string; admin?: boolean }[];
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

interface Song extends Required<Omit<StandinSongInput, 'track' | 'discNumber' | 'year' | 'artist' | 'genre'>> {
  artist: string;
  track?: number;
  discNumber?: number;
  year?: number;
  genre?: string;
  /** The album's artist (Navidrome's made-up path starts with it). */
  albumArtist: string;
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
  genre?: string;
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
  /** Awaited before a call is carried out: a test holds one there (to kill its caller meanwhile). */
  hold?: (endpoint: string, params: URLSearchParams) => Promise<void> | undefined;
  readonly albums: Album[] = [];
  readonly songs = new Map<string, Song>();
  url = '';
  private failures: number[] = [];
  private hangs = 0;
  private readonly user: string;
  private readonly password: string;
  /** Every user: password and admin flag. */
  private readonly users = new Map<string, { password: string; admin: boolean }>();
  private readonly server: http.Server;

  constructor(private readonly opts: NavidromeStandinOptions = {}) {
    this.user = opts.user ?? 'admin';
    this.password = opts.password ?? 'sesame';
    this.users.set(this.user, { password: this.password, admin: opts.admin ?? true });
    for (const u of opts.otherUsers ?? []) this.users.set(u.user, { password: u.password, admin: u.admin ?? false });
    for (const [i, a] of (opts.albums ?? []).entries()) {
      const album: Album = {
        id: a.id ?? `al-${i + 1}`,
        name: a.name,
        artist: a.artist ?? 'Unknown Artist',
        year: a.year,
        genre: a.genre,
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
          genre: s.genre ?? a.genre,
          albumArtist: album.artist,
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
    const notFound = () =>
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('404 page not found\n');
    if (!m) {
      notFound();
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
    // tokenInfo comes with API keys (Navidrome 0.56 has neither); a plain Subsonic server has no extensions.
    const lacks = (endpoint === 'tokenInfo' && !this.accepts('apikey')) || (extensions && !this.openSubsonic);
    const route = lacks || !Object.hasOwn(this.routes, endpoint) ? undefined : this.routes[endpoint];
    // Navidrome routes before it checks the login: a method it lacks is a plain 404.
    if (!route && this.openSubsonic) {
      notFound();
      return;
    }
    try {
      // Public in OpenSubsonic; a plain Subsonic server (Supysonic) wants a login first, then lacks the method.
      const user = extensions && this.openSubsonic ? this.user : this.authenticate(params);
      if (!route) {
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
      await this.hold?.(endpoint, params);
      const payload = route(params, res, user);
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

  /** The user the request logs in as, or the SubsonicError Navidrome answers. */
  private authenticate(p: URLSearchParams): string {
    const missing = (name: string) => new SubsonicError(10, `missing parameter: '${name}'`);
    // Navidrome checks u, v and c first; an API key (which it does not know) is no excuse for a missing u.
    const apiKey = p.has('apiKey') && this.accepts('apikey');
    for (const required of apiKey ? ['v', 'c'] : ['u', 'v', 'c']) {
      if (!p.get(required)) throw missing(required);
    }
    if (this.opts.strictVersion && !versionAtLeast(this.version, p.get('v')!)) {
      throw new SubsonicError(30, 'Incompatible Subsonic REST protocol version. Server must upgrade.');
    }
    const refused = () => new SubsonicError(42, 'Provided authentication mechanism not supported');
    if (apiKey) {
      if (p.has('u')) throw new SubsonicError(43, 'Multiple conflicting authentication mechanisms provided');
      if (p.get('apiKey') !== this.opts.apiKey) throw new SubsonicError(44, 'Invalid API key');
      return this.user;
    }
    const wrong = new SubsonicError(40, 'Wrong username or password');
    const plain = p.get('p');
    const tokens = versionAtLeast(this.version, '1.13.0');
    // A server older than tokens only knows p, and asks for it (Supysonic: "A required parameter is missing.").
    if (plain === null && !tokens) throw new SubsonicError(10, 'A required parameter is missing.');
    if (!this.accepts(plain !== null ? 'password' : 'token')) throw refused();
    const name = p.get('u')!;
    const user = this.users.get(name);
    if (!user) throw wrong;
    if (plain !== null) {
      const pass = plain.startsWith('enc:') ? Buffer.from(plain.slice(4), 'hex').toString('utf8') : plain;
      if (pass !== user.password) throw wrong;
      return name;
    }
    const token = p.get('t');
    const salt = p.get('s');
    if (!token || !salt) throw wrong; // Navidrome: no t, s or p is a failed login
    if (token.toLowerCase() !== md5Hex(user.password + salt)) throw wrong;
    return name;
  }

  private isAdmin(user: string): boolean {
    return this.users.get(user)?.admin ?? false;
  }

  private songJson(s: Song) {
    const two = (n: number) => String(n).padStart(2, '0');
    const artists = [{ id: artistId(s.artist), name: s.artist }];
    return omitUndefined({
      id: s.id,
      parent: s.albumId,
      isDir: false,
      title: s.title,
      album: s.album,
      artist: s.artist,
      track: s.track,
      year: s.year,
      genre: s.genre,
      coverArt: `al-${s.albumId}_0`,
      size: s.size,
      contentType: s.contentType,
      suffix: s.suffix,
      duration: Math.round(s.duration),
      bitRate: 0,
      // Navidrome reports a made-up path unless ReportRealPath is set: album artist/album/DD-TT - title.suffix.
      path:
        `${s.albumArtist}/${s.album}/` +
        `${s.discNumber ? `${two(s.discNumber)}-` : ''}${s.track ? `${two(s.track)} - ` : ''}${s.title}.${s.suffix}`,
      discNumber: s.discNumber,
      created: s.created,
      albumId: s.albumId,
      artistId: artistId(s.artist),
      type: 'music',
      isVideo: false,
      // OpenSubsonic's additions, as Navidrome fills them for a file with only the common tags.
      ...(this.openSubsonic && {
        bpm: 0,
        comment: '',
        sortName: s.title.toLowerCase(),
        mediaType: 'song',
        musicBrainzId: '',
        isrc: [],
        genres: s.genre ? [{ name: s.genre }] : [],
        replayGain: { trackPeak: 1, albumPeak: 1 },
        channelCount: 2,
        samplingRate: 44100,
        bitDepth: 0,
        moods: [],
        artists,
        displayArtist: s.artist,
        albumArtists: [{ id: artistId(s.albumArtist), name: s.albumArtist }],
        displayAlbumArtist: s.albumArtist,
        contributors: [],
        displayComposer: '',
        explicitStatus: '',
      }),
    });
  }

  private albumJson(a: Album) {
    return omitUndefined({
      id: a.id,
      name: a.name,
      artist: a.artist,
      artistId: artistId(a.artist),
      coverArt: `al-${a.id}_0`,
      songCount: a.songs.length,
      duration: Math.round(a.songs.reduce((t, s) => t + s.duration, 0)),
      created: a.created,
      year: a.year,
      genre: a.genre,
      ...(this.openSubsonic && {
        userRating: 0,
        genres: a.genre ? [{ name: a.genre }] : [],
        musicBrainzId: '',
        isCompilation: false,
        sortName: a.name.toLowerCase(),
        discTitles: [],
        originalReleaseDate: {},
        releaseDate: {},
        releaseTypes: [],
        recordLabels: [],
        moods: [],
        artists: [{ id: artistId(a.artist), name: a.artist }],
        displayArtist: a.artist,
        explicitStatus: '',
        version: '',
      }),
    });
  }

  private playlistJson(pl: StandinPlaylist, withEntries: boolean) {
    const songs = pl.songIds.map((id) => this.songs.get(id)).filter((s): s is Song => !!s);
    return omitUndefined({
      id: pl.id,
      name: pl.name,
      comment: pl.comment,
      songCount: songs.length,
      duration: Math.round(songs.reduce((t, s) => t + s.duration, 0)),
      public: pl.public,
      owner: pl.owner,
      created: pl.created,
      changed: pl.changed,
      coverArt: `pl-${pl.id}_0`,
      entry: withEntries && songs.length ? songs.map((s) => this.songJson(s)) : undefined,
    });
  }

  /** Who sees a playlist: its owner, everyone when it is public, and admins (Navidrome shows them all). */
  private visible(pl: StandinPlaylist, user: string): boolean {
    return pl.owner === user || pl.public || this.isAdmin(user);
  }

  private playlist(id: string | null, user: string, missing = 'id'): StandinPlaylist {
    if (!id) throw new SubsonicError(10, `missing parameter: '${missing}'`);
    const pl = this.playlists.get(id);
    if (!pl || !this.visible(pl, user)) throw new SubsonicError(70, 'playlist not found');
    return pl;
  }

  private readonly routes: Record<
    string,
    (p: URLSearchParams, res: http.ServerResponse, user: string) => Record<string, unknown> | undefined
  > = {
    ping: () => ({}),

    getAlbumList2: (p, res) => {
      const type = p.get('type');
      if (!type) throw new SubsonicError(10, "missing parameter: 'type'");
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
      // No id is just an album that is not there.
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
      if (!song) throw new SubsonicError(70, 'data not found');
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

    getPlaylists: (_p, _res, user) => {
      const list = [...this.playlists.values()]
        .filter((pl) => this.visible(pl, user))
        .map((pl) => this.playlistJson(pl, false));
      return { playlists: list.length ? { playlist: list } : {} };
    },

    getPlaylist: (p, _res, user) => ({ playlist: this.playlistJson(this.playlist(p.get('id'), user), true) }),

    createPlaylist: (p, _res, user) => {
      const now = new Date().toISOString();
      const existing = p.get('playlistId');
      // Ids the library does not know are dropped, as Navidrome's playlist join does.
      const ids = p.getAll('songId').filter((id) => this.songs.has(id));
      let pl: StandinPlaylist;
      if (existing) {
        pl = this.playlist(existing, user);
        // Only the owner may replace the tracks, admin or not.
        if (pl.owner !== user) throw new SubsonicError(50, 'User not authorized');
        pl.songIds = ids; // replaces every track
        pl.changed = now;
      } else {
        const name = p.get('name');
        if (!name) throw new SubsonicError(0, 'Internal Server Error: required parameter name is missing');
        pl = { id: randomUUID(), name, public: false, owner: user, created: now, changed: now, songIds: ids };
        this.playlists.set(pl.id, pl);
      }
      // createPlaylist answers with the playlist only since API 1.14.
      return versionAtLeast(this.version, '1.14.0') ? { playlist: this.playlistJson(pl, true) } : {};
    },

    updatePlaylist: (p, _res, user) => {
      const id = p.get('playlistId');
      if (!id) throw new SubsonicError(10, "missing parameter: 'playlistId'");
      const pl = this.playlists.get(id);
      if (!pl || !this.visible(pl, user)) throw new SubsonicError(70, 'data not found');
      if (pl.owner !== user && !this.isAdmin(user)) throw new SubsonicError(50, 'User not authorized');
      if (p.has('name')) pl.name = p.get('name')!;
      if (p.has('comment')) pl.comment = p.get('comment')!;
      if (p.has('public')) pl.public = p.get('public') === 'true';
      const remove = new Set(p.getAll('songIndexToRemove').map(Number));
      pl.songIds = pl.songIds.filter((_, i) => !remove.has(i));
      pl.songIds.push(...p.getAll('songIdToAdd').filter((sid) => this.songs.has(sid)));
      pl.changed = new Date().toISOString();
      return {};
    },

    deletePlaylist: (p, _res, user) => {
      const id = p.get('id');
      if (!id) throw new SubsonicError(10, "missing parameter: 'id'");
      const pl = this.playlists.get(id);
      // An admin deletes any playlist, and "deletes" one that is not there; others only their own.
      if (!this.isAdmin(user)) {
        if (!pl || !this.visible(pl, user)) throw new SubsonicError(70, 'data not found');
        if (pl.owner !== user) throw new SubsonicError(0, 'Internal Server Error: permission denied');
      }
      this.playlists.delete(id);
      return {};
    },

    getOpenSubsonicExtensions: () => ({
      openSubsonicExtensions: [
        { name: 'formPost', versions: [1] },
        ...(this.accepts('apikey') ? [{ name: 'apiKeyAuthentication', versions: [1] }] : []),
      ],
    }),

    tokenInfo: (p, _res, user) => {
      if (!p.has('apiKey')) throw new SubsonicError(0, 'tokenInfo needs an API key login');
      return { tokenInfo: { username: user } };
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
