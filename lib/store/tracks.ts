// SQL of tracks and their features: album upserts, what still needs analysis, and features + status
// written in one transaction. The only module that knows the 800-byte embedding layout.
import { inTransaction, type Pool } from '../db.ts';

export const MOOD_HEAD_COLUMNS = ['danceable', 'aggressive', 'happy', 'party', 'relaxed', 'sad'] as const;

/** What the analysis of one track produced (structurally the engine's TrackAnalysis). */
export interface StoredFeatures {
  embedding: Float32Array;
  tags: Float32Array;
  moodHeads: Record<(typeof MOOD_HEAD_COLUMNS)[number], number>;
  tempo: number | null;
  key: string | null;
  scale: 'major' | 'minor' | null;
  keyStrength: number | null;
  energy: number | null;
  patches: number;
}

export interface AlbumTrackRow {
  itemId: string;
  title: string;
  artist?: string;
  album?: string;
  durationSec?: number;
  changeMarker?: string;
  /** The file's path as the server reports it. */
  path?: string;
  /** The server's id of the track's artist. */
  artistId?: string;
  /** The server's library (collection, music folder) holding the track. */
  libraryId?: string;
}

export interface TrackToAnalyze {
  /** tracks.id as a string (BIGINT). */
  trackId: string;
  title: string;
}

/** 200 float32, little-endian: the layout the track_features.embedding CHECK expects. */
export function encodeEmbedding(v: Float32Array): Buffer {
  const b = Buffer.alloc(v.length * 4);
  for (let i = 0; i < v.length; i++) b.writeFloatLE(v[i], i * 4);
  return b;
}

/**
 * Upserts an album's tracks (one transaction) and returns the ones that need analysis: all but those
 * analysed with `version` from the same file (same change marker), and those that failed for good (bad audio)
 * with `version` from the same file.
 */
export async function upsertAlbumTracks(
  pool: Pool,
  source: string,
  albumId: string,
  tracks: AlbumTrackRow[],
  version: string,
): Promise<{ toAnalyze: TrackToAnalyze[]; skipped: number }> {
  if (tracks.length === 0) return { toAnalyze: [], skipped: 0 };
  const col = <K extends keyof AlbumTrackRow>(k: K) => tracks.map((t) => t[k] ?? null);
  const { rows } = await pool.query<{ id: string; title: string; skip: boolean }>(
    `WITH up AS (
       INSERT INTO tracks (source, item_id, album_id, title, artist, album, duration_sec, change_marker, path,
                           artist_id, library_id)
       SELECT $1, u.item_id, $2, u.title, u.artist, u.album, u.duration_sec, u.change_marker, u.path,
              u.artist_id, u.library_id
         FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::real[], $8::text[], $10::text[],
                     $11::text[], $12::text[])
              AS u (item_id, title, artist, album, duration_sec, change_marker, path, artist_id, library_id)
       ON CONFLICT (source, item_id) DO UPDATE SET
         album_id = EXCLUDED.album_id, title = EXCLUDED.title, artist = EXCLUDED.artist, album = EXCLUDED.album,
         duration_sec = EXCLUDED.duration_sec, change_marker = EXCLUDED.change_marker, path = EXCLUDED.path,
         artist_id = EXCLUDED.artist_id, library_id = EXCLUDED.library_id, updated_at = now()
       RETURNING id, title, change_marker, analysis_status, analyzed_marker, failure_version
     )
     SELECT up.id::text AS id, coalesce(up.title, '') AS title,
            up.analyzed_marker IS NOT DISTINCT FROM up.change_marker AND (
              (up.analysis_status = 'analyzed' AND f.analysis_version = $9)
              OR (up.analysis_status = 'failed' AND up.failure_version = $9)) AS skip
       FROM up LEFT JOIN track_features f ON f.track_id = up.id
      ORDER BY up.id`,
    [
      source,
      albumId,
      col('itemId'),
      col('title'),
      col('artist'),
      col('album'),
      col('durationSec'),
      col('changeMarker'),
      version,
      col('path'),
      col('artistId'),
      col('libraryId'),
    ],
  );
  const toAnalyze = rows.filter((r) => !r.skip).map((r) => ({ trackId: r.id, title: r.title }));
  return { toAnalyze, skipped: rows.length - toAnalyze.length };
}

