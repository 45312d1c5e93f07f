// A Jellyfin stand-in (plain node:http) for tests, since a real Jellyfin cannot run here. It follows the
// server's OpenAPI documents (10.11.11 and 12.0.0) and the behaviour they do not show, as described in
// ../shared/reference/jellyfin.md: PascalCase JSON without nulls (except ChannelId), N-format GUIDs, the
// Items/TotalRecordCount/StartIndex envelope, the auth forms of each version, Range downloads, non-unique
// playlist names, duplicate handling per version, and DELETE /Items/{id} deleting media (the stand-in only
// records such deletions: it never touches the files it serves).
import { createHash } from 'node:crypto';
import { createReadStream, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import path from 'node:path';

export type StandinVersion = '10.11.11' | '12.0.0';

export interface StandinTrack {
  title: string;
  /** The item id (32 hex digits) the server gives it; default: derived from its album, place and path. */
  id?: string;
  /** Real file whose bytes /Items/{id}/Download serves. */
  file: string;
  /** Path the server reports (default: /media/music/<artist>/<album>/<NN - title><ext of file>). */
  path?: string;
  trackNumber?: number;
  discNumber?: number;
  durationSeconds?: number;
}
export interface StandinAlbum {
  name: string;
  /** Its item id (32 hex digits); default: derived from its artist, name and place. */
  id?: string;
  year?: number;
  /** When the server "added" the album; default: 2024-01-01 plus one minute per album in description order. */
  dateCreated?: string;
  tracks: StandinTrack[];
}
export interface StandinArtist {
  name: string;
  /** Its item id (32 hex digits); default: derived from its name. */
  id?: string;
  albums: StandinAlbum[];
}
export interface StandinLibrary {
  name?: string;
  artists: StandinArtist[];
}

export interface StandinUser {
  name: string;
  id: string;
  /** A user access token (what POST /Users/AuthenticateByName would return). */
  token: string;
  admin: boolean;
  canDownload: boolean;
}

export interface StandinOptions {
  /** Optional base path the server is mounted under, e.g. "/jellyfin". */
  basePath?: string;
  /** EnableLegacyAuthorization; default true on 10.11, false on 12.0 (as the server's defaults). */
  legacyAuthorization?: boolean;
  users?: { name: string; admin?: boolean; canDownload?: boolean }[];
  /**
   * Keep items that tie on every SortBy key in library order. Default false: ties come back in a different
   * order on each request, as from the real server's SQL (ORDER BY without a unique key), so a client that
   * pages without a tiebreak sees duplicates and gaps.
   */
  stableTies?: boolean;
}

export interface RecordedExchange {
  method: string;
  /** Path without the base path, as sent (case kept). */
  path: string;
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
  /** Parsed JSON request body, when there was one. */
  body?: unknown;
  status: number;
  contentType?: string;
  /** Parsed JSON response body, when the response was JSON. */
  responseBody?: unknown;
  /** The response carried a body (JSON, text or bytes). */
  responseHasBody: boolean;
}

export interface Fault {
  method?: string;
  path: RegExp;
  /** Answer with this status ("Error processing request." as text/plain, like the exception middleware). */
  status?: number;
  /** Never answer. */
  hang?: boolean;
  /** Downloads: send the headers and this many bytes, then drop the connection. */
  cutAfterBytes?: number;
  /** Downloads: send the headers and this many bytes, then stop sending without closing. */
  stallAfterBytes?: number;
  /** How many matching requests the fault affects (default: all). */
  times?: number;
  /** Matching requests that pass untouched before the fault starts (default 0). */
  after?: number;
  /** Handle the request normally, then answer with `status` instead of the real answer (the work is done,
   *  the client never learns it: a crash between a server's commit and its reply). */
  afterHandling?: boolean;
}

type Kind = 'CollectionFolder' | 'MusicArtist' | 'MusicAlbum' | 'Audio' | 'Playlist';

interface Item {
  id: string;
  kind: Kind;
  name: string;
  sortName: string;
  parentId?: string;
  children: string[];
  dateCreated: Date;
  path: string;
  // Audio
  file?: string;
  artist?: { name: string; id: string };
  album?: { name: string; id: string };
  year?: number;
  indexNumber?: number;
  parentIndexNumber?: number;
  runTimeTicks?: number;
  container?: string;
  // Playlist
  ownerId?: string;
  openAccess?: boolean;
  entries?: string[];
}

/** One user's data about one item (UserItemDataDto): what GET /Items returns as UserData. */
export interface StandinUserData {
  playCount?: number;
  lastPlayed?: Date;
  favourite?: boolean;
}

type Auth = { kind: 'apikey' } | { kind: 'user'; user: StandinUser };

class HttpFailure extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown = undefined,
    readonly contentType = 'text/plain',
  ) {
    super(`HTTP ${status}`);
  }
}

const SERVER_ID = guid('server');
const BASE_ITEM_KINDS = [
  'AggregateFolder',
  'Audio',
  'AudioBook',
  'BasePluginFolder',
  'Book',
  'BoxSet',
  'Channel',
  'ChannelFolderItem',
  'CollectionFolder',
  'Episode',
  'Folder',
  'Genre',
  'ManualPlaylistsFolder',
  'Movie',
  'LiveTvChannel',
  'LiveTvProgram',
  'MusicAlbum',
  'MusicArtist',
  'MusicGenre',
  'MusicVideo',
  'Person',
  'Photo',
  'PhotoAlbum',
  'Playlist',
  'PlaylistsFolder',
  'Program',
  'Recording',
  'Season',
  'Series',
  'Studio',
  'Trailer',
  'TvChannel',
  'TvProgram',
  'UserRootFolder',
  'UserView',
  'Video',
  'Year',
];
const ITEM_FIELDS_USED = [
  'DateCreated',
  'Path',
  'SortName',
  'ParentId',
  'ChildCount',
  'RecursiveItemCount',
  'CanDelete',
  'CanDownload',
  'Etag',
];
const MIME: Record<string, string> = {
  '.wav': 'audio/wav',
  '.flac': 'audio/flac',
  '.mp3': 'audio/mpeg',
  '.ogg': 'audio/ogg',
  '.oga': 'audio/ogg',
  '.opus': 'audio/ogg',
  '.m4a': 'audio/mp4',
  '.aac': 'audio/aac',
  '.wma': 'audio/x-ms-wma',
};

