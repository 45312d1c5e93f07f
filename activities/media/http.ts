// HTTP for media-server clients: per-attempt timeouts, exponential backoff on transient failures, and errors
// that name the server and a redacted URL. Built on the global fetch (undici) so there is no dependency.
//
// Retry policy:
// - idempotent requests (GET/HEAD/PUT/DELETE by default) retry on network errors, timeouts, 5xx and 429;
// - non-idempotent ones (POST) retry only when the request cannot have been processed: connection refused or
//   DNS failure, and 503 (Jellyfin answers 503 while it is starting up). A POST that timed out or got a 500
//   may already have created a playlist, and retrying it would create a second one.
// - 4xx (except 429) is never retried: the caller turns it into an actionable error.
import { Readable } from 'node:stream';
import { MediaServerError } from './provider.ts';

export interface HttpOptions {
  /** Per attempt: connection + response headers, and for fetchText the whole body. */
  timeoutMs: number;
  /** Extra attempts after the first one. */
  retries: number;
  /** First backoff delay; doubles on each retry (default 500 ms). */
  backoffMs?: number;
  /** Cap on one backoff delay, also on a server's Retry-After (default 30 s). */
  maxBackoffMs?: number;
  /** Server name used in error messages, e.g. "Jellyfin". */
  server: string;
  /** Overrides the method-based idempotency guess. */
  idempotent?: boolean;
  signal?: AbortSignal;
}

export interface TextResponse {
  status: number;
  headers: Headers;
  text: string;
}

export interface StreamResponse {
  status: number;
  headers: Headers;
  /** Present for 2xx answers: the body, with an idle timeout of `timeoutMs` between chunks. */
  body?: Readable;
  /** Present for non-2xx answers: the error body as text. */
  text?: string;
}

// Query parameters that carry credentials (Jellyfin api keys, Subsonic password/token/salt).
const SECRET_PARAMS = new Set(['api_key', 'apikey', 'p', 't', 's', 'token', 'jwt', 'password']);

/** The URL with credential query parameters replaced by "***", for logs and error messages. */
export function redactUrl(url: string | URL): string {
  const u = new URL(url);
  for (const key of [...u.searchParams.keys()]) {
    if (SECRET_PARAMS.has(key.toLowerCase())) u.searchParams.set(key, '***');
  }
  u.username = '';
  u.password = '';
  return u.toString();
}

/** Fetches and reads the body as text; 4xx and a final 5xx are returned, not thrown. */
export async function fetchText(url: string | URL, init: RequestInit, opts: HttpOptions): Promise<TextResponse> {
  return withRetries(url, init, opts, async (res, attempt) => {
    const text = await attempt.within(res.text());
    return { status: res.status, headers: res.headers, text };
  });
}

/** Fetches and parses JSON; a 2xx body that is not JSON is a `server` error. */
export async function fetchJson<T>(
  url: string | URL,
  init: RequestInit,
  opts: HttpOptions,
): Promise<{ status: number; headers: Headers; body: T | undefined; text: string }> {
  const r = await fetchText(url, init, opts);
  if (r.status < 200 || r.status >= 300 || r.text === '') return { ...r, body: undefined };
  try {
    return { ...r, body: JSON.parse(r.text) as T };
  } catch {
    throw new MediaServerError(
      `${opts.server} answered ${init.method ?? 'GET'} ${redactUrl(url)} with a body that is not JSON ` +
        `(starts with ${JSON.stringify(r.text.slice(0, 80))}); is the URL pointing at ${opts.server}?`,
      'server',
      r.status,
    );
  }
}

/**
 * Fetches a body as a stream. Retries happen only until response headers arrive; after that the stream
 * errors with a `timeout` MediaServerError when no chunk arrives for `timeoutMs`.
 */
export async function fetchStream(url: string | URL, init: RequestInit, opts: HttpOptions): Promise<StreamResponse> {
  return withRetries(url, init, opts, async (res, attempt) => {
    if (res.status < 200 || res.status >= 300 || !res.body) {
      const text = await attempt.within(res.text());
      return { status: res.status, headers: res.headers, text };
    }
    return { status: res.status, headers: res.headers, body: attempt.idleStream(res.body) };
  });
}

interface Attempt {
  /** Resolves `p` or rejects when the attempt's timeout fires. */
  within<T>(p: Promise<T>): Promise<T>;
  /** Hands the body over as a Node stream guarded by an idle timer; the attempt timer stops. */
  idleStream(body: ReadableStream<Uint8Array>): Readable;
}

class TimeoutError extends Error {}

