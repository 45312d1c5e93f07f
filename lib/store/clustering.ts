// SQL of clustering runs, their library snapshots and the playlists they make (drafts, published, superseded).
import { inTransaction, type Pool } from '../db.ts';
import { loadVectors, type StoredVector } from './vectors.ts';
import type { LeftOutReason, LeftOutTrack } from '../../words/clustering-defaults.ts';

/** A track of a run's snapshot: its features as loadVectors reads them. */
export type SnapshotTrack = StoredVector;

export interface ClusteringRunRow {
  runId: string;
  workflowId: string;
  source: string;
  params: unknown;
  analysisVersion: string;
  trackCount: number;
}

export async function clusteringRun(pool: Pool, runId: string): Promise<ClusteringRunRow | undefined> {
  const { rows } = await pool.query<ClusteringRunRow>(
    `SELECT id::text AS "runId", workflow_id AS "workflowId", source, params, analysis_version AS "analysisVersion",
            coalesce(array_length(snapshot_track_ids, 1), 0) AS "trackCount"
       FROM clustering_runs WHERE id = $1`,
    [runId],
  );
  return rows[0];
}

/** The run's snapshot: the tracks it fixed at its start, in that order, analysed with the run's version. */
export async function loadSnapshot(pool: Pool, runId: string): Promise<SnapshotTrack[]> {
  const { rows } = await pool.query<{ source: string; version: string; ids: string[] }>(
    `SELECT source, analysis_version AS version, snapshot_track_ids::text[] AS ids FROM clustering_runs WHERE id = $1`,
    [runId],
  );
  if (!rows[0]) return [];
  return loadVectors(pool, { source: rows[0].source, analysisVersion: rows[0].version, trackIds: rows[0].ids });
}

export interface DraftPlaylist {
  position: number;
  /** Name on the server (`…_automatic`, with the part number). */
  name: string;
  tagName: string;
  nameSource: 'tag' | 'ai' | 'kept';
  nameNote?: string;
  profile: unknown;
  part?: number;
  parts?: number;
  /** tracks.id values, in playlist order. */
  trackIds: string[];
}

/**
 * Stores the run's playlists as drafts in one transaction. A retry replaces the drafts it wrote before;
 * nothing is replaced once any of them was published.
 */
export async function storeDraftPlaylists(
  pool: Pool,
  runId: string,
  source: string,
  playlists: DraftPlaylist[],
  leftOut: readonly LeftOutTrack[] = [],
): Promise<void> {
  await inTransaction(pool, async (c) => {
    const { rows } = await c.query(
      `SELECT 1 FROM playlists WHERE clustering_run_id = $1 AND status <> 'draft' LIMIT 1`,
      [runId],
    );
    if (rows.length) return;
    await c.query(`DELETE FROM playlists WHERE clustering_run_id = $1`, [runId]);
    await c.query(`DELETE FROM clustering_left_out WHERE clustering_run_id = $1`, [runId]);
    await c.query(
      `INSERT INTO clustering_left_out (clustering_run_id, track_id, reason)
       SELECT $1, s.track_id, s.reason FROM unnest($2::bigint[], $3::text[]) AS s (track_id, reason)`,
      [runId, leftOut.map((l) => l.trackId), leftOut.map((l) => l.reason)],
    );
    for (const p of playlists) {
      const {
        rows: [row],
      } = await c.query<{ id: string }>(
        `INSERT INTO playlists (clustering_run_id, source, name, tag_name, name_source, name_note, profile, position, part, parts)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id::text`,
        [
          runId,
          source,
          p.name,
          p.tagName,
          p.nameSource,
          p.nameNote ?? null,
          JSON.stringify(p.profile),
          p.position,
          p.part ?? null,
          p.parts ?? null,
        ],
      );
      await c.query(
        `INSERT INTO playlist_tracks (playlist_id, position, track_id)
         SELECT $1, s.ord - 1, s.track_id FROM unnest($2::bigint[]) WITH ORDINALITY AS s (track_id, ord)`,
        [row.id, p.trackIds],
      );
    }
  });
}

export interface StoredPlaylist {
  id: string;
  position: number;
  name: string;
  tagName: string;
  nameSource: 'tag' | 'ai' | 'kept';
  status: 'draft' | 'published' | 'superseded';
  serverPlaylistId: string | null;
  publishStartedAt: Date | null;
  /** Server item ids of the tracks, in order. */
  itemIds: string[];
  /** tracks.id values, in order. */
  trackIds: string[];
  profile: unknown;
}

const PLAYLIST_COLUMNS = `p.id::text AS id, p.position, p.name, p.tag_name AS "tagName", p.name_source AS "nameSource",
  p.status, p.server_playlist_id AS "serverPlaylistId", p.publish_started_at AS "publishStartedAt", p.profile,
  coalesce((SELECT array_agg(t.item_id ORDER BY pt.position) FROM playlist_tracks pt JOIN tracks t ON t.id = pt.track_id
            WHERE pt.playlist_id = p.id), '{}') AS "itemIds",
  coalesce((SELECT array_agg(pt.track_id::text ORDER BY pt.position) FROM playlist_tracks pt WHERE pt.playlist_id = p.id), '{}') AS "trackIds"`;

