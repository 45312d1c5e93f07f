// Activities of the foundation: the round-trip record proving the whole chain works.
import os from 'node:os';
import type { Pool } from '../lib/db.ts';

export function createFoundationActivities(deps: { pool: Pool }) {
  return {
    /** Idempotent: a retried attempt with the same token keeps the first record. */
    async recordRoundTrip(token: string): Promise<{ token: string; worker: string; recordedAt: string }> {
      const worker = `${os.hostname()}:${process.pid}`;
      const { rows } = await deps.pool.query<{ worker: string; recorded_at: Date }>(
        `INSERT INTO round_trips (token, worker) VALUES ($1, $2)
         ON CONFLICT (token) DO UPDATE SET token = EXCLUDED.token
         RETURNING worker, recorded_at`,
        [token, worker],
      );
      return { token, worker: rows[0].worker, recordedAt: rows[0].recorded_at.toISOString() };
    },
  };
}

export type FoundationActivities = ReturnType<typeof createFoundationActivities>;