async function withRetries<T>(
  url: string | URL,
  init: RequestInit,
  opts: HttpOptions,
  read: (res: Response, attempt: Attempt) => Promise<T>,
): Promise<T> {
  const method = (init.method ?? 'GET').toUpperCase();
  const idempotent = opts.idempotent ?? (method !== 'POST' && method !== 'PATCH');
  const what = `${method} ${redactUrl(url)}`;
  const backoff = opts.backoffMs ?? 500;
  const maxBackoff = opts.maxBackoffMs ?? 30_000;
  let lastProblem = '';

  for (let attempt = 0; ; attempt++) {
    opts.signal?.throwIfAborted();
    const controller = new AbortController();
    const onAbort = () => controller.abort(opts.signal!.reason);
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    let timer: NodeJS.Timeout | undefined;
    const armTimer = () => {
      clearTimeout(timer);
      timer = setTimeout(() => controller.abort(new TimeoutError()), opts.timeoutMs);
    };
    let handedOff = false;
    const cleanup = () => {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
    };
    const timedOut = new Promise<never>((_, reject) => {
      controller.signal.addEventListener('abort', () => reject(controller.signal.reason), { once: true });
    });
    timedOut.catch(() => {}); // observed only through `within`
    const att: Attempt = {
      within: (p) => Promise.race([p, timedOut]),
      idleStream: (body) => {
        handedOff = true;
        clearTimeout(timer);
        return guardIdle(body, controller, opts, what, cleanup);
      },
    };

    let retryAfterMs = 0;
    try {
      armTimer();
      const res = await fetch(url, { ...init, signal: controller.signal });
      const transient = res.status >= 500 || res.status === 429;
      const retryable = transient && (idempotent || res.status === 503) && attempt < opts.retries;
      if (!retryable) return await read(res, att);
      lastProblem = `HTTP ${res.status}`;
      retryAfterMs = parseRetryAfter(res.headers.get('retry-after'));
      await res.body?.cancel().catch(() => {});
    } catch (err) {
      if (err instanceof MediaServerError) throw err;
      if (opts.signal?.aborted) throw opts.signal.reason;
      const timeout = err instanceof TimeoutError || controller.signal.reason instanceof TimeoutError;
      const refused = !timeout && isConnectFailure(err);
      lastProblem = timeout ? `no answer within ${opts.timeoutMs} ms` : describeNetworkError(err);
      if (attempt >= opts.retries || (!idempotent && !refused)) {
        const tries = attempt + 1;
        const suffix = tries > 1 ? ` (${tries} attempts)` : '';
        throw timeout
          ? new MediaServerError(
              `${opts.server} did not answer ${what} within ${opts.timeoutMs} ms${suffix}`,
              'timeout',
            )
          : new MediaServerError(`${opts.server} is unreachable: ${what}: ${lastProblem}${suffix}`, 'network');
      }
    } finally {
      if (!handedOff) cleanup();
    }
    const delay = Math.min(maxBackoff, Math.max(retryAfterMs, backoff * 2 ** attempt));
    await sleep(delay, opts.signal);
  }
}

/**
 * The body as a Node stream whose idle timer runs only while the consumer waits for the network, so a slow
 * consumer (backpressure) never counts as a stalled server.
 */
function guardIdle(
  body: ReadableStream<Uint8Array>,
  controller: AbortController,
  opts: HttpOptions,
  what: string,
  cleanup: () => void,
): Readable {
  const reader = body.getReader();
  let idle: NodeJS.Timeout | undefined;
  const stream = new Readable({
    read() {
      idle = setTimeout(() => {
        stream.destroy(new MediaServerError(`${opts.server} stopped sending ${what} for ${opts.timeoutMs} ms`, 'timeout'));
        controller.abort(new TimeoutError());
      }, opts.timeoutMs);
      reader.read().then(
        ({ done, value }) => {
          clearTimeout(idle);
          if (done) stream.push(null);
          else stream.push(Buffer.from(value.buffer, value.byteOffset, value.byteLength));
        },
        (err: unknown) => {
          clearTimeout(idle);
          stream.destroy(err instanceof Error ? err : new Error(String(err)));
        },
      );
    },
    destroy(err, callback) {
      clearTimeout(idle);
      reader.cancel().catch(() => {});
      cleanup();
      callback(err);
    },
  });
  return stream;
}

function isConnectFailure(err: unknown): boolean {
  const code = (err as { cause?: { code?: string } })?.cause?.code;
  return code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EHOSTUNREACH';
}

function describeNetworkError(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } })?.cause;
  if (cause?.code) return `${cause.code}${cause.message ? ` (${cause.message})` : ''}`;
  return err instanceof Error ? err.message : String(err);
}

function parseRetryAfter(value: string | null): number {
  if (!value) return 0;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? 0 : Math.max(0, date - Date.now());
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
