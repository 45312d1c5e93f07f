// SQL of the playlists a user saves from a listening result (POST /api/create_playlist): rows of the playlists
// table with origin 'saved' and no clustering run, so a clustering publish never replaces or deletes them.
import { inTransaction, type Pool } from '../db.ts';

/** tracks.id of each item id the source has (unknown ones absent). */
export async function trackIdsByItemId(
  pool: Pool,
  source: string,
  itemIds: readonly string[],
): Promise<Map<string, string>> {
  const { rows } = await pool.query<{ itemId: string; id: string }>(
    `SELECT item_id AS "itemId", id::text AS id FROM tracks WHERE source = $1 AND item_id = ANY($2::text[])`,
    [source, itemIds],
  );
  return new Map(rows.map((r) => [r.itemId, r.id]));
}

/**
 * Records a saved playlist as a draft whose publish has started, with its tracks, in one transaction: until
 * markPublished it claims nothing is on the server.
 */
export async function recordSavedPlaylist(
  pool: Pool,
  p: { source: string; name: string; trackIds: readonly string[] },
): Promise<string> {
  return inTransaction(pool, async (c) => {
    const {
      rows: [row],
    } = await c.query<{ id: string }>(
      `INSERT INTO playlists (source, name, origin, name_source, publish_started_at)
       VALUES ($1, $2, 'saved', 'kept', now()) RETURNING id::text`,
      [p.source, p.name],
    );
    await c.query(
      `INSERT INTO playlist_tracks (playlist_id, position, track_id)
       SELECT $1, s.ord - 1, s.track_id FROM unnest($2::bigint[]) WITH ORDINALITY AS s (track_id, ord)`,
      [row.id, p.trackIds],
    );
    return row.id;
  });
}

/** Forgets a saved playlist whose create the server refused (its tracks go with it). */
export async function forgetSavedDraft(pool: Pool, id: string): Promise<void> {
  await pool.query(`DELETE FROM playlists WHERE id = $1 AND origin = 'saved' AND status = 'draft'`, [id]);
}

export interface SavedPlaylist {
  id: string;
  name: string;
  status: 'draft' | 'published' | 'superseded';
  serverPlaylistId: string | null;
  createdAt: string;
  /** Server item ids, in order. */
  itemIds: string[];
}

/** The source's saved playlists, newest first. */
export async function savedPlaylists(pool: Pool, source: string): Promise<SavedPlaylist[]> {
  const { rows } = await pool.query<SavedPlaylist>(
    `SELECT p.id::text AS id, p.name, p.status, p.server_playlist_id AS "serverPlaylistId",
            p.created_at::text AS "createdAt",
            coalesce((SELECT array_agg(t.item_id ORDER BY pt.position) FROM playlist_tracks pt JOIN tracks t ON t.id = pt.track_id
                       WHERE pt.playlist_id = p.id), '{}') AS "itemIds"
       FROM playlists p WHERE p.source = $1 AND p.origin = 'saved' ORDER BY p.id DESC`,
    [source],
  );
  return rows;
}

/**
 * A stored playlist's name and item ids, named by our id or by the server's playlist id (the newest of ours that
 * is not superseded); undefined when none is.
 */
export async function playlistItems(
  pool: Pool,
  source: string,
  id: string,
): Promise<{ name: string; itemIds: string[] } | undefined> {
  const { rows } = await pool.query<{ name: string; itemIds: string[] }>(
    `SELECT p.name, coalesce((SELECT array_agg(t.item_id ORDER BY pt.position) FROM playlist_tracks pt
                               JOIN tracks t ON t.id = pt.track_id WHERE pt.playlist_id = p.id), '{}') AS "itemIds"
       FROM playlists p
      WHERE p.source = $1 AND p.status <> 'superseded'
        AND (p.server_playlist_id = $2 OR p.id::text = $2)
      ORDER BY (p.id::text = $2) DESC, p.id DESC LIMIT 1`,
    [source, id],
  );
  return rows[0];
}
