// Jellyfin client for 10.10, 10.11 and 12.0. The calls follow what works on all three (see
// ../shared/reference/jellyfin.md §1): the token travels only in `Authorization: MediaBrowser Token=...`
// (12.0 ignores X-Emby-Token and api_key), every call names the user with `userId` (an API key has no user),
// and media is read through /Items/{id}/Download, which serves the original file.
import { createHash } from 'node:crypto';
import os from 'node:os';
import { fetchJson, fetchStream, redactUrl, type HttpOptions } from '../../lib/http.ts';
import { extensionOfMime } from './audio-types.ts';
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

export interface JellyfinOptions {
  /** Base URL, including any base path the server is mounted under (http://host:8096/jellyfin). */
  url: string;
  /** The user's 32-hex id; a user name is resolved through GET /Users. */
  userId: string;
  /** An API key (Dashboard → API Keys) or a user access token. */
  token: string;
  /** Per request (default 120 s): large 10.11 libraries answer slowly. */
  timeoutMs?: number;
  /** Retries on network errors, timeouts and 5xx (default 3). */
  retries?: number;
  /** First retry delay, doubled each time (default 500 ms). */
  backoffMs?: number;
}

/** Largest page asked of /Items: AudioMuse uses 500 because of the per-request cost on 10.11. */
const PAGE = 500;
const CLIENT_VERSION = '0.1.0';

interface ItemDto {
  Id: string;
  Name?: string;
  Type?: string;
  DateCreated?: string;
  ProductionYear?: number;
  AlbumArtist?: string;
  AlbumArtists?: { Name?: string }[];
  Artists?: string[];
  ArtistItems?: { Name?: string; Id?: string }[];
  Album?: string;
  AlbumId?: string;
  RunTimeTicks?: number;
  IndexNumber?: number;
  ParentIndexNumber?: number;
  Path?: string;
  Etag?: string;
  ChildCount?: number;
  UserData?: { PlayCount?: number; LastPlayedDate?: string; IsFavorite?: boolean; Played?: boolean };
}

interface QueryResult {
  Items?: ItemDto[];
  TotalRecordCount?: number;
  StartIndex?: number;
}

type Query = Record<string, string | number | boolean | string[] | undefined>;

interface CallContext {
  /** What a 404 means for this call. */
  notFound?: string;
  /** What a 403 means for this call, and its error code (default `auth`). */
  forbidden?: string;
  forbiddenCode?: MediaServerError['code'];
  /** What a 400 means for this call (the server's body is appended), and its error code. */
  badRequest?: string;
  badRequestCode?: MediaServerError['code'];
}

const GUID_N = /^[0-9a-f]{32}$/i;
const GUID_D = /^[0-9a-f]{8}-(?:[0-9a-f]{4}-){3}[0-9a-f]{12}$/i;

export class JellyfinProvider implements MediaProvider {
  readonly type = 'jellyfin' as const;
  private readonly base: string;
  private readonly authorization: string;
  private readonly http: Omit<HttpOptions, 'idempotent'>;
  private userIdPromise?: Promise<string>;
  private tokenUserPromise?: Promise<string | undefined>;

  constructor(private readonly options: JellyfinOptions) {
    if (!options.url) throw new MediaServerError('JELLYFIN_URL is not set', 'bad_config');
    if (!options.token) throw new MediaServerError('JELLYFIN_TOKEN is not set', 'bad_config');
    if (!options.userId?.trim())
      throw new MediaServerError(
        'JELLYFIN_USER_ID is not set (the 32-hex id of the Jellyfin user whose library is read)',
        'bad_config',
      );
    let parsed: URL;
    try {
      parsed = new URL(options.url);
    } catch {
      throw new MediaServerError(
        `JELLYFIN_URL=${JSON.stringify(options.url)} is not a URL (expected e.g. http://jellyfin:8096)`,
        'bad_config',
      );
    }
    this.base = parsed.toString().replace(/\/+$/, '');
    const device = os.hostname() || 'audiomuse';
    const deviceId = createHash('md5').update(`audiomuse:${device}`).digest('hex');
    const part = (k: string, v: string) => `${k}="${encodeURIComponent(v)}"`;
    this.authorization = `MediaBrowser ${[
      part('Client', 'AudioMuse'),
      part('Device', device),
      part('DeviceId', deviceId),
      part('Version', CLIENT_VERSION),
      part('Token', options.token),
    ].join(', ')}`;
    this.http = {
      server: 'Jellyfin',
      makeError: mediaHttpError,
      timeoutMs: options.timeoutMs ?? 120_000,
      retries: options.retries ?? 3,
      backoffMs: options.backoffMs ?? 500,
    };
  }

