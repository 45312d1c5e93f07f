// Reads one person's listening history from the media server (one activity; a schedule or the API starts it with
// the business id `sync-listening-history-<userId>`, so two syncs of one person never run at once).
import { proxyActivities } from '@temporalio/workflow';
import type { HistoryActivities } from '../activities/history.ts';
import type { SyncListeningHistoryInput, SyncListeningHistoryResult } from '../contracts/listening-history.ts';
import { STEP_RETRY } from './retry-policies.ts';

const { syncUserListeningHistory } = proxyActivities<HistoryActivities>({
  startToCloseTimeout: '1 hour',
  heartbeatTimeout: '2 minutes',
  retry: STEP_RETRY,
});

export async function syncListeningHistory(input: SyncListeningHistoryInput): Promise<SyncListeningHistoryResult> {
  return syncUserListeningHistory(input);
}
