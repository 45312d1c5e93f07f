// Builds (or refreshes) the similarity index's checkpoint of one source and analysis version, as its own
// workflow with a progress query: started by a web process that finds no usable checkpoint or a long log
// past it, by POST /api/index/rebuild and by `audiomuse index rebuild`.
import { proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { VectorIndexActivities } from '../activities/vector-index.ts';
import {
  vectorIndexProgressQuery,
  type RebuildVectorIndexInput,
  type VectorIndexProgress,
} from '../contracts/vector-index.ts';
import { CHECKPOINT_RETRY } from './retry-policies.ts';

const { writeVectorIndexCheckpoint } = proxyActivities<VectorIndexActivities>({
  startToCloseTimeout: '2 hours',
  heartbeatTimeout: '2 minutes',
  retry: CHECKPOINT_RETRY,
});

export async function rebuildVectorIndex(input: RebuildVectorIndexInput): Promise<VectorIndexProgress> {
  const progress: VectorIndexProgress = {
    workflowId: workflowInfo().workflowId,
    status: 'running',
    mode: input.mode,
    done: 0,
    total: 0,
  };
  setHandler(vectorIndexProgressQuery, () => progress);
  const r = await writeVectorIndexCheckpoint(input);
  Object.assign(progress, {
    status: 'completed',
    mode: r.mode,
    done: r.vectors,
    total: r.vectors,
    checkpointId: r.checkpointId,
    seq: r.seq,
  });
  return progress;
}