  async listRecentAlbums(opts: { startIndex: number; limit: number }): Promise<AlbumPage> {
    const userId = await this.userId();
    const albums: Album[] = [];
    let total = 0;
    // Split large requests: one /Items call for thousands of albums can take minutes on 10.11.
    // At least one request, so limit 0 still reports the total.
    const limit = Math.max(0, Math.floor(opts.limit));
    for (let start = Math.max(0, opts.startIndex), first = true; first || albums.length < limit; first = false) {
      const size = Math.min(PAGE, limit - albums.length);
      const page = await this.getJson<QueryResult>('GET', '/Items', {
        userId,
        IncludeItemTypes: 'MusicAlbum',
        Recursive: true,
        // A tiebreak keeps paging stable when albums share a DateCreated (bulk imports).
        SortBy: ['DateCreated', 'SortName'],
        SortOrder: ['Descending', 'Ascending'],
        StartIndex: start,
        Limit: size,
        Fields: ['DateCreated'],
        EnableUserData: false,
        EnableImages: false,
      });
      const items = page.Items ?? [];
      total = page.TotalRecordCount ?? total;
      albums.push(...items.map(toAlbum));
      start += items.length;
      if (items.length < size) break;
    }
    return { albums, total };
  }

  async listAlbumTracks(albumId: string): Promise<Track[]> {
    requireItemId(albumId, 'album');
    const userId = await this.userId();
    const result = await this.getJson<QueryResult>(
      'GET',
      '/Items',
      {
        userId,
        ParentId: albumId,
        IncludeItemTypes: 'Audio',
        // Multi-disc albums may keep discs in sub-folders, which only a recursive query reaches.
        Recursive: true,
        SortBy: ['ParentIndexNumber', 'IndexNumber', 'SortName'],
        Fields: ['Path', 'Etag'],
        EnableUserData: false,
        EnableImages: false,
      },
      { badRequest: `Jellyfin has no album with id ${albumId}`, badRequestCode: 'not_found' },
    );
    // The library is the album's CollectionFolder ancestor (an item carries no library id of its own): one more
    // small request per album, next to the album's downloads.
    const ancestors = await this.getJson<ItemDto[]>(
      'GET',
      `/Items/${encodeURIComponent(albumId)}/Ancestors`,
      { userId },
      { notFound: `Jellyfin has no album with id ${albumId}` },
    );
    const libraryId = ancestors.find((a) => a.Type === 'CollectionFolder')?.Id;
    return (result.Items ?? []).map((t) => toTrack(t, albumId, libraryId));
  }

  async existingTrackIds(trackIds: string[]): Promise<Set<string>> {
    const userId = await this.userId();
    const found = new Set<string>();
    const wanted = trackIds.filter((id) => GUID_N.test(id) || GUID_D.test(id));
    for (let i = 0; i < wanted.length; i += 100) {
      const batch = wanted.slice(i, i + 100);
      const result = await this.getJson<QueryResult>('GET', '/Items', {
        userId,
        Ids: batch,
        IncludeItemTypes: 'Audio',
        Recursive: true,
        EnableUserData: false,
        EnableImages: false,
      });
      for (const item of result.Items ?? []) found.add(item.Id);
    }
    // Jellyfin answers N-format ids; keep the caller's spelling.
    const n = (id: string) => id.replace(/-/g, '').toLowerCase();
    const present = new Set([...found].map(n));
    return new Set(trackIds.filter((id) => present.has(n(id))));
  }

  async openTrackAudio(trackId: string): Promise<AudioStream> {
    requireItemId(trackId, 'track');
    const url = this.url(`/Items/${encodeURIComponent(trackId)}/Download`, {});
    const res = await fetchStream(url, { headers: this.headers() }, this.http);
    if (!res.body) {
      throw this.statusError('GET', url, res.status, res.text ?? '', {
        notFound: `Jellyfin has no track with id ${trackId}`,
        forbidden: `the Jellyfin user may not download media: enable "Allow media downloading" for the user (Dashboard → Users → the user → Profile), or use an API key`,
        badRequest: `Jellyfin cannot download item ${trackId}: it is not a file-backed track`,
        badRequestCode: 'refused',
      });
    }
    const length = Number(res.headers.get('content-length'));
    return {
      stream: res.body,
      extension: extensionOf(res.headers),
      size: Number.isFinite(length) && length > 0 ? length : undefined,
    };
  }

