// The one interface every media source implements. Activities only ever see this, so adding a server type
// never touches workflow or analysis code. Ids are the server's own opaque strings.
import type { Readable } from 'node:stream';
import type { HttpErrorFactory } from '../../lib/http.ts';

export interface Album {
  id: string;
  name: string;
  artist?: string;
  year?: number;
  /** ISO-8601 date the server added the album (used for "recent albums"). */
  dateCreated?: string;
}

export interface Track {
  id: string;
  albumId: string;
  title: string;
  artist?: string;
  /** The server's id of the artist (Jellyfin artist item, Subsonic artistId; a local folder derives one). */
  artistId?: string;
  album?: string;
  /** The server's library holding the track (Jellyfin collection folder, Subsonic music folder). */
  libraryId?: string;
  /** Seconds. */
  duration?: number;
  trackNumber?: number;
  discNumber?: number;
  /** Server-side path or file name, when the server exposes it (used for a file extension hint). */
  path?: string;
  /** Changes when the file changes (Jellyfin Etag, Subsonic size+created, local size+mtime): a track whose
   *  marker differs from the one it was analysed with is analysed again. */
  changeMarker?: string;
}

export interface Playlist {
  id: string;
  name: string;
  trackCount?: number;
}

export interface AlbumPage {
  albums: Album[];
  /** Total albums the server reports for the whole query (not just this page). */
  total: number;
}

export interface AudioStream {
  stream: Readable;
  /** File extension hint including the dot (".flac"), or "" when unknown. */
  extension: string;
  /** Bytes, when the server announced it. */
  size?: number;
}

export interface ProviderHealth {
  ok: boolean;
  /** Server product and version, e.g. "Jellyfin 10.11.11". */
  server?: string;
  /** How the provider logs in, where there is a choice (Subsonic: token, apikey or password). */
  auth?: string;
  error?: string;
}

export interface CreatePlaylistOptions {
  /** Ids of our own playlists this one takes the place of: the local folder writes over such a file (same name,
   *  same id) instead of numbering a new one. Servers create a new playlist and ignore it. */
  replace?: ReadonlySet<string>;
}

/** A user of the media server, as its user list names them. */
export interface ServerUser {
  /** Jellyfin's user id, or the Subsonic user name. */
  id: string;
  name: string;
  admin?: boolean;
}

/** A person on the media server (whose history to read, as whom to publish), and for Subsonic servers their own
 *  login when one is stored. */
export interface ServerPerson {
  serverUserId: string;
  credentials?: { user?: string; password?: string; apiKey?: string };
}

/** What one person did with one track, as the server counts it. */
export interface PlayedTrack {
  trackId: string;
  playCount: number;
  /** ISO-8601, when the server records it. */
  lastPlayed?: string;
  favourite: boolean;
}

export interface MediaProvider {
  readonly type: 'jellyfin' | 'navidrome' | 'local';
  /** Albums newest first (by date added); `startIndex`/`limit` page through them. */
  listRecentAlbums(opts: { startIndex: number; limit: number }): Promise<AlbumPage>;
  listAlbumTracks(albumId: string): Promise<Track[]>;
  /** Opens the original audio of a track as a stream; the caller must consume or destroy it. */
  openTrackAudio(trackId: string): Promise<AudioStream>;
  /** The ids among `trackIds` the server still has (a track deleted or re-scanned since its analysis is not). */
  existingTrackIds(trackIds: string[]): Promise<Set<string>>;
  /** Re-reads a cached view of the library (the local folder's scan), so a new run sees changed files. */
  rescan?(): Promise<unknown>;
  /**
   * The track's file on this machine, when the source is a local folder (analysed in place, no copy).
   * `pathHint` (the path listed with the track) is used when it still names that track's file.
   */
  localFile?(trackId: string, pathHint?: string): Promise<string>;
  listPlaylists(): Promise<Playlist[]>;
  createPlaylist(name: string, trackIds: string[], options?: CreatePlaylistOptions): Promise<Playlist>;
  /**
   * Replaces the whole song list of one of our playlists in one request, so a reader sees the old or the new
   * list, never half of one; the name is kept (set back where the server allows). `not_found` when the
   * playlist is gone. Only servers with such a request have it.
   */
  replacePlaylistTracks?(playlistId: string, name: string, trackIds: string[]): Promise<Playlist>;
  /** Deletes a playlist: `not_found` when it is gone, `refused` when it is not ours to delete (a user's file, another
   *  owner's playlist, a server that says no) or the id does not name a playlist. */
  deletePlaylist(playlistId: string): Promise<void>;
  health(): Promise<ProviderHealth>;
  /** The server's users, for picking whose listening to follow (a server that keeps none has no such method). */
  listUsers?(): Promise<ServerUser[]>;
  /** Every track the person played or marked favourite; `onPage` reports how many were read so far. */
  listeningHistory?(person: ServerPerson, onPage?: (read: number) => void): Promise<PlayedTrack[]>;
  /**
   * The same server acting as that person: playlists are listed, created and replaced as theirs. Servers that keep
   * no people (a local folder) have no such method; `bad_config` when the server cannot act as them.
   */
  asPerson?(person: ServerPerson): Promise<MediaProvider>;
}

/** A media server answered in a way the user must act on (bad token, wrong user id, missing item...). */
export class MediaServerError extends Error {
  constructor(
    message: string,
    readonly code: 'auth' | 'not_found' | 'bad_config' | 'server' | 'network' | 'timeout' | 'refused',
    readonly status?: number,
  ) {
    super(message);
    this.name = 'MediaServerError';
  }
}

/** Hands to lib/http.ts so its network/timeout/server errors reach callers as MediaServerErrors. */
export const mediaHttpError: HttpErrorFactory = (message, code, status) => new MediaServerError(message, code, status);
