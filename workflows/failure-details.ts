// Reads what a failed activity or child workflow says: the innermost ApplicationFailure's type and message,
// and whether retries ran out. Workflow-safe.
import { RetryState } from '@temporalio/common';
import { ActivityFailure, ApplicationFailure, TemporalFailure } from '@temporalio/workflow';

/** The workflow's own failure with the innermost cause's type and message, so Temporal Web shows the reason. */
export function workflowFailure(err: unknown, prefix = ''): ApplicationFailure {
  const { type, message } = failureDetails(err);
  return ApplicationFailure.create({ type, message: prefix + message, nonRetryable: true });
}

export function failureDetails(err: unknown): { type?: string; message: string; retriesExhausted: boolean } {
  const retriesExhausted = err instanceof ActivityFailure && err.retryState === RetryState.MAXIMUM_ATTEMPTS_REACHED;
  let e: unknown = err;
  while (e instanceof TemporalFailure && !(e instanceof ApplicationFailure) && e.cause) e = e.cause;
  if (e instanceof ApplicationFailure) return { type: e.type ?? undefined, message: e.message, retriesExhausted };
  return { message: e instanceof Error ? e.message : String(e), retriesExhausted };
}
