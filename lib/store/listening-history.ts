// SQL of what each person played: per track their play count, last play and favourite, from the media server
// or a scrobble file. Rows name tracks by the server's item id and are matched to ours by (source, item_id).
import { inTransaction, type Pool } from '../db.ts';
import type { VectorScope } from './vectors.ts';

export interface HistoryRow {
  /** The server's item id (tracks.item_id). */
  itemId: string;
  playCount: number;
  /** ISO-8601, when known. */
  lastPlayed?: string;
  favourite: boolean;
}

export interface StoredHistory {
  /** Rows written (tracks we know). */
  stored: number;
  /** Rows naming a track we do not have (never analysed, or gone). */
  unknown: number;
  /** Rows of earlier syncs the server no longer reports, removed (`replace` only). */
  removed: number;
}

/** Rows per INSERT: a few thousand parameters each, far from PostgreSQL's 65535. */
const BATCH = 1000;

/**
 * Upserts a person's history in batches, one transaction: a re-run writes the same values again. With `replace`,
 * rows not in `input` are removed, so the stored history is exactly what the server reports now.
 */
export async function storeListeningHistory(
  pool: Pool,
  userId: string,
  source: string,
  input: readonly HistoryRow[],
  opts: { replace?: boolean; onBatch?: (done: number) => void } = {},
): Promise<StoredHistory> {
  // One row per track: a second row of the same track in one INSERT would be an error (the later one wins).
  const unique = [...new Map(input.map((r) => [r.itemId, r])).values()];
  return inTransaction(pool, async (c) => {
    let stored = 0;
    const kept: string[] = [];
    for (let i = 0; i < unique.length; i += BATCH) {
      const batch = unique.slice(i, i + BATCH);
      const { rows: written } = await c.query<{ trackId: string }>(
        `INSERT INTO listening_history (user_id, track_id, play_count, last_played, favourite, updated_at)
         SELECT $1, t.id, r.play_count, r.last_played, r.favourite, now()
           FROM unnest($3::text[], $4::int[], $5::timestamptz[], $6::bool[])
                AS r (item_id, play_count, last_played, favourite)
           JOIN tracks t ON t.source = $2 AND t.item_id = r.item_id
         ON CONFLICT (user_id, track_id) DO UPDATE
           SET play_count = EXCLUDED.play_count, last_played = EXCLUDED.last_played,
               favourite = EXCLUDED.favourite, updated_at = now()
         RETURNING track_id::text AS "trackId"`,
        [
          userId,
          source,
          batch.map((r) => r.itemId),
          batch.map((r) => Math.max(0, Math.round(r.playCount))),
          batch.map((r) => r.lastPlayed ?? null),
          batch.map((r) => r.favourite),
        ],
      );
      stored += written.length;
      kept.push(...written.map((w) => w.trackId));
      opts.onBatch?.(i + batch.length);
    }
    let removed = 0;
    if (opts.replace) {
      const result = await c.query(
        `DELETE FROM listening_history WHERE user_id = $1 AND NOT (track_id = ANY($2::bigint[]))`,
        [userId, kept],
      );
      removed = result.rowCount ?? 0;
    }
    return { stored, unknown: unique.length - stored, removed };
  });
}

export interface HistoryEntry extends HistoryRow {
  trackId: string;
  title: string;
  artist: string | null;
  album: string | null;
}

/** A person's history, most played first, then most recent. */
export async function listeningHistory(pool: Pool, userId: string, limit = 10_000): Promise<HistoryEntry[]> {
  const { rows } = await pool.query<HistoryEntry>(
    `SELECT t.id::text AS "trackId", t.item_id AS "itemId", t.title, t.artist, t.album,
            h.play_count AS "playCount", to_char(h.last_played AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS "lastPlayed",
            h.favourite
       FROM listening_history h JOIN tracks t ON t.id = h.track_id
      WHERE h.user_id = $1
      ORDER BY h.play_count DESC, h.last_played DESC NULLS LAST, t.id
      LIMIT $2`,
    [userId, limit],
  );
  return rows.map((r) => ({ ...r, lastPlayed: r.lastPlayed ?? undefined }));
}

/** What the sonic fingerprint weighs: a played or favourite song of a person, among one scope's analysed tracks. */
export interface PlayedTrack {
  itemId: string;
  playCount: number;
  lastPlayed: Date | null;
  favourite: boolean;
}

/** The person's songs played at least once or marked favourite, among the scope's analysed tracks. */
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

/** Every track of the source with its artist and title, for matching a scrobble file. */
export async function tracksByName(
  pool: Pool,
  source: string,
): Promise<{ itemId: string; artist: string | null; title: string }[]> {
  const { rows } = await pool.query<{ itemId: string; artist: string | null; title: string }>(
    `SELECT item_id AS "itemId", artist, title FROM tracks WHERE source = $1 ORDER BY id`,
    [source],
  );
  return rows;
}
