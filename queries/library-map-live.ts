// The web process's library map: the newest map is kept in memory (typed arrays, its rows by track and item id)
// and answered at once; when the library's snapshot has moved on, a big library's request gets the older map
// marked stale while one computation per process runs in the background (a small one is computed while the
// request waits, as before: under a second). The map is thus computed once per snapshot off the request path.
// A big library's request does not even wait for the snapshot key (a count and sums over the analysed rows,
// ≈0.7 s at 300,000): the key is checked behind it, so an answer can lag one request behind a change.
import type { Pool } from '../lib/db.ts';
import type { MapPoints } from '../lib/store/library.ts';
import { newestStoredMap } from '../lib/store/library-map.ts';
import { vectorsSnapshot, type VectorScope } from '../lib/store/vectors.ts';
import { libraryMap } from './library-map.ts';

/** Below this many tracks the request waits for the computation (well under a second). */
export const MAP_WAIT_BELOW = 20_000;

export interface LiveMap {
  snapshot: string;
  computedAt: string;
  points: MapPoints;
  x: Float32Array;
  y: Float32Array;
  bounds: [number, number, number, number];
  /** Row of each tracks.id, and of each item id (the song path is drawn by item id). */
  rowOfTrack: Map<string, number>;
  rowOfItem: Map<string, number>;
}

export interface MapAnswer {
  map: LiveMap;
  /** An older snapshot's map: the current one is being computed. */
  stale: boolean;
  /** Computed for this request (nothing usable was stored). */
  computed: boolean;
}

function liveMap(snapshot: string, computedAt: string, points: MapPoints): LiveMap {
  const x = Float32Array.from(points.x),
    y = Float32Array.from(points.y);
  let [x0, x1, y0, y1] = [Infinity, -Infinity, Infinity, -Infinity];
  for (let i = 0; i < x.length; i++) {
    x0 = Math.min(x0, x[i]);
    x1 = Math.max(x1, x[i]);
    y0 = Math.min(y0, y[i]);
    y1 = Math.max(y1, y[i]);
  }
  return {
    snapshot,
    computedAt,
    points,
    x,
    y,
    bounds: x.length ? [x0, x1, y0, y1] : [-1, 1, -1, 1],
    rowOfTrack: new Map(points.ids.map((id, i) => [id, i])),
    rowOfItem: new Map(points.itemIds.map((id, i) => [id, i])),
  };
}

export class LiveLibraryMap {
  private map: LiveMap | undefined;
  private computing: Promise<LiveMap> | undefined;
  private checking: Promise<unknown> | undefined;
  /** Analysed tracks at the last check: from `waitBelow` on, requests no longer wait for the check. */
  private tracks = 0;

  constructor(
    private readonly pool: Pool,
    private readonly scope: Omit<VectorScope, 'trackIds'>,
    private readonly waitBelow = MAP_WAIT_BELOW,
  ) {}

  /** The map last answered (the tooltip and path routes name its rows), without checking the snapshot. */
  async latest(): Promise<LiveMap> {
    return this.map ?? (await this.current()).map;
  }

  async current(): Promise<MapAnswer> {
    if (this.map && this.tracks >= this.waitBelow) {
      this.checking ??= this.checked()
        .catch(() => undefined) // the next check tries again; this request has its answer
        .finally(() => (this.checking = undefined));
      return { map: this.map, stale: this.computing !== undefined, computed: false };
    }
    return this.checked();
  }

  /** The answer after reading the snapshot key: the map in memory, a stored one, or a computation. */
  private async checked(): Promise<MapAnswer> {
    const { key, tracks } = await vectorsSnapshot(this.pool, this.scope);
    this.tracks = tracks;
    if (this.map?.snapshot === key) return { map: this.map, stale: false, computed: false };
    if (!this.map) {
      // A fresh process: the stored map, whatever its snapshot (a map stored before item ids is not usable).
      const stored = await newestStoredMap(this.pool);
      if (stored?.points.itemIds) this.map = liveMap(stored.snapshot, stored.computedAt, stored.points);
      if (this.map?.snapshot === key) return { map: this.map, stale: false, computed: false };
    }
    const job = this.recompute();
    if (this.map && tracks >= this.waitBelow) {
      job.catch(() => undefined); // the failure is the next request's to see; this one has an answer
      return { map: this.map, stale: true, computed: false };
    }
    return { map: await job, stale: false, computed: true };
  }

  /** One computation at a time; it computes the snapshot current when it starts. */
  private recompute(): Promise<LiveMap> {
    this.computing ??= libraryMap(this.pool, this.scope)
      .then((m) => (this.map = liveMap(m.snapshot, m.computedAt, m.points)))
      .finally(() => (this.computing = undefined));
    return this.computing;
  }
}
