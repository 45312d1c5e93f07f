// Read model of the analysed library for the web API: tracks with their features (searched, paged), the
// playlists of the last finished clustering, and the cached 2-D map of the library.
import { createHash } from 'node:crypto';
import type { Pool } from '../db.ts';

export interface TrackSummary {
  id: string;
  itemId: string;
  source: string;
  title: string | null;
  artist: string | null;
  album: string | null;
  durationSec: number | null;
  status: 'pending' | 'analyzed' | 'failed';
  failureCode: string | null;
  failureReason: string | null;
  /** Null until analysed. */
  features: {
    tempo: number | null;
    key: string | null;
    scale: string | null;
    energy: number | null;
    moodHeads: Record<'danceable' | 'aggressive' | 'happy' | 'party' | 'relaxed' | 'sad', number>;
    /** The 50 tag scores in label order. */
    tags: number[];
    analysisVersion: string;
    analyzedAt: string;
  } | null;
}

const TRACK_COLUMNS = `t.id::text AS id, t.item_id AS "itemId", t.source, t.title, t.artist, t.album, t.duration_sec AS "durationSec",
  t.analysis_status AS status, t.failure_code AS "failureCode", t.failure_reason AS "failureReason",
  CASE WHEN f.track_id IS NULL THEN NULL ELSE json_build_object(
    'tempo', f.tempo, 'key', f.musical_key, 'scale', f.scale, 'energy', f.energy,
    'moodHeads', json_build_object('danceable', f.danceable, 'aggressive', f.aggressive, 'happy', f.happy, 'party', f.party,
                               'relaxed', f.relaxed, 'sad', f.sad),
    'tags', f.tags, 'analysisVersion', f.analysis_version, 'analyzedAt', f.analyzed_at) END AS features`;

/** Where a page of tracks ends: the sort key (artist, album, title, id) of its last row. */
export type TrackCursor = [artist: string | null, album: string | null, title: string | null, id: string];

/** Up to this many matching rows are counted exactly; above it `total` is the planner's estimate. */
export const EXACT_COUNT_UP_TO = 500;

const LISTING_ORDER = 't.artist NULLS LAST, t.album NULLS LAST, t.title NULLS LAST, t.id';
const SORT_COLUMNS = ['t.artist', 't.album', 't.title'] as const;

/** SQL text with its parameters, numbered as they are added. */
class Params {
  readonly values: unknown[] = [];
  add(v: unknown, type: string): string {
    this.values.push(v);
    return `$${this.values.length}::${type}`;
  }
}

/**
 * The rows after `cursor` in LISTING_ORDER (NULLs last in each column). Row comparison (`(a, b) > (x, y)`) is
 * wrong for NULLs, so each column says it explicitly.
 */
function afterCursor(cursor: TrackCursor, params: Params, i = 0): string {
  if (i === SORT_COLUMNS.length) return `t.id > ${params.add(cursor[3], 'bigint')}`;
  const c = SORT_COLUMNS[i];
  if (cursor[i] === null) return `(${c} IS NULL AND ${afterCursor(cursor, params, i + 1)})`;
  const p = params.add(cursor[i], 'text');
  return `(${c} > ${p} OR ${c} IS NULL OR (${c} = ${p} AND ${afterCursor(cursor, params, i + 1)}))`;
}

/**
 * Tracks whose title, artist or album contains `q` (case-insensitive), by artist, album, title: the page after
 * `after` (keyset: an index range on tracks_listing, as fast at the end of the library as at its start) or, for
 * older callers, at `offset` (a walk over every row before it). `total` is exact up to EXACT_COUNT_UP_TO matching
 * rows and PostgreSQL's estimate above (`totalExact` says which): counting 300,000 rows on every page cost more
 * than the page. `next` is the cursor of the following page, null on the last one.
 */
