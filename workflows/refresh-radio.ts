// Refreshes one radio: its songs now, then its one server playlist replaced in one request (or skipped, old
// content kept, when there are none). Started by the API, the CLI or the radio's schedule under the business id
// `refresh-radio-<id>`, so two refreshes of one radio never run at once.
import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { RadioActivities } from '../activities/radios.ts';
import type { RefreshRadioInput, RefreshRadioResult } from '../contracts/radios.ts';
import { STEP_RETRY } from './retry-policies.ts';

// The first refresh in a worker loads the similarity library (no heartbeat inside): a start-to-close bound only.
const { computeRadioSongs } = proxyActivities<RadioActivities>({
  startToCloseTimeout: '15 minutes',
  retry: STEP_RETRY,
});
// A publish is a few requests: a worker killed in it is noticed within the heartbeat timeout and retried.
const { publishRadio } = proxyActivities<RadioActivities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '15 seconds',
  retry: STEP_RETRY,
});

export async function refreshRadio(input: RefreshRadioInput): Promise<RefreshRadioResult> {
  const info = workflowInfo();
  const songs = await computeRadioSongs({ radioId: input.radioId });
  return publishRadio({
    radioId: input.radioId,
    runKey: `${info.workflowId}/${info.runId}`,
    startedAt: info.startTime.toISOString(),
    songs,
  });
}
