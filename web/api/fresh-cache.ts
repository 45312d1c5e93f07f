// Answers that many clients poll (a run's status, the playlists) are computed at most once per `freshMs`
// per key and shared: under 100 polls a second the Temporal and PostgreSQL work stays a few lookups a
// second instead of growing with the pollers. A failed computation is not kept, so the next caller retries.

export class FreshCache<T> {
  /** `at` is when the value settled; a computation still running is shared whatever its age. */
  private readonly entries = new Map<string, { at: number; value: Promise<T> }>();

  constructor(
    readonly freshMs: number,
    private readonly now: () => number = () => performance.now(),
    /** Above this many keys, expired entries are dropped (ids come from clients: unknown ones must not pile up). */
    private readonly maxKeys = 1000,
  ) {}

  get(key: string, compute: () => Promise<T>): Promise<T> {
    const t = this.now();
    const hit = this.entries.get(key);
    if (hit && (hit.at === Infinity || t - hit.at < this.freshMs)) return hit.value;
    if (this.entries.size >= this.maxKeys) this.prune(t);
    const value = compute();
    const entry = { at: Infinity, value };
    this.entries.set(key, entry);
    value.then(
      () => (entry.at = this.now()),
      () => {
        if (this.entries.get(key) === entry) this.entries.delete(key);
      },
    );
    return value;
  }

  /** Drops a key (after this process changed what it answers, e.g. started or cancelled that run). */
  forget(key: string): void {
    this.entries.delete(key);
  }

  get size(): number {
    return this.entries.size;
  }

  private prune(t: number): void {
    for (const [k, e] of this.entries) if (e.at !== Infinity && t - e.at >= this.freshMs) this.entries.delete(k);
  }
}
