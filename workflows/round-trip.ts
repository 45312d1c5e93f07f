// The smallest end-to-end proof: client -> Temporal -> worker -> activity -> Postgres and back.
import { proxyActivities } from '@temporalio/workflow';
import type { FoundationActivities } from '../activities/foundation.ts';
import { ROUND_TRIP_RETRY } from './retry-policies.ts';

const { recordRoundTrip } = proxyActivities<FoundationActivities>({
  startToCloseTimeout: '30 seconds',
  retry: ROUND_TRIP_RETRY,
});

export interface RoundTripResult {
  token: string;
  worker: string;
  recordedAt: string;
}

export async function roundTripWorkflow(token: string): Promise<RoundTripResult> {
  return recordRoundTrip(token);
}
