// Saving a listening result as a playlist on the media server (POST /api/create_playlist), the original's way:
// named "<name>_instant", so a clustering publish (which only ever replaces `_automatic` playlists it recorded)
// never deletes it. The database records it first as a draft and calls it published only once the server has it.
import type { Pool } from '../lib/db.ts';
import { markPublished } from '../lib/store/clustering.ts';
import { forgetSavedDraft, recordSavedPlaylist, trackIdsByItemId } from '../lib/store/saved-playlists.ts';
import type { MediaProvider } from '../providers/media/provider.ts';

/** The original's suffix for playlists a user makes from a result (`create_instant_playlist`). */
export const SAVED_SUFFIX = '_instant';

/** The server name of a saved playlist: the user's name with the suffix once. */
export const savedPlaylistName = (name: string): string =>
  name.trim().endsWith(SAVED_SUFFIX) ? name.trim() : `${name.trim()}${SAVED_SUFFIX}`;

/** A request the library cannot honour; `field` names the request field at fault. */
export class PlaylistRequestError extends Error {
  override name = 'PlaylistRequestError';
  constructor(
    readonly status: 400 | 409,
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

export interface SavedPlaylistAnswer {
  message: string;
  /** The media server's playlist id (the original's answer). */
  playlist_id: string;
  /** Our id (GET /api/saved_playlists lists it). */
  id: string;
  name: string;
  tracks: number;
  /** Asked-for tracks the server no longer has (left out). */
  missing_tracks: number;
}

export class PlaylistSaving {
  constructor(
    private readonly pool: Pool,
    private readonly source: string,
    private readonly media: () => Promise<MediaProvider>,
  ) {}

  async createPlaylist(playlistName: string, itemIds: readonly string[]): Promise<SavedPlaylistAnswer> {
    const ids = [...new Set(itemIds)];
    const known = await trackIdsByItemId(this.pool, this.source, ids);
    const unknown = ids.filter((id) => !known.has(id));
    if (unknown.length)
      throw new PlaylistRequestError(
        400,
        'track_ids',
        `track_ids: not songs of this library: ${unknown.slice(0, 5).join(', ')}${unknown.length > 5 ? ` and ${unknown.length - 5} more` : ''}`,
      );
    const media = await this.media();
    const onServer = await media.existingTrackIds(ids);
    const present = ids.filter((id) => onServer.has(id));
    if (!present.length)
      throw new PlaylistRequestError(409, 'track_ids', 'track_ids: none of these songs is on the media server anymore');
    const name = savedPlaylistName(playlistName);
    const id = await recordSavedPlaylist(this.pool, {
      source: this.source,
      name,
      trackIds: present.map((i) => known.get(i)!),
    });
    let created;
    try {
      created = await media.createPlaylist(name, present);
    } catch (err) {
      await forgetSavedDraft(this.pool, id);
      throw err;
    }
    const missing = ids.length - present.length;
    await markPublished(this.pool, id, created.id, missing);
    return {
      message: `Playlist '${name}' created successfully!`,
      playlist_id: created.id,
      id,
      name: created.name,
      tracks: present.length,
      missing_tracks: missing,
    };
  }
}
