// What the three LLM clients share on top of lib/http.ts: one per-request timeout that is not retried, 5xx
// and 429 retried (Retry-After honoured, capped), 4xx answered at once, and NamingErrors without secrets.
import { fetchText, redactSecrets, type HttpOptions } from '../../lib/http.ts';

export type NamingErrorCode =
  | 'timeout' // no complete answer within the request timeout
  | 'network' // unreachable
  | 'rate_limited' // still 429 after the retries
  | 'auth' // 401/403: key missing or wrong
  | 'bad_request' // another 4xx (unknown model, wrong URL, rejected parameter)
  | 'server' // 5xx after the retries: the model refused or crashed
  | 'refused' // an answer without text because of a safety filter or a refusal field
  | 'bad_response' // 2xx that is not the protocol's JSON, or holds no text
  | 'bad_config'; // the configuration cannot work (no key, no URL)

/** Why a provider gave no name; the message is one line and never carries a key. */
export class NamingError extends Error {
  constructor(
    message: string,
    readonly code: NamingErrorCode,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'NamingError';
  }
}

export interface LlmRequestOptions {
  /** One HTTP attempt including the whole answer (default 60 s); a timed-out request is not repeated. */
  timeoutMs?: number;
  /** Extra attempts after a 5xx, a 429 or a refused connection (default 2). */
  retries?: number;
  /** First backoff delay, doubled per retry (default 1 s). */
  backoffMs?: number;
  /** Cap on a server's Retry-After and on a backoff delay (default 30 s). */
  maxRetryAfterMs?: number;
  /** Largest answer read (default 4 MiB: a name is a few words; Ollama's token context adds some kB). */
  maxBodyBytes?: number;
}

export const DEFAULT_LLM_TIMEOUT_MS = 60_000;
export const DEFAULT_LLM_MAX_BODY_BYTES = 4 * 1024 * 1024;

/** lib/http options for one LLM call. `secrets` are scrubbed from every message. */
export function llmHttpOptions(
  server: string,
  opts: LlmRequestOptions,
  secrets: readonly string[],
  signal: AbortSignal | undefined,
): HttpOptions {
  return {
    server,
    timeoutMs: opts.timeoutMs ?? DEFAULT_LLM_TIMEOUT_MS,
    retries: opts.retries ?? 2,
    backoffMs: opts.backoffMs ?? 1000,
    maxBackoffMs: opts.maxRetryAfterMs ?? 30_000,
    maxBodyBytes: opts.maxBodyBytes ?? DEFAULT_LLM_MAX_BODY_BYTES,
    // Generating text changes nothing on the server, so a POST may be repeated after a 5xx or a 429 ...
    idempotent: true,
    // ... but a model that was too slow once will be too slow again.
    retryTimeouts: false,
    secrets,
    makeError: (message, code, status) => new NamingError(message, code, status),
    signal,
  };
}

/** POSTs JSON and returns the parsed 2xx body; anything else becomes a NamingError. */
export async function postJson(
  url: string | URL,
  body: unknown,
  headers: Record<string, string>,
  http: HttpOptions,
): Promise<unknown> {
  const res = await fetchText(
    url,
    {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
      body: JSON.stringify(body),
    },
    http,
  );
  if (res.status < 200 || res.status >= 300) throw statusError(http.server, res.status, res.text, http.secrets);
  try {
    return JSON.parse(res.text) as unknown;
  } catch {
    throw new NamingError(
      `${http.server} answered with a body that is not JSON (${excerpt(res.text, http.secrets, 60)}); is the URL right?`,
      'bad_response',
      res.status,
    );
  }
}

/** The NamingError for a non-2xx answer, with the server's own error message when it sent one. */
export function statusError(
  server: string,
  status: number,
  text: string,
  secrets: readonly string[] = [],
): NamingError {
  const detail = errorDetail(text, secrets);
  const tail = detail ? `: ${detail}` : '';
  if (status === 401 || status === 403)
    return new NamingError(`${server} rejected the credentials (HTTP ${status})${tail}`, 'auth', status);
  if (status === 429)
    return new NamingError(`${server} is rate-limiting (HTTP 429, retries used up)${tail}`, 'rate_limited', status);
  if (status >= 500) return new NamingError(`${server} failed with HTTP ${status}${tail}`, 'server', status);
  const hint = status === 404 ? ' (unknown model or wrong URL?)' : '';
  return new NamingError(`${server} refused the request with HTTP ${status}${hint}${tail}`, 'bad_request', status);
}

/** Any failure of a provider call as a NamingError with a one-line, redacted message; a caller's abort
 *  passes through unchanged so cancellation stays cancellation. */
export function asNamingError(err: unknown, server: string, secrets: readonly string[], signal?: AbortSignal): unknown {
  if (signal?.aborted) return signal.reason ?? err;
  if (err instanceof NamingError) {
    const message = oneLine(redactSecrets(err.message, secrets), 300);
    return message === err.message ? err : new NamingError(message, err.code, err.status);
  }
  const message = err instanceof Error ? err.message : String(err);
  return new NamingError(oneLine(redactSecrets(`${server}: ${message}`, secrets), 300), 'bad_response');
}

/** The error message a JSON error body carries (`{"error":"…"}` or `{"error":{"message":"…"}}`), else the text. */
function errorDetail(text: string, secrets: readonly string[]): string {
  let detail = text;
  try {
    const body = JSON.parse(text) as { error?: string | { message?: string }; message?: string };
    const e = body?.error;
    detail =
      typeof e === 'string'
        ? e
        : typeof e?.message === 'string'
          ? e.message
          : typeof body?.message === 'string'
            ? body.message
            : text;
  } catch {
    // not JSON: the text itself
  }
  return excerpt(detail, secrets, 200, false);
}

export function excerpt(text: string, secrets: readonly string[] = [], max = 200, quote = true): string {
  const s = oneLine(redactSecrets(text, secrets), max);
  return quote ? JSON.stringify(s) : s;
}

export function oneLine(text: string, max: number): string {
  const s = text.replace(/\s+/g, ' ').trim();
  const chars = [...s];
  return chars.length > max ? `${chars.slice(0, max - 1).join('')}…` : s;
}