  async listPlaylists(): Promise<Playlist[]> {
    const userId = await this.userId();
    // No Limit: with a limit, other users' private playlists are filtered after paging (jellyfin#14603),
    // so short pages would not mean the end. Playlist counts are small.
    const result = await this.getJson<QueryResult>('GET', '/Items', {
      userId,
      IncludeItemTypes: 'Playlist',
      Recursive: true,
      SortBy: ['SortName'],
      Fields: ['ChildCount'],
      EnableUserData: false,
      EnableImages: false,
    });
    return (result.Items ?? []).map((p) => ({ id: p.Id, name: p.Name ?? '', trackCount: p.ChildCount }));
  }

  /** One request with every id in the body: the playlist exists whole or not at all. */
  async createPlaylist(name: string, trackIds: string[]): Promise<Playlist> {
    if (!name.trim()) throw new MediaServerError('A playlist needs a non-empty name', 'refused');
    const userId = await this.userId();
    // 10.10/10.11 drop repeated items, 12.0 keeps them: dedupe here so every version gets the same list.
    const ids = [...new Set(trackIds)];
    for (const id of ids) requireItemId(id, 'track');
    const created = await this.getJson<{ Id?: string }>(
      'POST',
      '/Playlists',
      {},
      { badRequest: `Jellyfin refused to create playlist ${JSON.stringify(name)}` },
      { Name: name, Ids: ids, UserId: userId, MediaType: 'Audio' },
    );
    if (!created.Id) throw new MediaServerError('Jellyfin created a playlist but returned no Id', 'server');
    return { id: created.Id, name, trackCount: await this.playlistLength(created.Id) };
  }

  /**
   * UpdatePlaylist (POST /Playlists/{id}, 10.9+) sets the name and the whole item list in one request, but only
   * for a token of the playlist's owner: with an API key Jellyfin answers 400 (it looks up user Guid.Empty,
   * jellyfin#15600) and an administrator's token gets 403. Those are refused here without a request, so the
   * caller makes a new playlist in its place.
   */
  async replacePlaylistTracks(playlistId: string, name: string, trackIds: string[]): Promise<Playlist> {
    requireItemId(playlistId, 'playlist');
    const ids = [...new Set(trackIds)];
    for (const id of ids) requireItemId(id, 'track');
    const owner = await this.userId();
    const caller = await this.tokenUserId();
    if (caller !== owner)
      throw new MediaServerError(
        `Jellyfin lets only a playlist's owner change it in place, and ${caller ? `the token's user ${caller}` : 'an API key'} is not its owner ${owner}`,
        'refused',
      );
    const ctx = { notFound: `Jellyfin has no playlist with id ${playlistId}` };
    await this.getJson('POST', `/Playlists/${encodeURIComponent(playlistId)}`, {}, ctx, { Name: name, Ids: ids });
    return { id: playlistId, name, trackCount: await this.playlistLength(playlistId) };
  }

  /** What the server holds (unknown ids are skipped silently when MediaType is set). GetPlaylistItems takes a
   *  userId, so it also answers an API key, which GET /Playlists/{id} does not (jellyfin#15600). */
  private async playlistLength(playlistId: string): Promise<number> {
    const page = await this.getJson<QueryResult>(
      'GET',
      `/Playlists/${encodeURIComponent(playlistId)}/Items`,
      { userId: await this.userId(), Limit: 0, EnableImages: false, EnableUserData: false },
      { notFound: `Jellyfin has no playlist with id ${playlistId}` },
    );
    return page.TotalRecordCount ?? 0;
  }

  /** The token's own user (GET /Users/Me), or undefined for an API key, which has none (400). */
  private tokenUserId(): Promise<string | undefined> {
    this.tokenUserPromise ??= this.getJson<{ Id?: string }>('GET', '/Users/Me', {}).then(
      (me) => me.Id?.replace(/-/g, '').toLowerCase(),
      (err: unknown) => {
        if (err instanceof MediaServerError && err.status === 400) return undefined;
        this.tokenUserPromise = undefined;
        throw err;
      },
    );
    return this.tokenUserPromise;
  }