/** Writes a mono 16-bit PCM WAV of a sine tone (small, valid audio for download tests). */
export function writeSineWav(file: string, seconds = 0.25, rate = 8000, hz = 440): number {
  const n = Math.round(seconds * rate);
  const b = Buffer.alloc(44 + n * 2);
  b.write('RIFF', 0);
  b.writeUInt32LE(36 + n * 2, 4);
  b.write('WAVEfmt ', 8);
  b.writeUInt32LE(16, 16);
  b.writeUInt16LE(1, 20); // PCM
  b.writeUInt16LE(1, 22); // mono
  b.writeUInt32LE(rate, 24);
  b.writeUInt32LE(rate * 2, 28);
  b.writeUInt16LE(2, 32);
  b.writeUInt16LE(16, 34);
  b.write('data', 36);
  b.writeUInt32LE(n * 2, 40);
  for (let i = 0; i < n; i++) b.writeInt16LE(Math.round(12000 * Math.sin((2 * Math.PI * hz * i) / rate)), 44 + i * 2);
  writeFileSync(file, b);
  return b.length;
}

/**
 * A generated library: `albums` albums spread over `artists` artists, `tracksPerAlbum` tracks each, all served
 * from `file`. Groups of `sameDate` consecutive albums share a DateCreated, like a bulk import.
 */
export function syntheticLibrary(opts: {
  albums: number;
  tracksPerAlbum: number;
  file: string;
  artists?: number;
  sameDate?: number;
}): StandinLibrary {
  const artistCount = Math.max(1, Math.min(opts.artists ?? 50, opts.albums));
  const artists: StandinArtist[] = Array.from({ length: artistCount }, (_, i) => ({
    name: `Artist ${i + 1}`,
    albums: [],
  }));
  const group = Math.max(1, opts.sameDate ?? 1);
  for (let a = 0; a < opts.albums; a++) {
    artists[a % artistCount].albums.push({
      name: `Album ${a + 1}`,
      year: 1970 + (a % 50),
      dateCreated: new Date(Date.UTC(2020, 0, 1) + Math.floor(a / group) * 3_600_000).toISOString(),
      tracks: Array.from({ length: opts.tracksPerAlbum }, (_, t) => ({
        title: `Song ${a + 1}.${t + 1}`,
        file: opts.file,
        trackNumber: t + 1,
        durationSeconds: 180 + t,
      })),
    });
  }
  return { artists };
}

/** Deterministic N-format GUID (32 lowercase hex), as Jellyfin derives item ids from hashes. */
export function guid(key: string): string {
  return createHash('md5').update(key).digest('hex');
}

function parseGuid(value: string): string | undefined {
  const v = value
    .trim()
    .toLowerCase()
    .replace(/^\{|\}$/g, '');
  if (/^[0-9a-f]{32}$/.test(v)) return v;
  if (/^[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}$/.test(v)) return v.replace(/-/g, '');
  return undefined;
}

/** Jellyfin's JsonDateTimeConverter: seven fractional digits when milliseconds are 0. */
function jsonDate(d: Date): string {
  const iso = d.toISOString();
  return d.getUTCMilliseconds() === 0 ? iso.replace('.000Z', '.0000000Z') : iso;
}

export class JellyfinStandin {
  readonly version: StandinVersion;
  readonly basePath: string;
  readonly legacyAuthorization: boolean;
  /** An admin API key (no user attached, like keys made in Dashboard → API Keys). */
  readonly apiKey = guid('api-key');
  readonly users: StandinUser[];
  readonly requests: RecordedExchange[] = [];
  /** Files of Audio items deleted through DELETE /Items/{id} (the real server deletes them from disk). */
  readonly deletedFiles: string[] = [];
  /** Awaited before a request is carried out (method, lower-case path): a test holds one there to kill its caller. */
  hold?: (method: string, path: string) => Promise<void> | undefined;
  /** While true every path except /System/Ping answers 503, as during Jellyfin's start-up. */
  startingUp = false;

  private readonly items = new Map<string, Item>();
  private libraryItemsCache?: Item[];
  /** The id of the one music library (its CollectionFolder). */
  readonly libraryId: string;
  private readonly faults: (Fault & { remaining: number; after?: number })[] = [];
  private readonly sockets = new Set<Socket>();
  private server?: http.Server;
  private playlistCounter = 0;
  private readonly stableTies: boolean;
  private tieSeed = 1;
  private readonly bodyFaults = new WeakMap<http.ServerResponse, Fault>();
  /** userId → itemId → that user's data (play count, last played, favourite). */
  private readonly userData = new Map<string, Map<string, StandinUserData>>();

  constructor(library: StandinLibrary, version: StandinVersion = '10.11.11', options: StandinOptions = {}) {
    this.version = version;
    this.basePath = (options.basePath ?? '').replace(/\/+$/, '');
    this.legacyAuthorization = options.legacyAuthorization ?? version.startsWith('10.');
    this.users = (options.users ?? [{ name: 'alice' }, { name: 'admin', admin: true }]).map((u) => ({
      name: u.name,
      id: guid(`user:${u.name}`),
      token: guid(`token:${u.name}`),
      admin: u.admin ?? false,
      canDownload: u.canDownload ?? true,
    }));
    this.stableTies = options.stableTies ?? false;
    this.libraryId = guid('library');
    this.buildLibrary(library);
  }

