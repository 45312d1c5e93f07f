// The similarity queries' library, kept current without reloading: the analysed embeddings loaded once, then
// the change log (written with every features change) applied at most every second, album by album; the
// approximate index loaded from the newest checkpoint in PostgreSQL (never built here), with the log since
// it applied. Without a usable checkpoint the exact scan answers and a checkpoint is asked for (the
// rebuildVectorIndex workflow); it is picked up once written.
import type { Pool } from '../lib/db.ts';
import { forEachEmbeddingBatch, type StoredEmbedding, type VectorScope } from '../lib/store/vectors.ts';
import { CorruptCheckpointError, latestCheckpoint, vectorLogHead } from '../lib/store/vector-index.ts';
import { applyLog, forEachLogPage, loadCheckpoint } from '../providers/vector-index/checkpoints.ts';
import { artistKey } from '../engines/similarity/filters.ts';
import { songKey } from '../engines/similarity/versions.ts';
import { VectorSpace } from '../engines/similarity/vector-space.ts';
import { EMBEDDING_DIM } from '../words/vocabulary.ts';

/** How often the log is looked at (a newly analysed album reaches every web process within about this). */
const LOG_POLL_MS = 1_000;
/** How often a process looks for a checkpoint (without an index) or a fresher one (with a long log past its own). */
const CHECKPOINT_POLL_MS = 5_000;
/** Log entries past the checkpoint after which a fresher checkpoint is asked for (restarts apply less). */
const REFRESH_AFTER = 20_000;
/** A key no song has: the song key of a removed row. */
const REMOVED = '\u0000removed';

export interface IndexOptions {
  /** Live tracks from which the index answers (below, the exact scan). */
  minTracks: number;
  /** Asks for a checkpoint (starts the rebuildVectorIndex workflow); the CLI has none and scans. */
  requestCheckpoint?: (mode: 'rebuild' | 'refresh', reason: string) => Promise<void>;
}

export interface IndexStatus {
  tracks: number;
  /** Whether nearest-neighbour queries go through the index now. */
  indexed: boolean;
  checkpointId: string | null;
  checkpointSeq: number | null;
  /** The log is applied up to here. */
  appliedSeq: number;
  /** Checkpoints loaded by this process, and checkpoints it asked for (with the last reason). */
  checkpointLoads: number;
  checkpointRequests: number;
  lastRequest: string | null;
}

/** A song of the library as the queries read it: who it is; its embedding is its row of the space. */
export type LibrarySong = Omit<StoredEmbedding, 'embedding'>;

export class LiveLibrary {
  /** Row → track, its embedding in `space` only (a removed row keeps its entry; `space.has(row)` tells). */
  readonly tracks: LibrarySong[] = [];
  /** One copy of each artist, album and id string: 1M tracks share them by album and artist. */
  private readonly strings = new Map<string, string>();
  readonly byItemId = new Map<string, number>();
  /** Row → song key (artist + normalised title). */
  readonly keys: string[] = [];
  /** Row → the per-artist cap's key. */
  readonly artistKeys: string[] = [];
  /** Artist as stored → its key, normalised once per artist (300,000 songs, 7,500 artists). */
  private readonly artistKeyOf = new Map<string, string>();
  /** Grows with every row added or removed: what is computed over the whole library (artist models) keys on it. */
  version = 0;
  readonly space: VectorSpace;
  private appliedSeq = 0;
  private checkpoint?: { id: string; seq: number };
  private loggedAt = 0;
  private lookedAt = 0;
  private refreshing?: Promise<void>;
  private stats = { checkpointLoads: 0, checkpointRequests: 0, lastRequest: null as string | null };

  private constructor(
    private readonly pool: Pool,
    private readonly scope: Omit<VectorScope, 'trackIds'>,
    private readonly opts: IndexOptions,
  ) {
    this.space = VectorSpace.fromVectors([], EMBEDDING_DIM);
  }

  static async open(pool: Pool, scope: Omit<VectorScope, 'trackIds'>, opts: IndexOptions): Promise<LiveLibrary> {
    const lib = new LiveLibrary(pool, scope, opts);
    // The head first: changes after it are applied again by the next refresh (re-read, so harmless).
    lib.appliedSeq = await vectorLogHead(pool, scope);
    // The checkpoint streams in while the tracks load (its own connection); settled, so a failure waits here.
    const checkpoint = Number.isFinite(opts.minTracks)
      ? loadCheckpoint(pool, scope).then(
          (loaded) => ({ loaded }),
          (error: unknown) => ({ error }),
        )
      : undefined;
    await forEachEmbeddingBatch(pool, scope, (tracks) => lib.put(tracks));
    lib.loggedAt = Date.now();
    await lib.attachCheckpoint(checkpoint);
    return lib;
  }

  /** This library with the log applied (looked at no more than every second). */
  async fresh(): Promise<this> {
    if (Date.now() - this.loggedAt >= LOG_POLL_MS) {
      this.refreshing ??= this.refresh().finally(() => (this.refreshing = undefined));
      await this.refreshing;
    }
    return this;
  }