  /** The same token acting for another user: an API key or an administrator's token may name any user. */
  async asPerson(person: ServerPerson): Promise<MediaProvider> {
    const userId = person.serverUserId.trim();
    if (!GUID_N.test(userId) && !GUID_D.test(userId))
      throw new MediaServerError(
        `${JSON.stringify(userId)} is not a Jellyfin user id (32 hex characters)`,
        'bad_config',
      );
    return new JellyfinProvider({ ...this.options, userId });
  }

  async deletePlaylist(playlistId: string): Promise<void> {
    requireItemId(playlistId, 'playlist');
    const userId = await this.userId();
    // DELETE /Items/{id} also deletes tracks, albums and their files from disk: only playlists may pass.
    const item = await this.getJson<ItemDto>(
      'GET',
      `/Items/${encodeURIComponent(playlistId)}`,
      { userId },
      {
        notFound: `Jellyfin has no playlist with id ${playlistId}`,
        badRequest: `${JSON.stringify(playlistId)} is not a Jellyfin item id`,
        badRequestCode: 'not_found',
      },
    );
    if (item.Type !== 'Playlist') {
      throw new MediaServerError(
        `Refusing to delete ${playlistId}: it is ${item.Type ?? 'an item'} ${JSON.stringify(item.Name ?? '')}, not a playlist ` +
          '(Jellyfin would delete its files from disk)',
        'refused',
      );
    }
    const notOurs = `the Jellyfin user may not delete playlist ${playlistId} (only its owner or an administrator can)`;
    await this.getJson(
      'DELETE',
      `/Items/${encodeURIComponent(playlistId)}`,
      {},
      {
        notFound: `Jellyfin has no playlist with id ${playlistId}`,
        forbidden: notOurs,
        forbiddenCode: 'refused', // the token was good for the GET above: this playlist is not ours to delete
      },
    ).catch((err: unknown) => {
      // Jellyfin answers 401 "Unauthorized access" when the item cannot be deleted by this user (CanDelete).
      if (err instanceof MediaServerError && err.status === 401) {
        throw new MediaServerError(
          `Jellyfin refused to delete playlist ${playlistId} (401): ${notOurs}`,
          'refused',
          401,
        );
      }
      throw err;
    });
  }

  async health(): Promise<ProviderHealth> {
    let server: string | undefined;
    try {
      // Anonymous: proves the URL points at Jellyfin, not that the token is valid.
      const info = await this.getJson<{ ProductName?: string; Version?: string }>(
        'GET',
        '/System/Info/Public',
        {},
        {},
        undefined,
        false,
      );
      server = `Jellyfin ${info.Version ?? '(unknown version)'}`;
      await this.getJson('GET', '/System/Info', {});
      const userId = await this.userId();
      await this.getJson('GET', '/Items', {
        userId,
        IncludeItemTypes: 'MusicAlbum',
        Recursive: true,
        Limit: 1,
        EnableTotalRecordCount: false,
        EnableUserData: false,
        EnableImages: false,
      });
      return { ok: true, server };
    } catch (err) {
      return { ok: false, server, error: err instanceof Error ? err.message : String(err) };
    }
  }

  /** Every user of the server (needs an API key or an administrator's token). */
  async listUsers(): Promise<ServerUser[]> {
    const users = await this.getJson<{ Name?: string; Id: string; Policy?: { IsAdministrator?: boolean } }[]>(
      'GET',
      '/Users',
      {},
      { forbidden: 'listing the users needs an API key or an administrator’s token in JELLYFIN_TOKEN' },
    );
    return users.map((u) => ({ id: u.Id, name: u.Name ?? u.Id, admin: u.Policy?.IsAdministrator ?? false }));
  }

