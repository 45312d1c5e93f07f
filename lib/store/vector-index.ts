// The similarity index's tables (migration 7): the change log the triggers write with every features change,
// and the checkpoints (a serialised index in chunks, the log seq it covers, a sha256) per source and analysis
// version.
import { createHash } from 'node:crypto';
import { inTransaction, type Pool } from '../db.ts';
import type { VectorScope } from './vectors.ts';

type Scope = Omit<VectorScope, 'trackIds'>;

/** Chunk size of a stored checkpoint: well under PostgreSQL's 1 GB field limit, a few round trips at 1M tracks. */
const CHUNK_BYTES = 16 * 2 ** 20;

export class CorruptCheckpointError extends Error {
  override name = 'CorruptCheckpointError';
}

export interface CheckpointMeta {
  id: string;
  seq: number;
  vectors: number;
  quantization: string;
  bytes: number;
  sha256: string;
  createdAt: string;
}

/** The newest log seq of the scope (0 when it has none). */
export async function vectorLogHead(pool: Pool, scope: Scope): Promise<number> {
  const { rows } = await pool.query<{ seq: string | null }>(
    `SELECT max(seq)::text AS seq FROM vector_index_changes WHERE source = $1 AND analysis_version = $2`,
    [scope.source, scope.analysisVersion],
  );
  return Number(rows[0].seq ?? 0);
}

/** The tracks changed after `afterSeq` (each once), and the seq that covers them. */
export async function vectorLogSince(
  pool: Pool,
  scope: Scope,
  afterSeq: number,
  limit = 50_000,
): Promise<{ trackIds: string[]; seq: number }> {
  const { rows } = await pool.query<{ seq: string; track_id: string }>(
    `SELECT seq::text, track_id::text FROM vector_index_changes
      WHERE source = $1 AND analysis_version = $2 AND seq > $3 ORDER BY seq LIMIT $4`,
    [scope.source, scope.analysisVersion, afterSeq, limit],
  );
  return {
    trackIds: [...new Set(rows.map((r) => r.track_id))],
    seq: rows.length ? Number(rows.at(-1)!.seq) : afterSeq,
  };
}

/** Of these tracks, the ones analysed now in the scope (the others left it). */
export async function analysedAmong(pool: Pool, scope: Scope, trackIds: readonly string[]): Promise<string[]> {
  const { rows } = await pool.query<{ id: string }>(
    `SELECT t.id::text AS id FROM tracks t JOIN track_features f ON f.track_id = t.id
      WHERE t.id = ANY($3::bigint[]) AND t.source = $1 AND f.analysis_version = $2 AND t.analysis_status = 'analyzed'`,
    [scope.source, scope.analysisVersion, trackIds],
  );
  return rows.map((r) => r.id);
}

export async function latestCheckpoint(pool: Pool, scope: Scope): Promise<CheckpointMeta | undefined> {
  const { rows } = await pool.query(
    `SELECT id::text, seq, vectors, quantization, bytes, sha256, created_at::text AS created_at
       FROM vector_index_checkpoints WHERE source = $1 AND analysis_version = $2 ORDER BY id DESC LIMIT 1`,
    [scope.source, scope.analysisVersion],
  );
  const r = rows[0];
  return (
    r && {
      id: r.id,
      seq: Number(r.seq),
      vectors: r.vectors,
      quantization: r.quantization,
      bytes: Number(r.bytes),
      sha256: r.sha256,
      createdAt: r.created_at,
    }
  );
}

/**
 * A checkpoint's bytes, chunk by chunk (one chunk in memory at a time), then checked against its length and
 * sha256: CorruptCheckpointError after the last chunk when they differ.
 */
export async function readCheckpoint(
  pool: Pool,
  meta: CheckpointMeta,
  each: (chunk: Buffer) => Promise<void>,
): Promise<void> {
  const hash = createHash('sha256');
  let length = 0;
  for (let n = 0; ; n++) {
    const { rows } = await pool.query<{ data: Buffer }>(
      `SELECT data FROM vector_index_chunks WHERE checkpoint_id = $1 AND n = $2`,
      [meta.id, n],
    );
    if (!rows.length) break;
    hash.update(rows[0].data);
    length += rows[0].data.length;
    await each(rows[0].data);
  }
  const sha = hash.digest('hex');
  if (length !== meta.bytes || sha !== meta.sha256)
    throw new CorruptCheckpointError(
      `vector index checkpoint ${meta.id} is corrupt (${length} bytes, sha256 ${sha.slice(0, 12)}…, recorded ${meta.bytes} bytes, ${meta.sha256.slice(0, 12)}…)`,
    );
}

/** Stores a checkpoint with its chunks in one transaction and drops the scope's older ones. */
export async function saveCheckpoint(
  pool: Pool,
  scope: Scope,
  c: { seq: number; vectors: number; quantization: string; bytes: Buffer },
): Promise<string> {
  const sha256 = createHash('sha256').update(c.bytes).digest('hex');
  return inTransaction(pool, async (client) => {
    const {
      rows: [{ id }],
    } = await client.query<{ id: string }>(
      `INSERT INTO vector_index_checkpoints (source, analysis_version, seq, vectors, quantization, bytes, sha256)
       VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id::text`,
      [scope.source, scope.analysisVersion, c.seq, c.vectors, c.quantization, c.bytes.length, sha256],
    );
    for (let n = 0, o = 0; o < c.bytes.length || n === 0; n++, o += CHUNK_BYTES)
      await client.query(`INSERT INTO vector_index_chunks (checkpoint_id, n, data) VALUES ($1, $2, $3)`, [
        id,
        n,
        c.bytes.subarray(o, o + CHUNK_BYTES),
      ]);
    await client.query(`DELETE FROM vector_index_checkpoints WHERE source = $1 AND analysis_version = $2 AND id < $3`, [
      scope.source,
      scope.analysisVersion,
      id,
    ]);
    return id;
  });
}
