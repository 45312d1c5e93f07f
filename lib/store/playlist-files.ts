// SQL of what a playlist file is written from: any stored playlist (a clustering's or a saved one) with its tracks'
// titles, durations and the paths their media server reported, and the playlists a user can name to export.
import type { Pool } from '../db.ts';

export interface PlaylistFileTrack {
  itemId: string;
  title: string | null;
  artist: string | null;
  album: string | null;
  durationSec: number | null;
  path: string | null;
}

export interface StoredPlaylistFile {
  id: string;
  name: string;
  source: string;
  origin: 'clustering' | 'saved';
  createdAt: Date;
  tracks: PlaylistFileTrack[];
}

/**
 * A playlist by our id (as /api/playlists and /api/saved_playlists list it) or by the source's server playlist id
 * (the newest of ours not superseded); undefined when none is.
 */
export async function playlistFile(pool: Pool, source: string, id: string): Promise<StoredPlaylistFile | undefined> {
  const {
    rows: [p],
  } = await pool.query<Omit<StoredPlaylistFile, 'tracks'>>(
    `SELECT p.id::text AS id, p.name, p.source, p.origin, p.created_at AS "createdAt" FROM playlists p
      WHERE p.id::text = $2 OR (p.source = $1 AND p.server_playlist_id = $2 AND p.status <> 'superseded')
      ORDER BY (p.id::text = $2) DESC, p.id DESC LIMIT 1`,
    [source, id],
  );
  if (!p) return undefined;
  const { rows: tracks } = await pool.query<PlaylistFileTrack>(
    `SELECT t.item_id AS "itemId", t.title, t.artist, t.album, t.duration_sec AS "durationSec", t.path
       FROM playlist_tracks pt JOIN tracks t ON t.id = pt.track_id WHERE pt.playlist_id = $1 ORDER BY pt.position`,
    [p.id],
  );
  return { ...p, tracks };
}

/** The playlists a user sees: the last finished clustering's and the source's saved ones, newest first. */
export async function listedPlaylists(
  pool: Pool,
  source: string,
): Promise<{ id: string; name: string; origin: 'clustering' | 'saved' }[]> {
  const { rows } = await pool.query<{ id: string; name: string; origin: 'clustering' | 'saved' }>(
    `SELECT p.id::text AS id, p.name, p.origin FROM playlists p
      WHERE (p.origin = 'saved' AND p.source = $1)
         OR p.clustering_run_id = (SELECT r.id FROM clustering_runs r
                                    WHERE r.status = 'completed' AND EXISTS (SELECT 1 FROM playlists q WHERE q.clustering_run_id = r.id)
                                    ORDER BY r.finished_at DESC, r.id DESC LIMIT 1)
      ORDER BY p.id DESC`,
    [source],
  );
  return rows;
}