  /**
   * The user's played tracks and favourites with their UserData: two filtered listings (Jellyfin ANDs its
   * filters), paged, joined by id. The admin token reads any user's data.
   */
  async listeningHistory(owner: ServerPerson, onPage?: (read: number) => void): Promise<PlayedTrack[]> {
    const userId = owner.serverUserId.trim();
    if (!GUID_N.test(userId) && !GUID_D.test(userId))
      throw new MediaServerError(
        `${JSON.stringify(userId)} is not a Jellyfin user id (32 hex characters)`,
        'not_found',
      );
    const byId = new Map<string, PlayedTrack>();
    for (const filter of ['IsPlayed', 'IsFavorite'] as const) {
      for (let start = 0; ; start += PAGE) {
        const page = await this.getJson<QueryResult>(
          'GET',
          '/Items',
          {
            userId,
            IncludeItemTypes: 'Audio',
            Recursive: true,
            Filters: filter,
            SortBy: ['SortName'],
            StartIndex: start,
            Limit: PAGE,
            EnableUserData: true,
            EnableImages: false,
          },
          { notFound: `Jellyfin has no user with id ${userId}` },
        );
        const items = page.Items ?? [];
        for (const item of items) {
          const data = item.UserData ?? {};
          byId.set(item.Id, {
            trackId: item.Id,
            playCount: data.PlayCount ?? 0,
            lastPlayed: data.LastPlayedDate,
            favourite: data.IsFavorite ?? false,
          });
        }
        onPage?.(byId.size);
        if (items.length < PAGE) break;
      }
    }
    return [...byId.values()];
  }

  /** The configured user's id in N format; a user name is looked up once through GET /Users. */
  userId(): Promise<string> {
    this.userIdPromise ??= this.resolveUserId().catch((err) => {
      this.userIdPromise = undefined; // a network failure should not stick
      throw err;
    });
    return this.userIdPromise;
  }

  private async resolveUserId(): Promise<string> {
    const configured = this.options.userId.trim();
    if (GUID_N.test(configured) || GUID_D.test(configured)) return configured.replace(/-/g, '').toLowerCase();
    const users = await this.getJson<{ Name?: string; Id: string }[]>(
      'GET',
      '/Users',
      {},
      {
        forbidden:
          `JELLYFIN_USER_ID=${JSON.stringify(configured)} is a user name, and this token may not list users to look it up: ` +
          'put the 32-hex user id there instead (Dashboard → Users → the user: the id is the userId=... part of the page URL)',
      },
    );
    const match = users.find((u) => (u.Name ?? '').toLowerCase() === configured.toLowerCase());
    if (!match) {
      const names = users
        .map((u) => u.Name)
        .filter(Boolean)
        .join(', ');
      throw new MediaServerError(
        `JELLYFIN_USER_ID=${JSON.stringify(configured)} is neither a user id (32 hex characters) nor the name of a Jellyfin user ` +
          `(users: ${names || 'none visible'}). Put the user's id there: Dashboard → Users → the user, the userId=... part of the page URL`,
        'bad_config',
      );
    }
    return match.Id.replace(/-/g, '').toLowerCase();
  }

  private url(path: string, query: Query): URL {
    const url = new URL(this.base + path);
    for (const [k, v] of Object.entries(query)) {
      if (v === undefined) continue;
      // Jellyfin binds arrays from comma lists as well as repeated keys; commas keep URLs short.
      url.searchParams.set(k, Array.isArray(v) ? v.join(',') : String(v));
    }
    return url;
  }

  private headers(json = false, auth = true): Record<string, string> {
    const h: Record<string, string> = { Accept: 'application/json' };
    if (auth) h.Authorization = this.authorization;
    if (json) h['Content-Type'] = 'application/json';
    return h;
  }

  private async getJson<T = unknown>(
    method: string,
    path: string,
    query: Query,
    ctx: CallContext = {},
    body?: unknown,
    auth = true,
  ): Promise<T> {
    const url = this.url(path, query);
    const init: RequestInit = { method, headers: this.headers(body !== undefined, auth) };
    if (body !== undefined) init.body = JSON.stringify(body);
    const res = await fetchJson<T>(url, init, this.http);
    if (res.status >= 200 && res.status < 300) return res.body as T;
    throw this.statusError(method, url, res.status, res.text, ctx);
  }