  /** Starts listening on a free port of 127.0.0.1; returns the base URL (with the base path). */
  async listen(): Promise<string> {
    const server = http.createServer((req, res) => void this.handle(req, res));
    server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.server = server;
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}${this.basePath}`;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** Makes matching requests fail (status) or hang, `times` times (default: until cleared). */
  addFault(fault: Fault): void {
    this.faults.push({ ...fault, remaining: fault.times ?? Infinity });
  }

  clearFaults(): void {
    this.faults.length = 0;
  }

  user(name: string): StandinUser {
    const u = this.users.find((x) => x.name === name);
    if (!u) throw new Error(`stand-in has no user ${name}`);
    return u;
  }

  /** Sets what `userName` played and liked of an item (as playing it in a Jellyfin client would). */
  setUserData(userName: string, itemId: string, data: StandinUserData): void {
    const id = this.user(userName).id;
    if (!this.userData.has(id)) this.userData.set(id, new Map());
    this.userData.get(id)!.set(itemId, data);
  }

  private dataOf(user: StandinUser, itemId: string): StandinUserData {
    return this.userData.get(user.id)?.get(itemId) ?? {};
  }

  /** Album ids, newest first (the order GET /Items?SortBy=DateCreated&SortOrder=Descending gives). */
  albumIdsNewestFirst(): string[] {
    return this.ofKind('MusicAlbum')
      .sort(
        (a, b) =>
          b.dateCreated.getTime() - a.dateCreated.getTime() ||
          (a.sortName < b.sortName ? -1 : a.sortName > b.sortName ? 1 : 0),
      )
      .map((a) => a.id);
  }

  trackIds(albumId?: string): string[] {
    return this.ofKind('Audio')
      .filter((t) => !albumId || t.parentId === albumId)
      .map((t) => t.id);
  }

  itemKind(id: string): string | undefined {
    return this.items.get(id)?.kind;
  }

  /** Playlists as stored: name, owner and entries (item ids in order). */
  playlists(): { id: string; name: string; ownerId: string; openAccess: boolean; entries: string[] }[] {
    return this.ofKind('Playlist').map((p) => ({
      id: p.id,
      name: p.name,
      ownerId: p.ownerId!,
      openAccess: p.openAccess!,
      entries: [...p.entries!],
    }));
  }

  // ---------------------------------------------------------------------------------------------------------
  // Library

  private buildLibrary(library: StandinLibrary): void {
    const root: Item = {
      id: this.libraryId,
      kind: 'CollectionFolder',
      name: library.name ?? 'Music',
      sortName: (library.name ?? 'Music').toLowerCase(),
      children: [],
      dateCreated: new Date('2024-01-01T00:00:00Z'),
      path: '/media/music',
    };
    this.items.set(root.id, root);
    let albumIndex = 0;
    for (const artist of library.artists) {
      const artistId = artist.id ?? guid(`artist:${artist.name}`);
      if (!this.items.has(artistId)) {
        const a: Item = {
          id: artistId,
          kind: 'MusicArtist',
          name: artist.name,
          sortName: artist.name.toLowerCase(),
          parentId: root.id,
          children: [],
          dateCreated: root.dateCreated,
          path: `/media/music/${artist.name}`,
        };
        this.items.set(a.id, a);
        root.children.push(a.id);
      }
      for (const album of artist.albums) {
        const albumId = album.id ?? guid(`album:${artist.name}/${album.name}/${albumIndex}`);
        const created = album.dateCreated
          ? new Date(album.dateCreated)
          : new Date(Date.UTC(2024, 0, 1) + albumIndex * 60_000);
        albumIndex++;
        const albumPath = `/media/music/${artist.name}/${album.name}`;
        const al: Item = {
          id: albumId,
          kind: 'MusicAlbum',
          name: album.name,
          sortName: album.name.toLowerCase(),
          parentId: artistId,
          children: [],
          dateCreated: created,
          path: albumPath,
          year: album.year,
          artist: { name: artist.name, id: artistId },
          runTimeTicks: 0,
        };
        this.items.set(al.id, al);
        this.items.get(artistId)!.children.push(al.id);
        album.tracks.forEach((t, i) => {
          const ext = path.extname(t.file).toLowerCase();
          const n = t.trackNumber ?? i + 1;
          const trackPath = t.path ?? `${albumPath}/${String(n).padStart(2, '0')} - ${t.title}${ext}`;
          const ticks = Math.round((t.durationSeconds ?? 0) * 1e7);
          const tr: Item = {
            id: t.id ?? guid(`audio:${albumId}/${i}/${trackPath}`),
            kind: 'Audio',
            name: t.title,
            sortName: t.title.toLowerCase(),
            parentId: albumId,
            children: [],
            dateCreated: created,
            path: trackPath,
            file: t.file,
            artist: { name: artist.name, id: artistId },
            album: { name: album.name, id: albumId },
            year: album.year,
            indexNumber: n,
            parentIndexNumber: t.discNumber ?? 1,
            runTimeTicks: ticks || undefined,
            container: ext.slice(1) || undefined,
          };
          this.items.set(tr.id, tr);
          al.children.push(tr.id);
          al.runTimeTicks! += ticks;
        });
      }
    }
  }

  private ofKind(kind: Kind): Item[] {
    return [...this.items.values()].filter((i) => i.kind === kind);
  }

  /** Every item of the library, in library order: walked once per change, not per request (a 300,000-track
   *  library's publish asks for 100 ids at a time, thousands of times). */
  private libraryItems(): Item[] {
    return (this.libraryItemsCache ??= this.descendants(this.libraryId));
  }

  private descendants(id: string): Item[] {
    const out: Item[] = [];
    const walk = (pid: string) => {
      for (const c of this.items.get(pid)?.children ?? []) {
        const item = this.items.get(c);
        if (!item) continue;
        out.push(item);
        walk(c);
      }
    };
    walk(id);
    return out;
  }

  private visiblePlaylists(user: StandinUser | undefined): Item[] {
    return this.ofKind('Playlist').filter((p) => !user || p.openAccess || p.ownerId === user.id);
  }

  // ---------------------------------------------------------------------------------------------------------
  // HTTP plumbing

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const started = Date.now();
    const url = new URL(req.url ?? '/', 'http://standin');
    const method = (req.method ?? 'GET').toUpperCase();
    const raw = await readBody(req);
    let pathname = url.pathname;
    const exchange: RecordedExchange = {
      method,
      path: pathname,
      query: url.searchParams,
      headers: req.headers,
      status: 0,
      responseHasBody: false,
    };
    if (raw.length > 0 && /json/i.test(req.headers['content-type'] ?? '')) {
      try {
        exchange.body = JSON.parse(raw.toString('utf8'));
      } catch {
        exchange.body = raw.toString('utf8');
      }
    }
    this.requests.push(exchange);

    const matching = this.faults.find(
      (f) => f.remaining > 0 && f.path.test(pathname) && (!f.method || f.method === method),
    );
    const fault = matching && (matching.after ?? 0) > 0 ? (matching.after!--, undefined) : matching;
    const lostReply = fault?.afterHandling ? fault : undefined;
    if (fault && !lostReply) {
      fault.remaining--;
      if (fault.cutAfterBytes !== undefined || fault.stallAfterBytes !== undefined) this.bodyFaults.set(res, fault);
      else if (fault.hang)
        return; // the socket stays open until the client gives up or close() runs
      else return this.send(res, exchange, started, fault.status ?? 500, 'Error processing request.', 'text/plain');
    }

    try {
      if (this.basePath) {
        if (!pathname.toLowerCase().startsWith(this.basePath.toLowerCase() + '/')) throw new HttpFailure(404);
        pathname = pathname.slice(this.basePath.length);
        exchange.path = pathname;
      }
      const lower = pathname.toLowerCase().replace(/\/+$/, '');
      await this.hold?.(method, lower);
      if (this.startingUp && lower !== '/system/ping') {
        throw new HttpFailure(503, 'Jellyfin Server is loading. Please try again shortly.', 'text/html');
      }
      const result = await this.route(
        method,
        lower,
        url.searchParams,
        exchange.body,
        raw.length > 0,
        req,
        res,
        exchange,
        started,
      );
      if (lostReply) {
        lostReply.remaining--;
        return this.send(res, exchange, started, lostReply.status ?? 500, 'Error processing request.', 'text/plain');
      }
      if (result === 'streamed') return;
      if (result === undefined) return this.send(res, exchange, started, 204);
      return this.send(res, exchange, started, 200, result, 'application/json');
    } catch (err) {
      if (err instanceof HttpFailure) return this.send(res, exchange, started, err.status, err.body, err.contentType);
      return this.send(res, exchange, started, 500, 'Error processing request.', 'text/plain');
    }
  }

  private send(
    res: http.ServerResponse,
    ex: RecordedExchange,
    started: number,
    status: number,
    body?: unknown,
    contentType?: string,
  ): void {
    ex.status = status;
    res.statusCode = status;
    res.setHeader('Server', 'Kestrel');
    res.setHeader('X-Response-Time-ms', String(Date.now() - started));
    if (body === undefined) {
      res.end();
      return;
    }
    let text: string;
    if (contentType === 'application/json' || contentType === 'application/problem+json') {
      text = JSON.stringify(body);
      ex.responseBody = JSON.parse(text);
    } else {
      text = String(body);
    }
    ex.contentType = `${contentType}; charset=utf-8`;
    ex.responseHasBody = true;
    res.setHeader('Content-Type', ex.contentType);
    res.end(text);
  }

  private authenticate(req: http.IncomingMessage, query: URLSearchParams): Auth | undefined {
    const header = (name: string) => {
      const v = req.headers[name];
      return Array.isArray(v) ? v[0] : v;
    };
    const fromAuthHeader = (value: string | undefined): string | undefined => {
      if (!value) return undefined;
      const m = /^\s*(\S+)\s+(.*)$/s.exec(value);
      if (!m) return undefined;
      const scheme = m[1].toLowerCase();
      if (scheme !== 'mediabrowser' && !(scheme === 'emby' && this.legacyAuthorization)) return undefined;
      for (const part of m[2].split(',')) {
        const eq = part.indexOf('=');
        if (eq < 0) continue;
        const key = part.slice(0, eq).trim();
        const val = decodeURIComponent(
          part
            .slice(eq + 1)
            .trim()
            .replace(/^"|"$/g, '')
            .replace(/\+/g, ' '),
        );
        if (key === 'Token' && val) return val; // keys are case-sensitive in GetParts
      }
      return undefined;
    };
    const queryValue = (name: string) => [...query].find(([k]) => k.toLowerCase() === name)?.[1];
    const legacy = this.legacyAuthorization;
    const token =
      fromAuthHeader(header('authorization')) ??
      (legacy ? fromAuthHeader(header('x-emby-authorization')) : undefined) ??
      (legacy ? header('x-emby-token') : undefined) ??
      (legacy ? header('x-mediabrowser-token') : undefined) ??
      queryValue('apikey') ??
      (legacy ? queryValue('api_key') : undefined);
    if (!token) return undefined;
    if (token === this.apiKey) return { kind: 'apikey' };
    const user = this.users.find((u) => u.token === token);
    return user ? { kind: 'user', user } : undefined;
  }

  // ---------------------------------------------------------------------------------------------------------
  // Routes

  private async route(
    method: string,
    p: string,
    q: URLSearchParams,
    body: unknown,
    hasBody: boolean,
    req: http.IncomingMessage,
    res: http.ServerResponse,
    ex: RecordedExchange,
    started: number,
  ): Promise<unknown | 'streamed'> {
    // Anonymous routes.
    if (p === '/system/ping' && (method === 'GET' || method === 'POST')) return 'Jellyfin Server';
    if (p === '/system/info/public' && method === 'GET') return this.publicInfo(req);
    let m = /^\/audio\/([^/]+)\/stream(\.[a-z0-9]+)?$/.exec(p);
    if (m && (method === 'GET' || method === 'HEAD')) {
      // No [Authorize] on the stream controller (jellyfin#13986); static=true serves the file as is.
      const item = this.requireItem(m[1]);
      if (item.kind !== 'Audio') throw new HttpFailure(400, 'Error processing request.');
      return this.serveFile(item, req, res, ex, started, false);
    }

    const auth = this.authenticate(req, q);
    if (!auth) throw new HttpFailure(401);
    const param = (name: string) => [...q].filter(([k]) => k.toLowerCase() === name.toLowerCase()).map(([, v]) => v);
    const one = (name: string) => param(name)[0];

    if (p === '/system/info' && method === 'GET') return this.systemInfo(req);
    if (p === '/users' && method === 'GET') return this.users.map((u) => this.userDto(u));
    if (p === '/users/me' && method === 'GET') {
      if (auth.kind !== 'user')
        throw new HttpFailure(400, problem(400, 'Token is not owned by a user.'), 'application/problem+json');
      return this.userDto(auth.user);
    }
    if (p === '/items' && method === 'GET') return this.getItems(auth, q, param, one);
    m = /^\/users\/([^/]+)\/items$/.exec(p); // legacy route, not in OpenAPI since 10.9 but still routed
    if (m && method === 'GET') {
      const params = new URLSearchParams(q);
      params.set('userId', m[1]);
      return this.getItems(
        auth,
        params,
        (n) => [...params].filter(([k]) => k.toLowerCase() === n.toLowerCase()).map(([, v]) => v),
        (n) => [...params].find(([k]) => k.toLowerCase() === n.toLowerCase())?.[1],
      );
    }
    m = /^\/items\/([^/]+)$/.exec(p);
    if (m && method === 'GET') {
      const user = this.userContext(auth, one('userId'));
      const item = this.requireItem(m[1]);
      if (item.kind === 'Playlist' && user && !this.visiblePlaylists(user).includes(item))
        throw new HttpFailure(404, problem(404), 'application/problem+json');
      return this.dto(item, user, new Set(ITEM_FIELDS_USED));
    }
    if (m && method === 'DELETE') return this.deleteItem(auth, m[1]);
    m = /^\/items\/([^/]+)\/ancestors$/.exec(p);
    if (m && method === 'GET') {
      // Parents nearest first, up to the library's CollectionFolder (LibraryController.GetAncestors).
      const user = this.userContext(auth, one('userId'));
      const chain: Item[] = [];
      for (let i = this.requireItem(m[1]); i.parentId;) chain.push((i = this.items.get(i.parentId)!));
      return chain.map((i) => this.dto(i, user, new Set()));
    }
    m = /^\/items\/([^/]+)\/(download|file)$/.exec(p);
    if (m && method === 'GET') {
      const item = this.requireItem(m[1]);
      if (m[2] === 'download' && auth.kind === 'user' && !auth.user.canDownload) throw new HttpFailure(403);
      if (item.kind !== 'Audio') throw new HttpFailure(400, 'Error processing request.'); // CanDownload() is false for folders
      return this.serveFile(item, req, res, ex, started, m[2] === 'download');
    }
    if (p === '/playlists' && method === 'POST') return this.createPlaylist(auth, q, one, body, hasBody);
    m = /^\/playlists\/([^/]+)$/.exec(p);
    if (m && method === 'GET') {
      const pl = this.requirePlaylist(m[1]);
      const user = this.callingUser(auth);
      if (!user.admin && !pl.openAccess && pl.ownerId !== user.id) throw new HttpFailure(403);
      return { OpenAccess: pl.openAccess, Shares: [], ItemIds: [...pl.entries!] };
    }
    if (m && method === 'POST') {
      // UpdatePlaylist (10.9+): fields left out keep their values; Ids replaces the whole list. Only the calling
      // user who owns it (or holds an editing share): an administrator is not let through.
      const pl = this.requirePlaylist(m[1]);
      if (pl.ownerId !== this.callingUser(auth).id) throw new HttpFailure(403);
      const dto = (body ?? {}) as Record<string, unknown>;
      const get = (k: string) => Object.entries(dto).find(([key]) => key.toLowerCase() === k.toLowerCase())?.[1];
      if (typeof get('Name') === 'string') pl.name = get('Name') as string;
      const ids = get('Ids');
      if (Array.isArray(ids)) {
        pl.entries = [];
        this.addToPlaylist(pl, this.parseIds(ids.map(String)));
      }
      return undefined;
    }
    m = /^\/playlists\/([^/]+)\/items$/.exec(p);
    if (m && method === 'GET') return this.getPlaylistItems(auth, m[1], one);
    if (m && method === 'POST') {
      const pl = this.requirePlaylist(m[1]);
      const userId = this.requestUserId(auth, one('userId'));
      if (pl.ownerId !== userId) throw new HttpFailure(403);
      this.addToPlaylist(pl, this.parseIds(param('ids')), one('position'));
      return undefined;
    }
    if (m && method === 'DELETE') {
      const pl = this.requirePlaylist(m[1]);
      if (pl.ownerId !== this.callingUser(auth).id) throw new HttpFailure(403);
      const remove = new Set(this.parseIds(param('entryIds')));
      pl.entries = pl.entries!.filter((e) => !remove.has(e)); // PlaylistItemId == Id since 10.10; unknown ids are ignored
      return undefined;
    }
    throw new HttpFailure(404);
  }

  private publicInfo(req: http.IncomingMessage) {
    return {
      LocalAddress: `http://${req.headers.host ?? '127.0.0.1'}${this.basePath}`,
      ServerName: 'standin',
      Version: this.version,
      ProductName: 'Jellyfin Server',
      OperatingSystem: '',
      Id: SERVER_ID,
      StartupWizardCompleted: true,
    };
  }

  private systemInfo(req: http.IncomingMessage) {
    return {
      ...this.publicInfo(req),
      OperatingSystemDisplayName: 'Linux',
      HasPendingRestart: false,
      IsShuttingDown: false,
      SupportsLibraryMonitor: true,
      WebSocketPortNumber: 8096,
      CompletedInstallations: [],
      CanSelfRestart: true,
      CanLaunchWebBrowser: false,
      CastReceiverApplications: [],
      HasUpdateAvailable: false,
      SystemArchitecture: 'X64',
    };
  }

  private userDto(u: StandinUser) {
    return {
      Name: u.name,
      ServerId: SERVER_ID,
      Id: u.id,
      HasPassword: true,
      HasConfiguredPassword: true,
      HasConfiguredEasyPassword: false,
      EnableAutoLogin: false,
      Policy: {
        IsAdministrator: u.admin,
        IsHidden: false,
        IsDisabled: false,
        EnableContentDeletion: u.admin,
        EnableContentDownloading: u.canDownload,
        AuthenticationProviderId: 'Jellyfin.Server.Implementations.Users.DefaultAuthenticationProvider',
        PasswordResetProviderId: 'Jellyfin.Server.Implementations.Users.DefaultPasswordResetProvider',
      },
    };
  }

  private requireItem(rawId: string): Item {
    const id = parseGuid(rawId);
    if (!id) throw new HttpFailure(400, validationProblem('itemId', rawId), 'application/problem+json');
    const item = this.items.get(id);
    if (!item) throw new HttpFailure(404, problem(404), 'application/problem+json');
    return item;
  }

  private requirePlaylist(rawId: string): Item {
    const id = parseGuid(rawId);
    if (!id) throw new HttpFailure(400, validationProblem('playlistId', rawId), 'application/problem+json');
    const item = this.items.get(id);
    if (!item || item.kind !== 'Playlist') throw new HttpFailure(404, 'Playlist not found', 'application/json');
    return item;
  }

  /** RequestHelpers.GetUserId + the user lookup of GetItems: who the request is for (undefined: API key, no user). */
  private userContext(auth: Auth, rawUserId: string | undefined): StandinUser | undefined {
    if (rawUserId === undefined || rawUserId === '') return auth.kind === 'user' ? auth.user : undefined;
    const id = parseGuid(rawUserId);
    if (!id) throw new HttpFailure(400, validationProblem('userId', rawUserId), 'application/problem+json');
    if (auth.kind === 'user' && auth.user.id !== id && !auth.user.admin)
      throw new HttpFailure(403, 'Error processing request.');
    const user = this.users.find((u) => u.id === id);
    if (!user) throw new HttpFailure(404, 'Error processing request.'); // ResourceNotFoundException
    return user;
  }

  /**
   * User.GetUserId() of the playlist routes that take no userId (get, update, remove items): an API key has no
   * user, and PlaylistManager.GetPlaylists(Guid.Empty) throws "Guid can't be empty" → 400 (jellyfin#15600).
   */
  private callingUser(auth: Auth): StandinUser {
    if (auth.kind !== 'user') throw new HttpFailure(400, "Guid can't be empty (Parameter 'id')", 'text/plain');
    return auth.user;
  }

  /** Playlist operations need a real user: an API key without userId ends in GetUserById(Guid.Empty) → 400. */
  private requestUserId(auth: Auth, rawUserId: string | undefined): string {
    const user = this.userContext(auth, rawUserId);
    if (!user) throw new HttpFailure(400, 'Error processing request.');
    return user.id;
  }

  private parseIds(values: string[]): string[] {
    const out: string[] = [];
    for (const v of values.flatMap((x) => x.split(','))) {
      if (v.trim() === '') continue;
      const id = parseGuid(v);
      if (!id) throw new HttpFailure(400, validationProblem('ids', v), 'application/problem+json');
      out.push(id);
    }
    return out;
  }

  private getItems(
    auth: Auth,
    q: URLSearchParams,
    param: (n: string) => string[],
    one: (n: string) => string | undefined,
  ) {
    const user = this.userContext(auth, one('userId'));
    const list = (name: string) =>
      param(name)
        .flatMap((v) => v.split(','))
        .map((v) => v.trim())
        .filter(Boolean);
    // Unknown enum values are silently dropped by the model binder (a typo removes the filter).
    const enumList = (name: string, allowed: string[]) =>
      list(name)
        .map((v) => allowed.find((a) => a.toLowerCase() === v.toLowerCase()))
        .filter((v): v is string => !!v);
    const bool = (name: string) => {
      const v = one(name);
      if (v === undefined) return undefined;
      if (!/^(true|false)$/i.test(v))
        throw new HttpFailure(400, validationProblem(name, v), 'application/problem+json');
      return v.toLowerCase() === 'true';
    };
    const int = (name: string) => {
      const v = one(name);
      if (v === undefined) return undefined;
      if (!/^-?\d+$/.test(v)) throw new HttpFailure(400, validationProblem(name, v), 'application/problem+json');
      return Number(v);
    };

    const types = enumList('includeItemTypes', BASE_ITEM_KINDS);
    const fields = new Set(enumList('fields', ITEM_FIELDS_USED));
    let recursive = bool('recursive');
    const rawParent = one('parentId');
    let parent: Item | undefined;
    if (rawParent) {
      const id = parseGuid(rawParent);
      if (!id) throw new HttpFailure(400, validationProblem('parentId', rawParent), 'application/problem+json');
      parent = this.items.get(id);
      if (!parent) throw new HttpFailure(400, 'Error processing request.'); // ArgumentException in GetParentItem
    }
    // 12.0: includeItemTypes on a library (or the root) implies recursive=true.
    if (
      recursive === undefined &&
      this.version.startsWith('12.') &&
      types.length > 0 &&
      (!parent || parent.kind === 'CollectionFolder')
    )
      recursive = true;

    let candidates: Item[];
    if (parent?.kind === 'Playlist')
      candidates = parent.entries!.map((e) => this.items.get(e)).filter((i): i is Item => !!i);
    else if (parent)
      candidates = recursive
        ? this.descendants(parent.id)
        : parent.children.map((c) => this.items.get(c)!).filter(Boolean);
    else if (recursive) candidates = [...this.libraryItems(), ...this.visiblePlaylists(user)];
    else candidates = [this.items.get(this.libraryId)!];

    const ids = new Set(this.parseIds(param('ids')));
    if (ids.size > 0) candidates = candidates.filter((i) => ids.has(i.id));
    if (types.length > 0) candidates = candidates.filter((i) => types.includes(i.kind));
    const albumIds = this.parseIds(param('albumIds'));
    if (albumIds.length > 0) candidates = candidates.filter((i) => i.album && albumIds.includes(i.album.id));
    const search = one('searchTerm')?.toLowerCase();
    if (search) candidates = candidates.filter((i) => i.name.toLowerCase().includes(search));
    // UserData filters (ItemFilter values and the isPlayed/isFavorite booleans) need a user, and are ANDed.
    const filters = enumList('filters', ['IsPlayed', 'IsUnplayed', 'IsFavorite']);
    const played = filters.includes('IsPlayed') ? true : filters.includes('IsUnplayed') ? false : bool('isPlayed');
    const favourite = filters.includes('IsFavorite') ? true : bool('isFavorite');
    if (user && played !== undefined)
      candidates = candidates.filter((i) => (this.dataOf(user, i.id).playCount ?? 0) > 0 === played);
    if (user && favourite !== undefined)
      candidates = candidates.filter((i) => (this.dataOf(user, i.id).favourite ?? false) === favourite);

    const sortBy = enumList('sortBy', [
      'DateCreated',
      'SortName',
      'Name',
      'Album',
      'AlbumArtist',
      'Artist',
      'ProductionYear',
      'ParentIndexNumber',
      'IndexNumber',
      'Runtime',
      'Random',
    ]);
    const orders = enumList('sortOrder', ['Ascending', 'Descending']);
    if (sortBy.length > 0 && !this.stableTies) candidates = shuffle(candidates, this.tieSeed++);
    if (sortBy.length > 0) {
      const key = (i: Item, by: string): string | number => {
        switch (by) {
          case 'DateCreated':
            return i.dateCreated.getTime();
          case 'Name':
            return i.name.toLowerCase();
          case 'Album':
            return i.album?.name.toLowerCase() ?? '';
          case 'AlbumArtist':
          case 'Artist':
            return i.artist?.name.toLowerCase() ?? '';
          case 'ProductionYear':
            return i.year ?? 0;
          case 'ParentIndexNumber':
            return i.parentIndexNumber ?? 0;
          case 'IndexNumber':
            return i.indexNumber ?? 0;
          case 'Runtime':
            return i.runTimeTicks ?? 0;
          case 'Random':
            return Number.parseInt(i.id.slice(0, 8), 16);
          default:
            return i.sortName;
        }
      };
      candidates = [...candidates].sort((a, b) => {
        for (let k = 0; k < sortBy.length; k++) {
          const desc = (orders[k] ?? orders[0]) === 'Descending'; // missing orders reuse the first one
          const x = key(a, sortBy[k]),
            y = key(b, sortBy[k]);
          if (x < y) return desc ? 1 : -1;
          if (x > y) return desc ? -1 : 1;
        }
        return 0;
      });
    }
    const startIndex = int('startIndex') ?? 0;
    const limit = int('limit');
    const page = candidates.slice(startIndex, limit === undefined ? undefined : startIndex + limit);
    // SqliteItemRepository counts only when asked and when paging; otherwise it reports the page length.
    const counted = bool('enableTotalRecordCount') !== false && (limit !== undefined || startIndex > 0);
    return {
      Items: page.map((i) => this.dto(i, user, fields, bool('enableUserData') !== false)),
      TotalRecordCount: counted ? candidates.length : page.length,
      StartIndex: startIndex,
    };
  }

  private getPlaylistItems(auth: Auth, rawId: string, one: (n: string) => string | undefined) {
    const pl = this.requirePlaylist(rawId);
    const userId = this.requestUserId(auth, one('userId'));
    const user = this.users.find((u) => u.id === userId)!;
    if (!pl.openAccess && pl.ownerId !== userId && !user.admin) throw new HttpFailure(403);
    const fields = new Set((one('fields') ?? '').split(',').filter((f) => ITEM_FIELDS_USED.includes(f)));
    const entries = pl.entries!.map((e) => this.items.get(e)).filter((i): i is Item => !!i);
    const startIndex = Number(one('startIndex') ?? 0);
    const limitRaw = one('limit');
    const page = entries.slice(startIndex, limitRaw === undefined ? undefined : startIndex + Number(limitRaw));
    return {
      Items: page.map((i) => this.dto(i, user, fields, true, i.id)), // PlaylistItemId == Id since 10.10
      TotalRecordCount: entries.length,
      StartIndex: startIndex,
    };
  }

  private createPlaylist(
    auth: Auth,
    q: URLSearchParams,
    one: (n: string) => string | undefined,
    body: unknown,
    hasBody: boolean,
  ) {
    let name: string | undefined,
      rawIds: string[] = [],
      rawUser: string | undefined,
      mediaType: string | undefined,
      isPublic = false;
    if (hasBody) {
      if (!body || typeof body !== 'object' || Array.isArray(body))
        throw new HttpFailure(
          400,
          validationProblem('createPlaylistRequest', String(body)),
          'application/problem+json',
        );
      // Request bodies bind case-insensitively.
      const get = (k: string) =>
        Object.entries(body as Record<string, unknown>).find(([key]) => key.toLowerCase() === k.toLowerCase())?.[1];
      name = get('Name') as string | undefined;
      if (typeof name !== 'string')
        throw new HttpFailure(
          400,
          validationProblem('Name', 'The Name field is required.'),
          'application/problem+json',
        );
      const ids = get('Ids');
      rawIds = Array.isArray(ids) ? ids.map(String) : typeof ids === 'string' ? [ids] : [];
      rawUser = (get('UserId') as string | undefined) ?? undefined;
      mediaType = get('MediaType') as string | undefined;
      isPublic = (get('IsPublic') as boolean | undefined) ?? true; // the DTO defaults IsPublic to true
    } else {
      name = one('name');
      rawIds = one('ids') ? [one('ids')!] : [];
      rawUser = one('userId');
      mediaType = one('mediaType');
      if (!name) throw new HttpFailure(400, 'Error processing request.');
    }
    const ownerId = this.requestUserId(auth, rawUser ?? undefined);
    const ids = this.parseIds(rawIds);
    if (!mediaType && ids.some((id) => !this.items.has(id))) throw new HttpFailure(400, 'Error processing request.');
    // Names are not unique: the folder gets "1" appended until free, the display name stays.
    const pl: Item = {
      id: guid(`playlist:${++this.playlistCounter}:${name}`),
      kind: 'Playlist',
      name,
      sortName: name.toLowerCase(),
      children: [],
      dateCreated: new Date(),
      path: `/config/data/playlists/${name}`,
      ownerId,
      openAccess: isPublic,
      entries: [],
    };
    this.items.set(pl.id, pl);
    this.addToPlaylist(pl, ids);
    return { Id: pl.id };
  }

  private addToPlaylist(pl: Item, ids: string[], position?: string): void {
    // Folders (albums) expand to their tracks; unknown ids are skipped.
    const media = ids.flatMap((id) => {
      const item = this.items.get(id);
      if (!item) return [];
      return item.kind === 'Audio'
        ? [id]
        : this.descendants(id)
            .filter((d) => d.kind === 'Audio')
            .map((d) => d.id);
    });
    let added = media;
    if (this.version.startsWith('10.')) {
      // 10.10/10.11 ignore items already in the playlist (and repeats within one request).
      const present = new Set(pl.entries);
      added = media.filter((id) => !present.has(id) && (present.add(id), true));
    }
    const at =
      position !== undefined && this.version.startsWith('12.')
        ? Math.min(Number(position), pl.entries!.length)
        : pl.entries!.length;
    pl.entries!.splice(at, 0, ...added);
  }

  private deleteItem(auth: Auth, rawId: string): undefined {
    const item = this.requireItem(rawId);
    if (auth.kind === 'user') {
      const canDelete = item.kind === 'Playlist' ? auth.user.admin || item.ownerId === auth.user.id : auth.user.admin;
      if (!canDelete) throw new HttpFailure(401, 'Unauthorized access', 'application/json');
    }
    // DeleteOptions { DeleteFileLocation = true }: media items lose their files.
    const doomed = [item, ...this.descendants(item.id)];
    this.libraryItemsCache = undefined;
    for (const d of doomed) {
      if (d.kind === 'Audio') this.deletedFiles.push(d.file!);
      this.items.delete(d.id);
    }
    if (item.parentId) {
      const parent = this.items.get(item.parentId);
      if (parent) parent.children = parent.children.filter((c) => c !== item.id);
    }
    return undefined;
  }

  private serveFile(
    item: Item,
    req: http.IncomingMessage,
    res: http.ServerResponse,
    ex: RecordedExchange,
    started: number,
    attachment: boolean,
  ): 'streamed' {
    const file = item.file!;
    let size: number, mtime: Date;
    try {
      const st = statSync(file);
      size = st.size;
      mtime = st.mtime;
    } catch {
      throw new HttpFailure(404, problem(404), 'application/problem+json');
    }
    const send = (status: number, headers: Record<string, string>, range?: [number, number]) => {
      ex.status = status;
      ex.contentType = headers['Content-Type'];
      res.writeHead(status, { Server: 'Kestrel', 'X-Response-Time-ms': String(Date.now() - started), ...headers });
      if (!range || req.method === 'HEAD') return void res.end();
      ex.responseHasBody = true;
      const fault = this.bodyFaults.get(res);
      const partial = fault?.cutAfterBytes ?? fault?.stallAfterBytes;
      const end = partial === undefined ? range[1] : Math.min(range[1], range[0] + partial - 1);
      const stream = createReadStream(file, { start: range[0], end });
      stream.on('error', () => res.destroy());
      res.on('close', () => stream.destroy());
      stream.pipe(res, { end: partial === undefined });
      if (fault?.cutAfterBytes !== undefined) stream.on('end', () => res.socket?.destroy());
    };
    const lastModified = new Date(Math.floor(mtime.getTime() / 1000) * 1000);
    const since = req.headers['if-modified-since'] ? Date.parse(req.headers['if-modified-since']) : NaN;
    if (!Number.isNaN(since) && lastModified.getTime() <= since) {
      send(304, { 'Last-Modified': lastModified.toUTCString() });
      return 'streamed';
    }
    const base: Record<string, string> = {
      'Content-Type': MIME[path.extname(item.path).toLowerCase()] ?? 'application/octet-stream',
      'Accept-Ranges': 'bytes',
      'Last-Modified': lastModified.toUTCString(),
    };
    if (attachment) {
      const filename = path.basename(item.path);
      base['Content-Disposition'] =
        `attachment; filename="${filename.replace(/[^\x20-\x7e]|"/g, '_')}"; filename*=UTF-8''${encodeURIComponent(filename)}`;
    }
    const range = /^bytes=(\d*)-(\d*)$/.exec(req.headers.range?.trim() ?? '');
    if (range && (range[1] !== '' || range[2] !== '')) {
      let start: number, end: number;
      if (range[1] === '') {
        start = Math.max(0, size - Number(range[2]));
        end = size - 1;
      } else {
        start = Number(range[1]);
        end = range[2] === '' ? size - 1 : Math.min(Number(range[2]), size - 1);
      }
      if (start >= size || start > end) {
        send(416, { ...base, 'Content-Range': `bytes */${size}`, 'Content-Length': '0' });
        return 'streamed';
      }
      send(
        206,
        { ...base, 'Content-Range': `bytes ${start}-${end}/${size}`, 'Content-Length': String(end - start + 1) },
        [start, end],
      );
      return 'streamed';
    }
    send(200, { ...base, 'Content-Length': String(size) }, [0, size - 1]);
    return 'streamed';
  }

  /** BaseItemDto in the declaration order of MediaBrowser.Model/Dto/BaseItemDto.cs; nulls omitted. */
  private dto(
    i: Item,
    user: StandinUser | undefined,
    fields: Set<string>,
    userData = true,
    playlistItemId?: string,
  ): Record<string, unknown> {
    const folder = i.kind !== 'Audio';
    const d: Record<string, unknown> = { Name: i.name, ServerId: SERVER_ID, Id: i.id };
    if (fields.has('Etag')) d.Etag = guid(`etag:${i.id}`);
    if (playlistItemId) d.PlaylistItemId = playlistItemId;
    if (fields.has('DateCreated')) d.DateCreated = jsonDate(i.dateCreated);
    if (fields.has('CanDelete'))
      d.CanDelete = i.kind === 'Playlist' ? !user || user.admin || i.ownerId === user.id : !user || user.admin;
    if (fields.has('CanDownload')) d.CanDownload = i.kind === 'Audio';
    if (i.kind === 'Audio') d.HasLyrics = false;
    if (i.container) d.Container = i.container;
    if (fields.has('SortName')) d.SortName = i.sortName;
    if (i.year) d.PremiereDate = jsonDate(new Date(Date.UTC(i.year, 0, 1)));
    if (fields.has('Path')) d.Path = i.path;
    d.ChannelId = null; // Guid.Empty is written as null (JsonNullableGuidConverter)
    const ticks =
      i.kind === 'Playlist'
        ? i.entries!.reduce((s, e) => s + (this.items.get(e)?.runTimeTicks ?? 0), 0)
        : i.runTimeTicks;
    if (ticks) d.RunTimeTicks = ticks;
    if (i.year) d.ProductionYear = i.year;
    if (i.indexNumber !== undefined) d.IndexNumber = i.indexNumber;
    if (i.parentIndexNumber !== undefined) d.ParentIndexNumber = i.parentIndexNumber;
    d.IsFolder = folder;
    if (fields.has('ParentId') && i.parentId) d.ParentId = i.parentId;
    d.Type = i.kind;
    if (user && userData) {
      const data = this.dataOf(user, i.id);
      d.UserData = {
        PlaybackPositionTicks: 0,
        PlayCount: data.playCount ?? 0,
        IsFavorite: data.favourite ?? false,
        ...(data.lastPlayed && { LastPlayedDate: jsonDate(data.lastPlayed) }),
        Played: (data.playCount ?? 0) > 0,
        Key: i.id,
        ItemId: i.id,
      };
    }
    if (fields.has('RecursiveItemCount') && folder)
      d.RecursiveItemCount =
        i.kind === 'Playlist' ? i.entries!.length : this.descendants(i.id).filter((x) => x.kind === 'Audio').length;
    if ((fields.has('ChildCount') && folder) || i.kind === 'Playlist')
      d.ChildCount = i.kind === 'Playlist' ? i.entries!.length : i.children.length;
    if (i.kind === 'Audio' || i.kind === 'MusicAlbum') {
      d.Artists = [i.artist!.name];
      d.ArtistItems = [{ Name: i.artist!.name, Id: i.artist!.id }];
    }
    if (i.kind === 'CollectionFolder') d.CollectionType = 'music';
    if (i.album) {
      d.Album = i.album.name;
      d.AlbumId = i.album.id;
    }
    if (i.kind === 'Audio' || i.kind === 'MusicAlbum') {
      d.AlbumArtist = i.artist!.name;
      d.AlbumArtists = [{ Name: i.artist!.name, Id: i.artist!.id }];
    }
    d.ImageTags = {};
    d.BackdropImageTags = [];
    d.ImageBlurHashes = {};
    d.LocationType = 'FileSystem';
    d.MediaType = i.kind === 'Audio' || i.kind === 'Playlist' ? 'Audio' : 'Unknown';
    return d;
  }
}

function problem(status: number, detail?: string) {
  const titles: Record<number, string> = { 400: 'Bad Request', 404: 'Not Found' };
  return {
    type:
      status === 404
        ? 'https://tools.ietf.org/html/rfc9110#section-15.5.5'
        : 'https://tools.ietf.org/html/rfc9110#section-15.5.1',
    title: titles[status] ?? 'Error',
    status,
    ...(detail ? { detail } : {}),
    traceId: `00-${guid(String(Math.random()))}-${guid('span').slice(0, 16)}-00`,
  };
}

/** ASP.NET model-binding failure (e.g. a user name where a GUID is expected). */
function validationProblem(field: string, value: string) {
  return {
    type: 'https://tools.ietf.org/html/rfc9110#section-15.5.1',
    title: 'One or more validation errors occurred.',
    status: 400,
    errors: { [field]: [`The value '${value}' is not valid.`] },
    traceId: `00-${guid(String(Math.random()))}-${guid('span').slice(0, 16)}-00`,
  };
}

/** Deterministic Fisher-Yates shuffle (mulberry32), so a failing test replays the same order. */
export function shuffle<T>(items: T[], seed: number): T[] {
  const out = [...items];
  let a = seed >>> 0;
  const rand = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