export async function searchTracks(
  pool: Pool,
  opts: { q?: string; status?: TrackSummary['status']; limit: number; offset?: number; after?: TrackCursor },
): Promise<{ total: number; totalExact: boolean; next: TrackCursor | null; tracks: TrackSummary[] }> {
  // Only the filters given, as literal SQL shapes: `($1 IS NULL OR …)` left PostgreSQL planning for 10 ms.
  const filter = (params: Params) => {
    const and: string[] = [];
    if (opts.q) {
      const p = params.add(`%${opts.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`, 'text');
      and.push(`(t.title ILIKE ${p} OR t.artist ILIKE ${p} OR t.album ILIKE ${p})`);
    }
    if (opts.status) and.push(`t.analysis_status = ${params.add(opts.status, 'text')}`);
    return and;
  };
  const where = (and: string[]) => (and.length ? `WHERE ${and.join(' AND ')}` : '');
  const params = new Params();
  let page: string;
  if (!opts.after) {
    page = `SELECT t.id FROM tracks t ${where(filter(params))} ORDER BY ${LISTING_ORDER}
             LIMIT ${params.add(opts.limit, 'int')} OFFSET ${params.add(opts.offset ?? 0, 'int')}`;
  } else {
    const and = [...filter(params), afterCursor(opts.after, params)];
    const limit = params.add(opts.limit, 'int');
    // Non-NULL artists from the cursor's on (an index range), then the tracks without an artist (sorted last).
    const ranges = opts.after[0] === null ? [] : [`t.artist >= ${params.add(opts.after[0], 'text')}`];
    page = `SELECT id FROM (${[...ranges, 't.artist IS NULL']
      .map(
        (r) =>
          `(SELECT t.id, t.artist, t.album, t.title FROM tracks t ${where([...and, r])} ORDER BY ${LISTING_ORDER} LIMIT ${limit})`,
      )
      .join(' UNION ALL ')}) t ORDER BY ${LISTING_ORDER} LIMIT ${limit}`;
  }
  const countParams = new Params();
  const matching = `SELECT 1 FROM tracks t ${where(filter(countParams))}`;
  // Named (prepared once per connection, planned once) unless searching: the planner picks the trigram indexes
  // or the listing walk by how common the words are, which a generic plan cannot know.
  const name = (kind: string, sql: string) =>
    opts.q ? undefined : `tracks-${kind}-${createHash('sha1').update(sql).digest('hex').slice(0, 12)}`;
  const pageSql = `WITH page AS (${page})
       SELECT ${TRACK_COLUMNS} FROM page JOIN tracks t ON t.id = page.id LEFT JOIN track_features f ON f.track_id = t.id
        ORDER BY ${LISTING_ORDER}`;
  const countSql = `SELECT count(*)::int AS n FROM (${matching} LIMIT ${EXACT_COUNT_UP_TO + 1}) m`;
  // The page's ids first (an index walk, tracks_listing), then the features of those rows only: building the
  // JSON of every matching row before the sort cost seconds at 300,000 tracks.
  const [{ rows }, counted] = await Promise.all([
    pool.query<TrackSummary>({ name: name('page', pageSql), text: pageSql, values: params.values }),
    pool.query<{ n: number }>({ name: name('count', countSql), text: countSql, values: countParams.values }),
  ]);
  let total = counted.rows[0].n;
  const totalExact = total <= EXACT_COUNT_UP_TO;
  if (!totalExact) {
    const { rows: plan } = await pool.query<{ 'QUERY PLAN': [{ Plan: { 'Plan Rows': number } }] }>(
      `EXPLAIN (FORMAT JSON) ${matching}`,
      countParams.values,
    );
    total = Math.max(total, Math.round(plan[0]['QUERY PLAN'][0].Plan['Plan Rows']));
  }
  const last = rows.length === opts.limit ? rows[rows.length - 1] : undefined;
  return {
    total,
    totalExact,
    next: last ? [last.artist, last.album, last.title, last.id] : null,
    tracks: rows,
  };
}

export interface TrackDetail extends TrackSummary {
  playlists: { id: string; name: string; status: string }[];
}

