// The one HTTP client layer (media servers and LLM providers): per-attempt timeouts, exponential backoff on
// transient failures, Retry-After on 429/503, and errors that name the server and never carry a secret.
// Built on the global fetch (undici) so there is no dependency; imports nothing from the layers above.
//
// Retry policy:
// - idempotent requests (GET/HEAD/PUT/DELETE by default) retry on network errors, timeouts, 5xx and 429;
// - non-idempotent ones (POST) retry only when the request cannot have been processed: connection refused or
//   DNS failure, and 503 (Jellyfin answers 503 while it is starting up). A POST that timed out or got a 500
//   may already have created a playlist, and retrying it would create a second one.
// - 4xx (except 429) is never retried: the caller turns it into an actionable error.
// Errors are `HttpError`s unless the caller passes `makeError` (the media providers make MediaServerErrors).
import { Readable } from 'node:stream';

/** What went wrong in the layer itself; HTTP answers (4xx, a final 5xx) are returned, not thrown. */
export type HttpErrorCode = 'network' | 'timeout' | 'server';

/** The default error of this layer. */
export class HttpError extends Error {
  constructor(
    message: string,
    readonly code: HttpErrorCode,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

/** Builds the error the caller wants to see (e.g. its own error class with the same code and message). */
export type HttpErrorFactory = (message: string, code: HttpErrorCode, status?: number) => Error;

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
  /** Whether a timed-out idempotent request is tried again (default true); an LLM that was too slow once
   *  will be too slow again, so its callers turn this off and fail after one timeout. */
  retryTimeouts?: boolean;
  /** Values (API keys, tokens) removed from every message this layer builds, besides the known patterns. */
  secrets?: readonly string[];
  /** Largest body read, in bytes (default: 64 MiB for fetchText/fetchJson, 4 GiB for fetchStream); a larger
   *  answer is a `server` error naming the limit, so a broken or hostile server cannot exhaust memory or disk. */
  maxBodyBytes?: number;
  /** Makes the thrown errors; default `new HttpError(message, code, status)`. */
  makeError?: HttpErrorFactory;
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

// Query parameters that carry credentials (Jellyfin api keys, Subsonic password/token/salt, Gemini `key`).
const SECRET_PARAMS = new Set(['api_key', 'apikey', 'p', 't', 's', 'token', 'jwt', 'password', 'key', 'access_token']);
// The same names (long ones only: `p`, `t`, `s` are too common in prose) as `name=value` inside free text.
const SECRET_PARAM_IN_TEXT = /\b(api_key|apikey|token|jwt|password|key|access_token)=[^&\s"'<>:;,)]+/gi;
// Credentials in headers or bodies: `Authorization: Bearer …`, `MediaBrowser …, Token="…"`, `x-goog-api-key: …`.
const SECRET_IN_TEXT: [RegExp, string][] = [
  [/\b(Authorization["']?\s*[:=]\s*["']?(?:Bearer|Basic)\s+)[A-Za-z0-9._~+/=-]+/gi, '$1***'],
  [/\b(Bearer\s+)[A-Za-z0-9._~+/=-]{8,}/g, '$1***'],
  [/\b(Token=")[^"]*"/g, '$1***"'],
  [/\b(x-goog-api-key|x-api-key|api-key)(["']?\s*[:=]\s*["']?)[^\s"',}]+/gi, '$1$2***'],
  [/\bsk-[A-Za-z0-9_-]{8,}/g, 'sk-***'],
];

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

/**
 * Free text (an error message, a server's error body) with credentials replaced by "***": every value in
 * `secrets`, credential query parameters, Bearer/Basic tokens, MediaBrowser tokens and API-key headers.
 */
export function redactSecrets(text: string, secrets: readonly string[] = []): string {
  let out = text;
  for (const secret of secrets) {
    // Short values ("no-key-needed" is fine, "1" is not) would blank out ordinary words.
    if (secret && secret.length >= 6) out = out.split(secret).join('***');
  }
  out = out.replace(SECRET_PARAM_IN_TEXT, '$1=***');
  for (const [pattern, replacement] of SECRET_IN_TEXT) out = out.replace(pattern, replacement);
  return out;
}

export const DEFAULT_MAX_TEXT_BYTES = 64 * 1024 * 1024;
export const DEFAULT_MAX_STREAM_BYTES = 4 * 1024 * 1024 * 1024;
/** Same-host redirects followed per request. */
const MAX_REDIRECTS = 5;

const sizeText = (bytes: number) =>
  bytes >= 1024 * 1024 ? `${+(bytes / 1024 / 1024).toFixed(2)} MiB` : `${bytes} bytes`;

function tooLarge(opts: HttpOptions, what: string, limit: number): Error {
  return makeError(
    opts,
    `${opts.server} answered ${what} with more than ${sizeText(limit)}, the limit of a response read from it; ` +
      'is the URL pointing at the right endpoint?',
    'server',
  );
}

/** Reads a body as UTF-8, failing as soon as it passes `limit` bytes (Content-Length is checked first). */
async function readCapped(res: Response, limit: number, opts: HttpOptions, what: string): Promise<string> {
  if (Number(res.headers.get('content-length') ?? 0) > limit) {
    await res.body?.cancel().catch(() => {});
    throw tooLarge(opts, what, limit);
  }
  if (!res.body) return '';
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let size = 0;
  let text = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return text + decoder.decode();
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => {});
      throw tooLarge(opts, what, limit);
    }
    text += decoder.decode(value, { stream: true });
  }
}

/** Fetches and reads the body as text; 4xx and a final 5xx are returned, not thrown. */
export async function fetchText(url: string | URL, init: RequestInit, opts: HttpOptions): Promise<TextResponse> {
  return withRetries(url, init, opts, async (res, attempt, what) => {
    const text = await attempt.within(readCapped(res, opts.maxBodyBytes ?? DEFAULT_MAX_TEXT_BYTES, opts, what));
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
    throw makeError(
      opts,
      `${opts.server} answered ${init.method ?? 'GET'} ${redactUrl(url)} with a body that is not JSON ` +
        `(starts with ${JSON.stringify(r.text.slice(0, 80))}); is the URL pointing at ${opts.server}?`,
      'server',
      r.status,
    );
  }
}

/**
 * Fetches a body as a stream. Retries happen only until response headers arrive; after that the stream
 * errors with a `timeout` error when no chunk arrives for `timeoutMs`.
 */
export async function fetchStream(url: string | URL, init: RequestInit, opts: HttpOptions): Promise<StreamResponse> {
  return withRetries(url, init, opts, async (res, attempt, what) => {
    if (res.status < 200 || res.status >= 300 || !res.body) {
      const text = await attempt.within(readCapped(res, DEFAULT_MAX_TEXT_BYTES, opts, what));
      return { status: res.status, headers: res.headers, text };
    }
    const limit = opts.maxBodyBytes ?? DEFAULT_MAX_STREAM_BYTES;
    if (Number(res.headers.get('content-length') ?? 0) > limit) {
      await res.body.cancel().catch(() => {});
      throw tooLarge(opts, what, limit);
    }
    return { status: res.status, headers: res.headers, body: attempt.idleStream(res.body, limit) };
  });
}

interface Attempt {
  /** Resolves `p` or rejects when the attempt's timeout fires. */
  within<T>(p: Promise<T>): Promise<T>;
  /** Hands the body over as a Node stream guarded by an idle timer and a size cap; the attempt timer stops. */
  idleStream(body: ReadableStream<Uint8Array>, maxBytes: number): Readable;
}

class TimeoutError extends Error {}

/** Errors this layer made, so a catch inside the retry loop passes them through untouched. */
const ownErrors = new WeakSet<Error>();

function makeError(opts: HttpOptions, message: string, code: HttpErrorCode, status?: number): Error {
  const clean = redactSecrets(message, opts.secrets);
  const err = opts.makeError ? opts.makeError(clean, code, status) : new HttpError(clean, code, status);
  ownErrors.add(err);
  return err;
}

async function withRetries<T>(
  url: string | URL,
  init: RequestInit,
  opts: HttpOptions,
  read: (res: Response, attempt: Attempt, what: string) => Promise<T>,
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
      idleStream: (body, maxBytes) => {
        handedOff = true;
        clearTimeout(timer);
        return guardIdle(body, controller, opts, what, cleanup, maxBytes);
      },
    };

    let retryAfterMs = 0;
    try {
      armTimer();
      const res = await fetchSameHost(url, { ...init, signal: controller.signal }, opts, what);
      const transient = res.status >= 500 || res.status === 429;
      const retryable = transient && (idempotent || res.status === 503) && attempt < opts.retries;
      if (!retryable) return await read(res, att, what);
      lastProblem = `HTTP ${res.status}`;
      retryAfterMs = parseRetryAfter(res.headers.get('retry-after'));
      await res.body?.cancel().catch(() => {});
    } catch (err) {
      if (err instanceof Error && ownErrors.has(err)) throw err;
      if (opts.signal?.aborted) throw opts.signal.reason;
      const timeout = err instanceof TimeoutError || controller.signal.reason instanceof TimeoutError;
      const refused = !timeout && isConnectFailure(err);
      lastProblem = timeout ? `no answer within ${opts.timeoutMs} ms` : describeNetworkError(err);
      const retryable = refused || (idempotent && (!timeout || (opts.retryTimeouts ?? true)));
      if (attempt >= opts.retries || !retryable) {
        const tries = attempt + 1;
        const suffix = tries > 1 ? ` (${tries} attempts)` : '';
        throw timeout
          ? makeError(opts, `${opts.server} did not answer ${what} within ${opts.timeoutMs} ms${suffix}`, 'timeout')
          : makeError(opts, `${opts.server} is unreachable: ${what}: ${lastProblem}${suffix}`, 'network');
      }
    } finally {
      if (!handedOff) cleanup();
    }
    const delay = Math.min(maxBackoff, Math.max(retryAfterMs, backoff * 2 ** attempt));
    await sleep(delay, opts.signal);
  }
}

/**
 * fetch that follows redirects only within the same host (an upgrade to https included): a redirect elsewhere
 * would carry our credentials (headers, query) to a server nobody configured, so it is an error naming both.
 */
async function fetchSameHost(url: string | URL, init: RequestInit, opts: HttpOptions, what: string): Promise<Response> {
  let current = new URL(url);
  let request = init;
  for (let hops = 0; ; hops++) {
    const res = await fetch(current, { ...request, redirect: 'manual' });
    const location = res.status >= 300 && res.status < 400 ? res.headers.get('location') : null;
    if (!location) return res;
    await res.body?.cancel().catch(() => {});
    const next = new URL(location, current);
    const sameHost =
      next.host === current.host ||
      (next.hostname === current.hostname && current.protocol === 'http:' && next.protocol === 'https:');
    if (!sameHost)
      throw makeError(
        opts,
        `${opts.server} redirected ${what} to another host (${redactUrl(next)}); not followed, since the ` +
          'request carries credentials: set the server URL to where it redirects if that is intended',
        'server',
        res.status,
      );
    if (hops >= MAX_REDIRECTS)
      throw makeError(opts, `${opts.server} redirected ${what} more than ${MAX_REDIRECTS} times`, 'server', res.status);
    // 303, and 301/302 after a POST, turn into a GET without a body (what browsers and fetch do).
    const toGet = res.status === 303 || ((res.status === 301 || res.status === 302) && request.method === 'POST');
    if (toGet) request = { ...request, method: 'GET', body: undefined };
    current = next;
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
  maxBytes: number,
): Readable {
  const reader = body.getReader();
  let idle: NodeJS.Timeout | undefined;
  let size = 0;
  const stream = new Readable({
    read() {
      idle = setTimeout(() => {
        stream.destroy(makeError(opts, `${opts.server} stopped sending ${what} for ${opts.timeoutMs} ms`, 'timeout'));
        controller.abort(new TimeoutError());
      }, opts.timeoutMs);
      reader.read().then(
        ({ done, value }) => {
          clearTimeout(idle);
          if (done) return void stream.push(null);
          size += value.byteLength;
          if (size > maxBytes) return void stream.destroy(tooLarge(opts, what, maxBytes));
          stream.push(Buffer.from(value.buffer, value.byteOffset, value.byteLength));
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
