// What a client sees when something goes wrong: a status and `{error, field?}`, never a stack trace or SQL.
// Our own validation errors keep their message; PostgreSQL or Temporal being down becomes a 503 that says so.
import { isGrpcServiceError, ServiceError } from '@temporalio/client';
import { InputError } from '../../contracts/input-spec.ts';

/** An error whose message is safe and useful to show to the API caller. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly field?: string,
    readonly extra?: Record<string, unknown>,
  ) {
    super(message);
  }
}

/** Codes of a PostgreSQL that cannot be reached or is shutting down (node errors and SQLSTATE class 08/57P). */
const PG_DOWN = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  '57P01',
  '57P02',
  '57P03',
  '08000',
  '08001',
  '08003',
  '08006',
]);

function isPostgresDown(err: Error & { code?: string }): boolean {
  return (
    (err.code !== undefined && PG_DOWN.has(err.code)) ||
    /Connection terminated|timeout exceeded when trying to connect/i.test(err.message)
  );
}

/** gRPC UNAVAILABLE (14) or DEADLINE_EXCEEDED (4): the Temporal frontend is not answering. */
function isTemporalDown(err: unknown): boolean {
  const grpc = err instanceof ServiceError ? err.cause : err;
  return (
    (isGrpcServiceError(grpc) && (grpc.code === 14 || grpc.code === 4)) ||
    (err instanceof Error && /Failed to connect before the deadline|TransportError/i.test(err.message))
  );
}

export function toApiError(err: unknown, temporalAddress: string): ApiError | undefined {
  if (err instanceof ApiError) return err;
  if (err instanceof InputError) return new ApiError(400, err.message, err.field);
  if (isTemporalDown(err))
    return new ApiError(
      503,
      `Temporal is unreachable at ${temporalAddress}; runs cannot be started or watched until it is back.`,
    );
  if (err instanceof Error && isPostgresDown(err))
    return new ApiError(
      503,
      'PostgreSQL is unreachable; stored runs, tracks and playlists are unavailable until it is back.',
    );
  return undefined;
}