export async function trackDetail(pool: Pool, id: string): Promise<TrackDetail | undefined> {
  const { rows } = await pool.query<TrackDetail>(
    `SELECT ${TRACK_COLUMNS},
            coalesce((SELECT json_agg(json_build_object('id', p.id::text, 'name', p.name, 'status', p.status) ORDER BY p.id DESC)
                        FROM playlist_tracks pt JOIN playlists p ON p.id = pt.playlist_id
                       WHERE pt.track_id = t.id AND p.status <> 'superseded'), '[]') AS playlists
       FROM tracks t LEFT JOIN track_features f ON f.track_id = t.id WHERE t.id = $1`,
    [id],
  );
  return rows[0];
}

export interface PlaylistView {
  id: string;
  name: string;
  status: 'draft' | 'published' | 'superseded';
  nameSource: 'tag' | 'ai' | 'kept';
  serverPlaylistId: string | null;
  missingTracks: number;
  part: number | null;
  parts: number | null;
  /** The cluster's mean profile: tempo and energy normalised to 0..1, mood tag and mood head scores. */
  profile: {
    tempo: number;
    energy: number;
    moods: Record<string, number>;
    otherFeatures: Record<string, number>;
  } | null;
  tracks: { id: string; itemId: string; title: string | null; artist: string | null }[];
}

/** A playlist as the list shows it: its fields and how many tracks it has, without the tracks. */
export type PlaylistSummary = Omit<PlaylistView, 'tracks'> & { size: number };

interface CurrentRun {
  id: string;
  workflowId: string;
  finishedAt: string;
}

/** The newest clustering run that finished with playlists (with publishing or without). */
async function currentRun(pool: Pool): Promise<CurrentRun | undefined> {
  // Named (prepared once per connection): the page and its pollers read this often, planning it each time cost more than running it.
  const { rows } = await pool.query<CurrentRun>({
    name: 'current-playlists-run',
    text: `SELECT r.id::text AS id, r.workflow_id AS "workflowId", r.finished_at AS "finishedAt" FROM clustering_runs r
            WHERE r.status = 'completed' AND EXISTS (SELECT 1 FROM playlists p WHERE p.clustering_run_id = r.id)
            ORDER BY r.finished_at DESC, r.id DESC LIMIT 1`,
  });
  return rows[0];
}

const PLAYLIST_COLUMNS = `p.id::text AS id, p.name, p.status, p.name_source AS "nameSource", p.server_playlist_id AS "serverPlaylistId",
                    p.missing_tracks AS "missingTracks", p.part, p.parts, p.profile`;

/** The current run's playlists with their sizes and no tracks: 1,000 playlists with every track were 4 MB. */
export async function currentPlaylistSummaries(
  pool: Pool,
): Promise<{ runId: string; workflowId: string; finishedAt: string; playlists: PlaylistSummary[] } | undefined> {
  const run = await currentRun(pool);
  if (!run) return undefined;
  const { rows } = await pool.query<PlaylistSummary>({
    name: 'current-playlist-summaries',
    text: `SELECT ${PLAYLIST_COLUMNS},
                  (SELECT count(*)::int FROM playlist_tracks pt WHERE pt.playlist_id = p.id) AS size
             FROM playlists p WHERE p.clustering_run_id = $1 ORDER BY p.position`,
    values: [run.id],
  });
  return { runId: `clustering-${run.id}`, workflowId: run.workflowId, finishedAt: run.finishedAt, playlists: rows };
}

/** One clustering playlist (current or older) with its tracks in order. */
export async function playlistWithTracks(pool: Pool, id: string): Promise<PlaylistView | undefined> {
  const [{ rows }, { rows: tracks }] = await Promise.all([
    pool.query<Omit<PlaylistView, 'tracks'>>(`SELECT ${PLAYLIST_COLUMNS} FROM playlists p WHERE p.id = $1`, [id]),
    pool.query<PlaylistView['tracks'][number]>(
      `SELECT t.id::text AS id, t.item_id AS "itemId", t.title, t.artist
         FROM playlist_tracks pt JOIN tracks t ON t.id = pt.track_id WHERE pt.playlist_id = $1 ORDER BY pt.position`,
      [id],
    ),
  ]);
  return rows[0] && { ...rows[0], tracks };
}

