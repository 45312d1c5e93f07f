// Starts the rebuildVectorIndex workflow of one scope (a second start while it runs attaches to it) and reads
// its progress: shared by web processes that need a checkpoint, POST /api/index/rebuild and the CLI.
import { WorkflowIdConflictPolicy, WorkflowNotFoundError, type Client } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import {
  vectorIndexProgressQuery,
  vectorIndexWorkflowId,
  type RebuildVectorIndexInput,
  type VectorIndexProgress,
} from '../contracts/vector-index.ts';

export async function startVectorIndexBuild(
  client: Client,
  taskQueue: string,
  input: RebuildVectorIndexInput,
): Promise<string> {
  const handle = await client.workflow.start('rebuildVectorIndex', {
    taskQueue,
    workflowId: vectorIndexWorkflowId(input.source, input.analysisVersion),
    args: [input],
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
  });
  return handle.workflowId;
}

/** The progress of the scope's last build (live while it runs), undefined when none ever ran. */
export async function vectorIndexBuildProgress(
  client: Client,
  scope: Omit<RebuildVectorIndexInput, 'mode'>,
): Promise<VectorIndexProgress | undefined> {
  const handle = client.workflow.getHandle(vectorIndexWorkflowId(scope.source, scope.analysisVersion));
  try {
    const described = await handle.describe();
    const { status } = described;
    if (status.name === 'RUNNING') {
      // The build's own count is in its activity's heartbeat; the workflow knows only that it runs.
      const beat = described.raw.pendingActivities?.[0]?.heartbeatDetails?.payloads?.[0];
      const counts = beat ? defaultPayloadConverter.fromPayload<{ done: number; total: number }>(beat) : undefined;
      return { ...(await handle.query(vectorIndexProgressQuery)), ...counts };
    }
    if (status.name === 'COMPLETED') return (await handle.result()) as VectorIndexProgress;
    return { workflowId: handle.workflowId, status: 'failed', mode: 'rebuild', done: 0, total: 0, error: status.name };
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return undefined;
    throw err;
  }
}