export async function runPlaylists(pool: Pool, runId: string): Promise<StoredPlaylist[]> {
  const { rows } = await pool.query<StoredPlaylist>(
    `SELECT ${PLAYLIST_COLUMNS} FROM playlists p WHERE p.clustering_run_id = $1 ORDER BY p.position`,
    [runId],
  );
  return rows;
}

/** Playlists on the server made by earlier runs for this source: what a new publish replaces. */
export async function publishedPlaylists(pool: Pool, source: string, exceptRunId: string): Promise<StoredPlaylist[]> {
  const { rows } = await pool.query<StoredPlaylist>(
    `SELECT ${PLAYLIST_COLUMNS} FROM playlists p
      WHERE p.source = $1 AND p.status = 'published' AND p.origin = 'clustering'
        AND p.clustering_run_id IS DISTINCT FROM $2 ORDER BY p.id`,
    [source, exceptRunId],
  );
  return rows;
}

/**
 * Server ids of our playlists that are on the server now. Superseded ones were deleted, and servers may reuse
 * ids (a local playlist's id is its file name's hash), so only published rows count.
 */
export async function recordedServerIds(pool: Pool, source: string): Promise<Set<string>> {
  const { rows } = await pool.query<{ id: string }>(
    `SELECT server_playlist_id AS id FROM playlists WHERE source = $1 AND status = 'published' AND server_playlist_id IS NOT NULL`,
    [source],
  );
  return new Set(rows.map((r) => r.id));
}

/** Title and artist of a playlist's first `limit` tracks (a sample for the namer's prompt). */
export async function playlistSongs(
  pool: Pool,
  playlistId: string,
  limit: number,
): Promise<{ title: string; artist: string }[]> {
  const { rows } = await pool.query<{ title: string; artist: string }>(
    `SELECT coalesce(t.title, '') AS title, coalesce(t.artist, '') AS artist
       FROM playlist_tracks pt JOIN tracks t ON t.id = pt.track_id WHERE pt.playlist_id = $1 ORDER BY pt.position LIMIT $2`,
    [playlistId, limit],
  );
  return rows;
}

export async function renamePlaylist(
  pool: Pool,
  playlistId: string,
  name: string,
  nameSource: 'tag' | 'ai' | 'kept',
  note?: string,
): Promise<void> {
  await pool.query(
    `UPDATE playlists SET name = $2, name_source = $3, name_note = $4 WHERE id = $1 AND status = 'draft'`,
    [playlistId, name, nameSource, note ?? null],
  );
}

/** Records the server's playlist ids at the first publish attempt of a run; later attempts get the same set. */
export async function setPublishBaseline(pool: Pool, runId: string, serverIds: string[]): Promise<Set<string>> {
  const { rows } = await pool.query<{ ids: string[] }>(
    `UPDATE clustering_runs SET publish_baseline = coalesce(publish_baseline, $2::text[]) WHERE id = $1 RETURNING publish_baseline AS ids`,
    [runId, serverIds],
  );
  return new Set(rows[0]?.ids ?? serverIds);
}

export async function markPublishStarted(pool: Pool, playlistId: string): Promise<void> {
  await pool.query(`UPDATE playlists SET publish_started_at = coalesce(publish_started_at, now()) WHERE id = $1`, [
    playlistId,
  ]);
}

export async function markPublished(
  pool: Pool,
  playlistId: string,
  serverPlaylistId: string,
  missingTracks: number,
): Promise<void> {
  await pool.query(
    `UPDATE playlists SET status = 'published', server_playlist_id = $2, missing_tracks = $3, published_at = now() WHERE id = $1`,
    [playlistId, serverPlaylistId, missingTracks],
  );
}

export async function markSuperseded(pool: Pool, playlistIds: string[]): Promise<void> {
  await pool.query(`UPDATE playlists SET status = 'superseded' WHERE id = ANY($1::bigint[]) AND status = 'published'`, [
    playlistIds,
  ]);
}

export interface LeftOutPage {
  total: number;
  counts: Partial<Record<LeftOutReason, number>>;
  tracks: { id: string; title: string | null; artist: string | null; album: string | null; reason: LeftOutReason }[];
}

/** The songs a run left out, one reason or all, by artist and title; with the count of each reason. */
export async function leftOutTracks(
  pool: Pool,
  runId: string,
  opts: { reason?: LeftOutReason; limit: number; offset: number },
): Promise<LeftOutPage> {
  const [counts, page] = await Promise.all([
    pool.query<{ reason: LeftOutReason; n: string }>(
      `SELECT reason, count(*) AS n FROM clustering_left_out WHERE clustering_run_id = $1 GROUP BY reason`,
      [runId],
    ),
    pool.query<LeftOutPage['tracks'][number]>(
      `SELECT t.id::text AS id, t.title, t.artist, t.album, l.reason
         FROM clustering_left_out l JOIN tracks t ON t.id = l.track_id
        WHERE l.clustering_run_id = $1 AND ($2::text IS NULL OR l.reason = $2)
        ORDER BY lower(t.artist), lower(t.title), t.id LIMIT $3 OFFSET $4`,
      [runId, opts.reason ?? null, opts.limit, opts.offset],
    ),
  ]);
  const byReason = Object.fromEntries(counts.rows.map((r) => [r.reason, Number(r.n)]));
  const total = opts.reason ? (byReason[opts.reason] ?? 0) : counts.rows.reduce((a, r) => a + Number(r.n), 0);
  return { total, counts: byReason, tracks: page.rows };
}