/** The current run's playlists with every track (the map colours each track by its playlist). */
export async function currentPlaylists(
  pool: Pool,
): Promise<{ runId: string; workflowId: string; finishedAt: string; playlists: PlaylistView[] } | undefined> {
  const run = await currentRun(pool);
  if (!run) return undefined;
  // Plain rows assembled here: building one JSON object per track in PostgreSQL cost 3–4× the whole read.
  const [{ rows }, { rows: tracks }] = await Promise.all([
    pool.query<Omit<PlaylistView, 'tracks'>>({
      name: 'current-playlists',
      text: `SELECT ${PLAYLIST_COLUMNS} FROM playlists p WHERE p.clustering_run_id = $1 ORDER BY p.position`,
      values: [run.id],
    }),
    pool.query<{ playlistId: string; id: string; itemId: string; title: string | null; artist: string | null }>({
      name: 'current-playlists-tracks',
      text: `SELECT pt.playlist_id::text AS "playlistId", t.id::text AS id, t.item_id AS "itemId", t.title, t.artist
               FROM playlists p JOIN playlist_tracks pt ON pt.playlist_id = p.id JOIN tracks t ON t.id = pt.track_id
              WHERE p.clustering_run_id = $1 ORDER BY pt.playlist_id, pt.position`,
      values: [run.id],
    }),
  ]);
  const playlists: PlaylistView[] = rows.map((p) => ({ ...p, tracks: [] }));
  const byId = new Map(playlists.map((p) => [p.id, p.tracks]));
  for (const { playlistId, ...t } of tracks) byId.get(playlistId)!.push(t);
  return { runId: `clustering-${run.id}`, workflowId: run.workflowId, finishedAt: run.finishedAt, playlists };
}

export interface MapPoints {
  ids: string[];
  /** The media server's item ids (what the similarity routes take and answer), in the same order. */
  itemIds: string[];
  x: number[];
  y: number[];
  titles: (string | null)[];
  artists: (string | null)[];
}

export async function cachedMap(
  pool: Pool,
  snapshot: string,
): Promise<{ points: MapPoints; computedAt: string } | undefined> {
  const { rows } = await pool.query<{ points: MapPoints; computedAt: string }>(
    `SELECT points, computed_at AS "computedAt" FROM library_maps WHERE snapshot = $1`,
    [snapshot],
  );
  return rows[0];
}

/** Stores the map of a snapshot and drops older ones (only the current library is ever shown). */
export async function storeMap(pool: Pool, snapshot: string, points: MapPoints): Promise<string> {
  const { rows } = await pool.query<{ computedAt: string }>(
    `WITH dropped AS (DELETE FROM library_maps WHERE snapshot <> $1)
     INSERT INTO library_maps (snapshot, points) VALUES ($1, $2)
     ON CONFLICT (snapshot) DO UPDATE SET points = EXCLUDED.points RETURNING computed_at AS "computedAt"`,
    [snapshot, JSON.stringify(points)],
  );
  return rows[0].computedAt;
}

/** "Title — Artist" of each known item id of the source (a radio's recipe in words). */
export async function songNames(pool: Pool, source: string, itemIds: string[]): Promise<Record<string, string>> {
  if (!itemIds.length) return {};
  const { rows } = await pool.query<{ itemId: string; name: string }>(
    `SELECT item_id AS "itemId", coalesce(title, '(untitled)') || ' — ' || coalesce(artist, 'unknown artist') AS name
       FROM tracks WHERE source = $1 AND item_id = ANY($2)`,
    [source, itemIds],
  );
  return Object.fromEntries(rows.map((r) => [r.itemId, r.name]));
}
