// What a person played, as the sonic fingerprint reads it (migration 11's `users` and `listening_history`, written
// by the history sync and the scrobble import): who they are, and their played or favourite songs among the
// analysed tracks of one source and analysis version.
import type { Pool } from '../db.ts';
import type { VectorScope } from './vectors.ts';

export interface ListeningUser {
  /** users.id as a string. */
  id: string;
  source: string;
  serverUserId: string | null;
  name: string;
}

export interface PlayedTrack {
  itemId: string;
  playCount: number;
  lastPlayed: Date | null;
  favourite: boolean;
}

const USER = 'id::text AS id, source, server_user_id, name';
const userOf = (r: Record<string, any>): ListeningUser => ({
  id: r.id,
  source: r.source,
  serverUserId: r.server_user_id,
  name: r.name,
});

/** A user of the source by our id (users.id). */
export async function userById(pool: Pool, source: string, id: string): Promise<ListeningUser | undefined> {
  const { rows } = await pool.query(`SELECT ${USER} FROM users WHERE source = $1 AND id = $2::bigint`, [source, id]);
  return rows[0] ? userOf(rows[0]) : undefined;
}

/** A user of the source by the media server's user id or their name (any case), as the original resolves a
 *  Jellyfin "username or user id"; the server's id wins over a name. */
export async function userByServerIdentity(
  pool: Pool,
  source: string,
  identifier: string,
): Promise<ListeningUser | undefined> {
  const { rows } = await pool.query(
    `SELECT ${USER} FROM users
      WHERE source = $1 AND (server_user_id = $2 OR lower(name) = lower($2))
      ORDER BY (server_user_id = $2) DESC NULLS LAST, (name = $2) DESC, id LIMIT 1`,
    [source, identifier],
  );
  return rows[0] ? userOf(rows[0]) : undefined;
}

/** The user's songs played at least once or marked favourite, among the scope's analysed tracks. */
export async function playedTracks(
  pool: Pool,
  userId: string,
  scope: Omit<VectorScope, 'trackIds'>,
): Promise<PlayedTrack[]> {
  const { rows } = await pool.query(
    `SELECT t.item_id, h.play_count, h.last_played, h.favourite
       FROM listening_history h
       JOIN tracks t ON t.id = h.track_id
       JOIN track_features f ON f.track_id = t.id
      WHERE h.user_id = $1::bigint AND t.source = $2 AND f.analysis_version = $3 AND t.analysis_status = 'analyzed'
        AND (h.play_count > 0 OR h.favourite)
      ORDER BY t.id`,
    [userId, scope.source, scope.analysisVersion],
  );
  return rows.map((r) => ({
    itemId: r.item_id,
    playCount: r.play_count,
    lastPlayed: r.last_played,
    favourite: r.favourite,
  }));
}
