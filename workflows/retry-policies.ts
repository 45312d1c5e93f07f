// The retry policies of every activity, named once. Exactly one layer retries: activities map errors to
// retryable or not (activities/failures.ts), these policies decide how often and how fast.
import type { RetryPolicy } from '@temporalio/common';

/** Bookkeeping, listing, clustering and publishing steps: PostgreSQL or a media server back within minutes. */
export const STEP_RETRY: RetryPolicy = {
  initialInterval: '2 seconds',
  backoffCoefficient: 2,
  maximumInterval: '1 minute',
  maximumAttempts: 10,
};

/** One track's analysis: a slower backoff, since a retry re-decodes and re-runs the models. */
export const TRACK_RETRY = {
  initialInterval: '5 seconds',
  backoffCoefficient: 2,
  maximumInterval: '2 minutes',
  maximumAttempts: 5,
} as const satisfies RetryPolicy;

/** AI naming: a few tries, then the tag name stays (naming never fails a run). */
export const NAMING_RETRY: RetryPolicy = { ...STEP_RETRY, maximumAttempts: 3 };

/** The health round trip answers quickly or reports the failure. */
export const ROUND_TRIP_RETRY: RetryPolicy = { maximumAttempts: 5 };

/** A vector index checkpoint: a retry rebuilds it (minutes at a million tracks), so a few tries, slowly. */
export const CHECKPOINT_RETRY: RetryPolicy = { ...STEP_RETRY, initialInterval: '10 seconds', maximumAttempts: 3 };
