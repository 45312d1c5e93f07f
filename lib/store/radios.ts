// SQL of radios (saved recipes re-run into one server playlist) and their runs. The server playlist's id is
// stored once known; publish_started_at is the intent recorded before a create, so a retry whose create reply
// was lost looks the name up instead of creating a second playlist.
import type { Pool } from '../db.ts';

export interface Radio {
  id: string;
  source: string;
  name: string;
  userId: string | null;
  recipe: Record<string, unknown>;
  size: number;
  serverPlaylistId: string | null;
  publishStartedAt: string | null;
  /** Server ids of the playlists of the radio's name that existed before its create was asked for. */
  publishBaseline: string[] | null;
  createdAt: string;
  updatedAt: string;
}

export interface RadioRun {
  runKey: string;
  startedAt: string;
  finishedAt: string;
  status: 'published' | 'skipped';
  added: number;
  removed: number;
  kept: number;
  trackIds: string[];
  reason: string | null;
}

const COLUMNS = `id::text AS id, source, name, user_id::text AS "userId", recipe, size,
  server_playlist_id AS "serverPlaylistId", publish_started_at::text AS "publishStartedAt",
  publish_baseline AS "publishBaseline",
  created_at::text AS "createdAt", updated_at::text AS "updatedAt"`;
const RUN_COLUMNS = `run_key AS "runKey", started_at::text AS "startedAt", finished_at::text AS "finishedAt", status,
  added, removed, kept, track_ids AS "trackIds", reason`;

/** Adds a radio; undefined when the source already has one of that name. */
export async function createRadio(
  pool: Pool,
  r: { source: string; name: string; userId?: string; recipe: object; size: number },
): Promise<Radio | undefined> {
  const { rows } = await pool.query<Radio>(
    `INSERT INTO radios (source, name, user_id, recipe, size) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (source, name) DO NOTHING RETURNING ${COLUMNS}`,
    [r.source, r.name, r.userId ?? null, JSON.stringify(r.recipe), r.size],
  );
  return rows[0];
}

export async function listRadios(pool: Pool, source: string): Promise<Radio[]> {
  const { rows } = await pool.query<Radio>(`SELECT ${COLUMNS} FROM radios WHERE source = $1 ORDER BY name`, [source]);
  return rows;
}

/** A radio by id (any source: the worker knows only the id). */
export async function getRadio(pool: Pool, id: string): Promise<Radio | undefined> {
  const { rows } = await pool.query<Radio>(`SELECT ${COLUMNS} FROM radios WHERE id::text = $1`, [id]);
  return rows[0];
}

/** The ids of a person's radios (their schedules go with them). */
export async function radioIdsOfUser(pool: Pool, userId: string): Promise<string[]> {
  const { rows } = await pool.query<{ id: string }>(`SELECT id::text FROM radios WHERE user_id::text = $1`, [userId]);
  return rows.map((r) => r.id);
}

export async function deleteRadio(pool: Pool, source: string, id: string): Promise<boolean> {
  const { rowCount } = await pool.query(`DELETE FROM radios WHERE source = $1 AND id::text = $2`, [source, id]);
  return (rowCount ?? 0) > 0;
}

export interface RadioChange {
  name?: string;
  recipe?: object;
  size?: number;
  userId?: string;
}

/**
 * Edits a radio; its server playlist id stays (the next refresh writes the new name into that playlist).
 * `name taken` when the source has another radio of that name; `publishing` when a rename meets a create in flight
 * (its retry looks the playlist up by the old name).
 */
export async function updateRadio(
  pool: Pool,
  id: string,
  change: RadioChange,
): Promise<Radio | 'name taken' | 'publishing' | undefined> {
  try {
    const { rows } = await pool.query<Radio>(
      `UPDATE radios SET name = COALESCE($2, name), recipe = COALESCE($3, recipe), size = COALESCE($4, size),
              user_id = COALESCE($5::bigint, user_id), updated_at = now()
        WHERE id::text = $1 AND ($2::text IS NULL OR $2 = name OR publish_started_at IS NULL)
        RETURNING ${COLUMNS}`,
      [
        id,
        change.name ?? null,
        change.recipe ? JSON.stringify(change.recipe) : null,
        change.size ?? null,
        change.userId ?? null,
      ],
    );
    if (rows[0]) return rows[0];
  } catch (err) {
    if ((err as { code?: string }).code === '23505') return 'name taken';
    throw err;
  }
  return (await getRadio(pool, id)) ? 'publishing' : undefined;
}

/** Records that a create of the radio's playlist is about to be asked for, and the same-named playlists before it. */
export async function markRadioPublishStarted(pool: Pool, id: string, baseline: string[]): Promise<void> {
  await pool.query(
    `UPDATE radios SET publish_started_at = now(), publish_baseline = $2, updated_at = now() WHERE id::text = $1`,
    [id, baseline],
  );
}

/** Stores the server playlist's id and clears the intent. */
export async function setRadioPlaylist(pool: Pool, id: string, serverPlaylistId: string): Promise<void> {
  await pool.query(
    `UPDATE radios SET server_playlist_id = $2, publish_started_at = NULL, publish_baseline = NULL, updated_at = now()
      WHERE id::text = $1`,
    [id, serverPlaylistId],
  );
}

/** Records a run once: a retried recording of the same run key changes nothing. */
export async function recordRadioRun(pool: Pool, radioId: string, run: Omit<RadioRun, 'finishedAt'>): Promise<void> {
  await pool.query(
    `INSERT INTO radio_runs (radio_id, run_key, started_at, status, added, removed, kept, track_ids, reason)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (radio_id, run_key) DO NOTHING`,
    [radioId, run.runKey, run.startedAt, run.status, run.added, run.removed, run.kept, run.trackIds, run.reason],
  );
}

/** The newest runs first. */
export async function radioRuns(pool: Pool, radioId: string, limit = 10): Promise<RadioRun[]> {
  const { rows } = await pool.query<RadioRun>(
    `SELECT ${RUN_COLUMNS} FROM radio_runs WHERE radio_id::text = $1 ORDER BY id DESC LIMIT $2`,
    [radioId, limit],
  );
  return rows;
}

/** The songs the playlist holds since the last published run (empty before the first). */
export async function publishedRadioTracks(pool: Pool, radioId: string): Promise<string[]> {
  const { rows } = await pool.query<{ trackIds: string[] }>(
    `SELECT track_ids AS "trackIds" FROM radio_runs WHERE radio_id::text = $1 AND status = 'published'
      ORDER BY id DESC LIMIT 1`,
    [radioId],
  );
  return rows[0]?.trackIds ?? [];
}
