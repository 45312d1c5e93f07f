// Checkpoints of the similarity index in PostgreSQL: built in full from the stored embeddings, or refreshed
// from the previous checkpoint plus the change log since; loaded by web processes (then the log tail applied).
import type { Pool } from '../../lib/db.ts';
import { loadEmbeddings, type StoredEmbedding, type VectorScope } from '../../lib/store/vectors.ts';
import {
  analysedAmong,
  latestCheckpoint,
  readCheckpoint,
  saveCheckpoint,
  vectorLogHead,
  vectorLogSince,
} from '../../lib/store/vector-index.ts';
import { unit } from '../../engines/similarity/vector-space.ts';
import { EMBEDDING_DIM } from '../../words/vocabulary.ts';
import { UsearchIndex, type Quantization } from './usearch-index.ts';

type Scope = Omit<VectorScope, 'trackIds'>;

/** The index's quantisation (chosen by measurement: docs/similarity.md, "Speed"). */
export const QUANTIZATION: Quantization = 'i8';
/** Songs added to the index between two progress reports. */
const BATCH = 10_000;

export interface CheckpointResult {
  checkpointId: string;
  seq: number;
  vectors: number;
  /** 'refresh': the previous checkpoint and the log since; 'rebuild': every stored embedding. */
  mode: 'rebuild' | 'refresh';
  bytes: number;
}

/** The newest checkpoint as an index and the seq it covers; undefined without one; CorruptCheckpointError. */
export async function loadCheckpoint(
  pool: Pool,
  scope: Scope,
): Promise<{ index: UsearchIndex; seq: number; id: string } | undefined> {
  const meta = await latestCheckpoint(pool, scope);
  if (!meta) return undefined;
  // The checksum fails after the last chunk, before the index is used.
  const index = await UsearchIndex.deserialize((write) => readCheckpoint(pool, meta, write), EMBEDDING_DIM, {
    quantization: QUANTIZATION,
  });
  return { index, seq: meta.seq, id: meta.id };
}

/**
 * The log after `fromSeq` (to `toSeq`), a page at a time: the tracks it names, and those of them analysed now, with
 * their embeddings (the others left the scope). Returns the seq reached.
 */
export async function forEachLogPage(
  pool: Pool,
  scope: Scope,
  fromSeq: number,
  each: (page: { seq: number; changed: string[]; present: StoredEmbedding[] }) => void,
  toSeq = Infinity,
): Promise<number> {
  let seq = fromSeq;
  while (seq < toSeq) {
    const changed = await vectorLogSince(pool, scope, seq);
    if (changed.seq === seq) break;
    seq = changed.seq;
    const ids = await analysedAmong(pool, scope, changed.trackIds);
    const present = ids.length ? await loadEmbeddings(pool, { ...scope, trackIds: ids }) : [];
    each({ seq, changed: changed.trackIds, present });
  }
  return seq;
}

/** Brings `index` (covering the log to `fromSeq`) up to `toSeq`: each changed track re-read, added or removed. */
export function applyLog(pool: Pool, scope: Scope, index: UsearchIndex, fromSeq: number, toSeq = Infinity) {
  return forEachLogPage(
    pool,
    scope,
    fromSeq,
    ({ changed, present }) => {
      const kept = new Set(present.map((t) => t.id));
      for (const id of changed) if (!kept.has(id)) index.remove(Number(id));
      addEmbeddings(index, present);
    },
    toSeq,
  );
}

/** A new checkpoint of the scope: refreshed from the previous one when asked and it reads back intact. */
export async function writeCheckpoint(
  pool: Pool,
  scope: Scope,
  mode: 'rebuild' | 'refresh',
  progress: (done: number, total: number) => void = () => {},
): Promise<CheckpointResult> {
  const head = await vectorLogHead(pool, scope);
  let index: UsearchIndex | undefined;
  let seq = head;
  if (mode === 'refresh') {
    const previous = await loadCheckpoint(pool, scope).catch(() => undefined);
    if (previous) {
      index = previous.index;
      seq = await applyLog(pool, scope, index, previous.seq);
    }
  }
  if (!index) {
    mode = 'rebuild';
    index = UsearchIndex.create(EMBEDDING_DIM, { quantization: QUANTIZATION });
    // The log head is read before the embeddings: changes after it are applied again by readers (harmless).
    // Read whole first, then added: adding 300,000 songs to the graph takes minutes, longer than a statement may run.
    const tracks = await loadEmbeddings(pool, scope);
    for (let i = 0; i < tracks.length; i += BATCH) {
      addEmbeddings(index, tracks.slice(i, i + BATCH));
      progress(Math.min(tracks.length, i + BATCH), tracks.length);
    }
  }
  const bytes = await index.serialize();
  const checkpointId = await saveCheckpoint(pool, scope, {
    seq,
    vectors: index.size,
    quantization: QUANTIZATION,
    bytes,
  });
  return { checkpointId, seq, vectors: index.size, mode, bytes: bytes.length };
}

function addEmbeddings(index: UsearchIndex, tracks: StoredEmbedding[]): void {
  if (!tracks.length) return;
  index.add(
    tracks.map((t) => Number(t.id)),
    rows(tracks.map((t) => t.embedding)),
  );
}

function rows(vectors: Float32Array[]): Float32Array {
  const out = new Float32Array(vectors.length * EMBEDDING_DIM);
  vectors.forEach((v, i) => out.set(unit(v), i * EMBEDDING_DIM));
  return out;
}