  private statusError(method: string, url: URL, status: number, text: string, ctx: CallContext): MediaServerError {
    const what = `${method} ${redactUrl(url)}`;
    const detail = summarize(text);
    switch (status) {
      case 401:
        return new MediaServerError(
          `Jellyfin rejected the token (401 on ${what}): set JELLYFIN_TOKEN to a current API key (Dashboard → API Keys) ` +
            'or a user access token',
          'auth',
          401,
        );
      case 403:
        return new MediaServerError(
          `Jellyfin refused ${what} (403): ${ctx.forbidden ?? `the token's user may not act for JELLYFIN_USER_ID=${this.options.userId} (use that user's token, an administrator's, or an API key)`}`,
          ctx.forbiddenCode ?? 'auth',
          403,
        );
      case 404:
        return new MediaServerError(
          `${ctx.notFound ?? (url.searchParams.has('userId') ? `Jellyfin has no user with id ${url.searchParams.get('userId')} (check JELLYFIN_USER_ID)` : 'Not found')} (404 on ${what})`,
          'not_found',
          404,
        );
      case 400:
        return new MediaServerError(
          `${ctx.badRequest ?? 'Jellyfin rejected the request'} (400 on ${what}${detail ? `: ${detail}` : ''})`,
          ctx.badRequestCode ?? 'server',
          400,
        );
      case 503:
        return new MediaServerError(
          `Jellyfin is unavailable or still starting up (503 on ${what}); try again shortly`,
          'server',
          503,
        );
      default:
        return new MediaServerError(
          `Jellyfin failed with HTTP ${status} on ${what}${detail ? `: ${detail}` : ''}`,
          'server',
          status,
        );
    }
  }
}

/** Jellyfin ids are GUIDs; anything else cannot name an item (and would only earn a 400). */
function requireItemId(id: string, what: string): void {
  if (!GUID_N.test(id) && !GUID_D.test(id)) {
    throw new MediaServerError(`${JSON.stringify(id)} is not a Jellyfin ${what} id (32 hex characters)`, 'not_found');
  }
}

function toAlbum(a: ItemDto): Album {
  return {
    id: a.Id,
    name: a.Name ?? '',
    artist: a.AlbumArtist ?? a.AlbumArtists?.[0]?.Name ?? a.Artists?.[0],
    year: a.ProductionYear,
    dateCreated: a.DateCreated,
  };
}

function toTrack(t: ItemDto, albumId: string, libraryId: string | undefined): Track {
  return {
    id: t.Id,
    albumId: t.AlbumId ?? albumId,
    title: t.Name ?? '',
    artist: t.ArtistItems?.[0]?.Name ?? t.Artists?.[0] ?? t.AlbumArtist,
    artistId: t.ArtistItems?.[0]?.Id,
    album: t.Album,
    libraryId,
    duration: t.RunTimeTicks !== undefined ? t.RunTimeTicks / 1e7 : undefined, // 100 ns ticks
    trackNumber: t.IndexNumber,
    discNumber: t.ParentIndexNumber,
    path: t.Path,
    changeMarker: t.Etag,
  };
}

/** The file extension of a download: from Content-Disposition's file name, else from Content-Type. */
function extensionOf(headers: Headers): string {
  const cd = headers.get('content-disposition') ?? '';
  const star = /filename\*\s*=\s*[^']*'[^']*'([^;]+)/i.exec(cd);
  const plain = /filename\s*=\s*"?([^";]+)"?/i.exec(cd);
  let name = '';
  try {
    name = star ? decodeURIComponent(star[1].trim()) : (plain?.[1].trim() ?? '');
  } catch {
    name = plain?.[1].trim() ?? '';
  }
  const ext = /(\.[a-z0-9]{1,5})$/i.exec(name)?.[1];
  if (ext) return ext.toLowerCase();
  const mime = (headers.get('content-type') ?? '').split(';')[0].trim().toLowerCase();
  return extensionOfMime(mime) ?? '';
}

/** A short, one-line excerpt of an error body (ProblemDetails titles/errors, or text). */
function summarize(text: string): string {
  if (!text) return '';
  try {
    const j = JSON.parse(text) as unknown;
    if (typeof j === 'string') return j;
    if (j && typeof j === 'object') {
      const o = j as { title?: string; detail?: string; errors?: Record<string, string[]> };
      const errors = o.errors ? Object.values(o.errors).flat().join('; ') : '';
      return [o.title, o.detail, errors].filter(Boolean).join(' ').slice(0, 200);
    }
  } catch {
    // not JSON
  }
  return text.replace(/\s+/g, ' ').trim().slice(0, 200);
}
