// The smallest end-to-end proof: client -> Temporal -> worker -> activity -> Postgres and back.
import { proxyActivities } from '@temporalio/workflow';
import type { FoundationActivities } from '../activities/foundation.ts';

const { recordRoundTrip } = proxyActivities<FoundationActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { maximumAttempts: 5 },
});

export interface RoundTripResult {
  token: string;
  worker: string;
  recordedAt: string;
}

export async function roundTripWorkflow(token: string): Promise<RoundTripResult> {
  return recordRoundTrip(token);
}
