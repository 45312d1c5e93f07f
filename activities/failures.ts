// The one place domain errors become Temporal failures: a stable `type`, and `nonRetryable` for what no retry
// can fix (setup, credentials, configuration, bad audio). Temporal's retry policy is the only retry layer.
import { Context } from '@temporalio/activity';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { FailureType } from '../words/failure-types.ts';
import { InputError } from '../contracts/input-spec.ts';
import { AnalysisError } from '../engines/analysis/errors.ts';
import { MediaServerError } from '../providers/media/provider.ts';
import { CredentialsKeyError } from '../lib/credentials.ts';

export function toActivityFailure(err: unknown): Error {
  if (err instanceof ApplicationFailure || err instanceof CancelledFailure) return err;
  if (err instanceof InputError) {
    // Workflow input comes from anyone (`temporal workflow start --input ...`): name the workflow and the field.
    return ApplicationFailure.create({
      type: FailureType.invalidInput,
      message: `${workflowType()} input ${err.message}`,
      nonRetryable: true,
    });
  }
  if (err instanceof AnalysisError) {
    if (err.code === 'aborted') return new CancelledFailure(err.message);
    const type = err.isSetupError ? FailureType.setup : FailureType.badAudio;
    return ApplicationFailure.create({ type, message: err.message, nonRetryable: true, cause: err });
  }
  if (err instanceof CredentialsKeyError) {
    // USER_CREDENTIALS_KEY missing or changed: no retry opens a stored login until the setup is fixed.
    return ApplicationFailure.create({ type: FailureType.setup, message: err.message, nonRetryable: true });
  }
  if (err instanceof MediaServerError) {
    switch (err.code) {
      case 'auth':
      case 'bad_config':
        return ApplicationFailure.create({
          type: FailureType.mediaAuth,
          message: err.message,
          nonRetryable: true,
          cause: err,
        });
      case 'not_found':
      case 'refused':
        return ApplicationFailure.create({
          type: FailureType.notFound,
          message: err.message,
          nonRetryable: true,
          cause: err,
        });
      default:
        return ApplicationFailure.create({
          type: FailureType.mediaUnavailable,
          message: err.message,
          nonRetryable: false,
          cause: err,
        });
    }
  }
  return err instanceof Error ? err : new Error(String(err));
}

function workflowType(): string {
  try {
    return Context.current().info.workflowType ?? 'workflow';
  } catch {
    return 'workflow'; // outside an activity (unit tests)
  }
}

/** Runs an activity body, turning whatever it throws into the mapped failure. */
export async function mapFailures<T>(body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (err) {
    throw toActivityFailure(err);
  }
}