export interface TrackForAnalysis {
  source: string;
  itemId: string;
  /** The file's path as the server reported it when the album was listed (null before migration 5). */
  path: string | null;
  /** Already analysed with this version from the same file (an earlier attempt stored it). */
  current: boolean;
}

export async function trackForAnalysis(
  pool: Pool,
  trackId: string,
  version: string,
): Promise<TrackForAnalysis | undefined> {
  const { rows } = await pool.query<TrackForAnalysis>(
    `SELECT t.source, t.item_id AS "itemId", t.path,
            (t.analysis_status = 'analyzed' AND f.analysis_version = $2
             AND t.analyzed_marker IS NOT DISTINCT FROM t.change_marker) AS current
       FROM tracks t LEFT JOIN track_features f ON f.track_id = t.id
      WHERE t.id = $1`,
    [trackId, version],
  );
  return rows[0];
}

/** Features and the analysed status in one transaction; a second write for the same track is counted. */
export async function storeTrackFeatures(
  pool: Pool,
  trackId: string,
  f: StoredFeatures,
  version: string,
  attempts: number,
): Promise<void> {
  await inTransaction(pool, async (client) => {
    await client.query(
      `INSERT INTO track_features (track_id, embedding, tags, danceable, aggressive, happy, party, relaxed, sad,
         tempo, musical_key, scale, key_strength, energy, patches, analysis_version)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
       ON CONFLICT (track_id) DO UPDATE SET
         embedding = EXCLUDED.embedding, tags = EXCLUDED.tags, danceable = EXCLUDED.danceable,
         aggressive = EXCLUDED.aggressive, happy = EXCLUDED.happy, party = EXCLUDED.party, relaxed = EXCLUDED.relaxed,
         sad = EXCLUDED.sad, tempo = EXCLUDED.tempo, musical_key = EXCLUDED.musical_key, scale = EXCLUDED.scale,
         key_strength = EXCLUDED.key_strength, energy = EXCLUDED.energy, patches = EXCLUDED.patches,
         analysis_version = EXCLUDED.analysis_version, analyzed_at = now(), writes = track_features.writes + 1`,
      [
        trackId,
        encodeEmbedding(f.embedding),
        Array.from(f.tags),
        ...MOOD_HEAD_COLUMNS.map((h) => f.moodHeads[h]),
        f.tempo,
        f.key,
        f.scale,
        f.keyStrength,
        f.energy,
        f.patches,
        version,
      ],
    );
    await client.query(
      `UPDATE tracks SET analysis_status = 'analyzed', failure_code = NULL, failure_reason = NULL, failure_version = NULL,
         attempts = $2, analyzed_marker = change_marker, updated_at = now()
       WHERE id = $1`,
      [trackId, attempts],
    );
  });
}

/**
 * Records a failed track. `permanentFor` is the analysis version for failures that would repeat (bad audio):
 * such a track is skipped until the file or the version changes; other failures are retried by the next run.
 */
export async function storeTrackFailure(
  pool: Pool,
  trackId: string,
  failure: { code: string; reason: string; attempts: number; permanentFor?: string },
): Promise<void> {
  await pool.query(
    `UPDATE tracks SET analysis_status = 'failed', failure_code = $2, failure_reason = left($3, 2000), attempts = $4,
       failure_version = $5, analyzed_marker = CASE WHEN $5::text IS NULL THEN analyzed_marker ELSE change_marker END,
       updated_at = now()
     WHERE id = $1`,
    [trackId, failure.code, failure.reason, failure.attempts, failure.permanentFor ?? null],
  );
}
