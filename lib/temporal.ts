// Connections to Temporal for clients (web, CLI) and workers, with the TLS and API key of the configuration.
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import type { TemporalSecurity } from './config.ts';

const PLAINTEXT: TemporalSecurity = { tls: false };

export async function connectClient(
  address: string,
  namespace: string,
  security: TemporalSecurity = PLAINTEXT,
): Promise<Client> {
  const connection = await Connection.connect({ address, connectTimeout: '5s', ...security });
  return new Client({ connection, namespace });
}

/** Whether Temporal runs the workflow now (its latest run); false when it is closed or unknown. */
export async function isWorkflowRunning(client: Client, workflowId: string): Promise<boolean> {
  try {
    return (await client.workflow.getHandle(workflowId).describe()).status.name === 'RUNNING';
  } catch (err) {
    if ((err as Error).name === 'WorkflowNotFoundError') return false;
    throw err;
  }
}

/** For the run-guard activities: a workflow we cannot ask about counts as running (never start a second). */
export async function mayBeRunning(
  client: (() => Promise<Client | undefined>) | undefined,
  workflowId: string,
): Promise<boolean> {
  const c = await client?.();
  return c ? isWorkflowRunning(c, workflowId).catch(() => true) : true;
}

export function connectWorker(address: string, security: TemporalSecurity = PLAINTEXT): Promise<NativeConnection> {
  return NativeConnection.connect({ address, ...security });
}
