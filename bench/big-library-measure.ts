// What bench:big-library measures in the database: the size of each table per 100,000 tracks, how long each
// reader of the whole library takes (clustering's snapshot, the similarity library, the map's embeddings), the
// 1,000 playlists a clustering run stores, and EXPLAIN (ANALYZE, BUFFERS) of the SQL a store function runs.
import type { Pool } from '../lib/db.ts';
import { loadSnapshot } from '../lib/store/clustering.ts';
import { storeDraftPlaylists, type DraftPlaylist } from '../lib/store/clustering.ts';
import { beginRun, finishRun } from '../lib/store/runs.ts';
import {
  analysedTrackIds,
  forEachEmbeddingBatch,
  loadEmbeddings,
  vectorsSnapshot,
  type VectorScope,
} from '../lib/store/vectors.ts';
import { LiveLibrary } from '../queries/similarity-index.ts';

type Scope = Omit<VectorScope, 'trackIds'>;

const TABLES = [
  'tracks',
  'track_features',
  'vector_index_changes',
  'clustering_runs',
  'playlists',
  'playlist_tracks',
  'library_maps',
];

const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MB`;

/** Each table's heap (with TOAST), its indexes and both, in total and per 100,000 tracks. */
export async function tableSizes(pool: Pool, tracks: number): Promise<string[]> {
  const { rows } = await pool.query<{ name: string; total: string; indexes: string; rows: string }>(
    `SELECT c.relname AS name, pg_total_relation_size(c.oid) AS total, pg_indexes_size(c.oid) AS indexes,
            c.reltuples::bigint AS rows
       FROM pg_class c WHERE c.relname = ANY($1) AND c.relkind = 'r' ORDER BY pg_total_relation_size(c.oid) DESC`,
    [TABLES],
  );
  const per = 100_000 / tracks;
  const sum = rows.reduce((a, r) => a + Number(r.total), 0);
  return [
    `${'table'.padEnd(22)} ${'rows'.padStart(9)} ${'heap+toast'.padStart(11)} ${'indexes'.padStart(10)} ${'total'.padStart(10)} ${'per 100k tracks'.padStart(16)}`,
    ...rows.map(
      (r) =>
        `${r.name.padEnd(22)} ${r.rows.padStart(9)} ${mb(Number(r.total) - Number(r.indexes)).padStart(11)} ` +
        `${mb(Number(r.indexes)).padStart(10)} ${mb(Number(r.total)).padStart(10)} ${mb(Number(r.total) * per).padStart(16)}`,
    ),
    `${'all of them'.padEnd(22)} ${''.padStart(9)} ${''.padStart(11)} ${''.padStart(10)} ${mb(sum).padStart(10)} ${mb(sum * per).padStart(16)}`,
  ];
}

/** CPU seconds used so far by this process and, when given, by other processes (PostgreSQL's). */
export type CpuClock = () => number;
const ownCpu: CpuClock = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

/** Best and median wall time of `runs` calls of `fn` (the first run reads from disk, the others from cache), and
 *  the median CPU seconds a call took (by `cpu`): what a loaded machine changes least. */
export async function timed(
  runs: number,
  fn: () => Promise<unknown>,
  cpu: CpuClock = ownCpu,
): Promise<{ best: number; median: number; cpu: number }> {
  const s: number[] = [];
  const c: number[] = [];
  for (let i = 0; i < runs; i++) {
    const [t, c0] = [performance.now(), cpu()];
    await fn();
    s.push((performance.now() - t) / 1000);
    c.push(cpu() - c0);
  }
  s.sort((a, b) => a - b);
  c.sort((a, b) => a - b);
  return { best: s[0], median: s[Math.floor(s.length / 2)], cpu: c[Math.floor(c.length / 2)] };
}

/** Records a clustering run's snapshot as beginClusteringRun does: every analysed track of the scope. */
export async function beginSnapshotRun(pool: Pool, scope: Scope): Promise<string> {
  const trackIds = await analysedTrackIds(pool, scope);
  const r = await beginRun(pool, 'clustering', {
    workflowId: 'cluster-library',
    firstRunId: `bench-big-library-${Date.now()}`,
    source: scope.source,
    params: {},
    columns: { analysis_version: scope.analysisVersion, snapshot_track_ids: trackIds },
  });
  if (!('runId' in r)) throw new Error(`a clustering run is marked running: ${r.running.workflowId}`);
  return r.runId;
}

type LoaderTime = [name: string, time: { best: number; median: number; cpu: number }, rows: number];

/** Wall time of each reader of the whole analysed library, `runs` times each (`each` told as each one ends). */
export async function loaderTimes(
  pool: Pool,
  scope: Scope,
  runId: string,
  runs: number,
  each: (result: LoaderTime) => void = () => {},
  cpu: CpuClock = ownCpu,
) {
  let counted = 0;
  const results: LoaderTime[] = [];
  const add = async (name: string, fn: () => Promise<number>) => {
    results.push([name, await timed(runs, async () => (counted = await fn()), cpu), counted]);
    each(results[results.length - 1]);
  };
  await add('clustering snapshot (loadSnapshot)', async () => (await loadSnapshot(pool, runId)).length);
  await add('similarity library (LiveLibrary.open, exact scan)', async () => {
    const lib = await LiveLibrary.open(pool, scope, { minTracks: Infinity });
    return lib.status().tracks;
  });
  await add('  of which its rows (forEachEmbeddingBatch)', async () => {
    let n = 0;
    await forEachEmbeddingBatch(pool, scope, (t) => (n += t.length));
    return n;
  });
  await add('library map rows (loadEmbeddings)', async () => (await loadEmbeddings(pool, scope)).length);
  await add('snapshot key (vectorsSnapshot)', async () => (await vectorsSnapshot(pool, scope)).tracks);
  return results;
}

/**
 * Stores `count` playlists of `size` tracks for the run (as the clustering stores its drafts: one transaction)
 * and finishes it, so `/api/playlists` answers them. Playlist p takes tracks of neighbouring albums.
 */
export async function storePlaylists(pool: Pool, runId: string, source: string, count: number, size: number) {
  const { rows } = await pool.query<{ ids: string[] }>(
    `SELECT snapshot_track_ids::text[] AS ids FROM clustering_runs WHERE id = $1`,
    [runId],
  );
  const ids = rows[0].ids;
  const stride = Math.max(1, Math.floor(ids.length / (count * size)));
  const playlists: DraftPlaylist[] = Array.from({ length: count }, (_, p) => ({
    position: p,
    name: `Playlist ${p + 1}_automatic`,
    tagName: `Playlist ${p + 1}`,
    nameSource: 'tag',
    profile: { tempo: 0.5, energy: 0.5, moods: { rock: 0.4, pop: 0.3 }, otherFeatures: { danceable: 0.5 } },
    trackIds: Array.from({ length: size }, (_, k) => ids[((p * size + k) * stride) % ids.length]),
  }));
  await storeDraftPlaylists(pool, runId, source, playlists);
  await finishRun(pool, 'clustering', runId, { status: 'completed', progress: { playlists: count } });
}

/** The SQL text and values of every query `fn` sends through the pool (named statements included). */
export async function recordQueries(pool: Pool, fn: (pool: Pool) => Promise<unknown>) {
  const seen: { text: string; values: unknown[] }[] = [];
  const recording = new Proxy(pool, {
    get(target, prop, receiver) {
      if (prop !== 'query') return Reflect.get(target, prop, receiver) as unknown;
      return (q: string | { text: string; values?: unknown[] }, values?: unknown[]) => {
        seen.push(typeof q === 'string' ? { text: q, values: values ?? [] } : { text: q.text, values: q.values ?? [] });
        return target.query(q as string, values);
      };
    },
  });
  await fn(recording);
  return seen;
}

/** EXPLAIN (ANALYZE, BUFFERS) of one recorded query, its plan lines. */
export async function explain(pool: Pool, q: { text: string; values: unknown[] }): Promise<string[]> {
  const { rows } = await pool.query<{ 'QUERY PLAN': string }>(
    `EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) ${q.text}`,
    q.values,
  );
  return rows.map((r) => r['QUERY PLAN']);
}