  status(): IndexStatus {
    return {
      tracks: this.space.count,
      indexed: this.space.indexed,
      checkpointId: this.checkpoint?.id ?? null,
      checkpointSeq: this.checkpoint?.seq ?? null,
      appliedSeq: this.appliedSeq,
      ...this.stats,
    };
  }

  private async refresh(): Promise<void> {
    await forEachLogPage(this.pool, this.scope, this.appliedSeq, ({ seq, changed, present }) => {
      for (const id of changed) this.drop(Number(id));
      this.put(present);
      this.appliedSeq = seq;
    });
    this.loggedAt = Date.now();
    if (Date.now() - this.lookedAt < CHECKPOINT_POLL_MS) return;
    if (!this.checkpoint) return this.attachCheckpoint();
    if (this.appliedSeq - this.checkpoint.seq <= REFRESH_AFTER) return;
    this.lookedAt = Date.now();
    // A newer checkpoint (another process asked for it) covers more of the log; this index is already current.
    const newest = await latestCheckpoint(this.pool, this.scope);
    if (newest && newest.seq > this.checkpoint.seq) this.checkpoint = { id: newest.id, seq: newest.seq };
    else
      await this.request(
        'refresh',
        `${this.appliedSeq - this.checkpoint.seq} log entries past checkpoint ${this.checkpoint.id}`,
      );
  }

  /** Loads the newest checkpoint and brings it up to the applied log; asks for one when there is none. */
  private async attachCheckpoint(
    prefetched?: Promise<{ loaded?: Awaited<ReturnType<typeof loadCheckpoint>>; error?: unknown }>,
  ): Promise<void> {
    this.lookedAt = Date.now();
    if (this.space.count < this.opts.minTracks) return;
    let loaded;
    try {
      if (!prefetched) loaded = await loadCheckpoint(this.pool, this.scope);
      else {
        const got = await prefetched;
        if ('error' in got) throw got.error;
        loaded = got.loaded;
      }
    } catch (err) {
      if (!(err instanceof CorruptCheckpointError)) throw err;
      return this.request('rebuild', err.message);
    }
    if (!loaded) return this.request('rebuild', 'no checkpoint for this analysis version');
    this.stats.checkpointLoads++;
    const { index } = loaded;
    await applyLog(this.pool, this.scope, index, loaded.seq, this.appliedSeq);
    // Rows the index lacks (changed while it was applied) are added from the space itself.
    const keys: number[] = [];
    for (let r = 0; r < this.space.size; r++) if (this.space.has(r)) keys.push(this.space.keyOf(r));
    const held = index.containsAll(keys);
    const missing = keys.filter((_, i) => !held[i]);
    const vectors = new Float32Array(missing.length * EMBEDDING_DIM);
    missing.forEach((k, i) => vectors.set(this.space.row(this.space.rowOf(k)!), i * EMBEDDING_DIM));
    index.add(missing, vectors);
    this.space.useIndex(index, this.opts.minTracks);
    this.checkpoint = { id: loaded.id, seq: loaded.seq };
  }

  private async request(mode: 'rebuild' | 'refresh', reason: string): Promise<void> {
    if (!this.opts.requestCheckpoint) return;
    this.stats.checkpointRequests++;
    this.stats.lastRequest = `${mode}: ${reason}`;
    await this.opts.requestCheckpoint(mode, reason);
  }

  private put(tracks: StoredEmbedding[]): void {
    for (const t of tracks) {
      const row = this.space.add(Number(t.id), t.embedding);
      const song: LibrarySong = {
        id: t.id,
        itemId: t.itemId,
        title: t.title,
        artist: this.intern(t.artist),
        album: this.intern(t.album),
        artistId: this.intern(t.artistId),
        albumId: this.intern(t.albumId),
        libraryId: this.intern(t.libraryId),
        durationSec: t.durationSec,
      };
      this.tracks[row] = song;
      let artist = this.artistKeyOf.get(t.artist ?? '');
      if (artist === undefined) this.artistKeyOf.set(t.artist ?? '', (artist = artistKey(t)));
      this.keys[row] = songKey(t.artist, t.title, artist);
      this.artistKeys[row] = artist;
      this.byItemId.set(t.itemId, row);
      this.version++;
    }
  }

  private intern<T extends string | null>(value: T): T {
    if (value === null) return value;
    const held = this.strings.get(value);
    if (held !== undefined) return held as T;
    this.strings.set(value, value);
    return value;
  }

  private drop(key: number): void {
    const row = this.space.rowOf(key);
    if (row === undefined) return;
    this.space.remove(key);
    if (this.byItemId.get(this.tracks[row].itemId) === row) this.byItemId.delete(this.tracks[row].itemId);
    this.keys[row] = REMOVED;
    this.version++;
  }
}
