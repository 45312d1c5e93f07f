// The similarity index's checkpoint writer: a thin adapter heartbeating the build's progress.
import { Context } from '@temporalio/activity';
import type { Pool } from '../lib/db.ts';
import { writeCheckpoint, type CheckpointResult } from '../providers/vector-index/checkpoints.ts';
import type { RebuildVectorIndexInput } from '../contracts/vector-index.ts';

export function createVectorIndexActivities(deps: { pool: Pool }) {
  return {
    /** Idempotent: a retried attempt writes a newer checkpoint covering at least as much of the log. */
    async writeVectorIndexCheckpoint(input: RebuildVectorIndexInput): Promise<CheckpointResult> {
      const ctx = Context.current();
      return writeCheckpoint(deps.pool, input, input.mode, (done, total) => ctx.heartbeat({ done, total }));
    },
  };
}

export type VectorIndexActivities = ReturnType<typeof createVectorIndexActivities>;
