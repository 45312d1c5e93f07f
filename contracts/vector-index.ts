// The rebuildVectorIndex workflow's input, result and progress query, shared by the workflow, the web API
// and the CLI.
import { defineQuery } from '@temporalio/workflow';

export interface RebuildVectorIndexInput {
  source: string;
  analysisVersion: string;
  /** 'refresh': the previous checkpoint plus the log since (a full rebuild when it is missing or corrupt). */
  mode: 'rebuild' | 'refresh';
}

export interface VectorIndexProgress {
  workflowId: string;
  status: 'running' | 'completed' | 'failed';
  mode: 'rebuild' | 'refresh';
  /** Vectors indexed so far of `total` (while running: the activity's last heartbeat). */
  done: number;
  total: number;
  checkpointId?: string;
  seq?: number;
  error?: string;
}

export const vectorIndexProgressQuery = defineQuery<VectorIndexProgress>('progress');

/** One workflow per scope: a second start while one runs attaches to it. */
export const vectorIndexWorkflowId = (source: string, analysisVersion: string) =>
  `rebuild-vector-index-${source}-${analysisVersion}`;
