// Ollama namer: the `ollama` npm client's generate() against OLLAMA_SERVER_URL, with its fetch replaced by
// lib/http.ts so the request timeout, retries, the caller's AbortSignal and error redaction apply to it too.
import { Ollama } from 'ollama';
import { fetchText, redactUrl } from '../../lib/http.ts';
import { asNamingError, llmHttpOptions, NamingError, statusError, type LlmRequestOptions } from './llm-http.ts';
import type { NamingRequest, PlaylistNamer } from './namer.ts';
import { buildNamingPrompt } from './prompt.ts';

export interface OllamaNamerOptions {
  /** The generate endpoint (http://localhost:11434/api/generate) or the server's base URL. */
  url: string;
  model: string;
  /** Streamed NDJSON answer (default true); the stream is read whole within the request timeout. */
  stream?: boolean;
  temperature?: number;
  http?: LlmRequestOptions;
}

const SERVER = 'Ollama';
/** Enough for a name, and for a reasoning model that ignores `think: false` to finish its block. */
const NUM_PREDICT = 1024;

export class OllamaNamer implements PlaylistNamer {
  readonly provider = 'OLLAMA' as const;
  readonly callDelayMs = 0;
  private readonly host: string;
  private readonly headers: Record<string, string>;
  private readonly secrets: string[];

  constructor(private readonly options: OllamaNamerOptions) {
    const { host, headers, secrets } = ollamaHost(options.url);
    this.host = host;
    this.headers = headers;
    this.secrets = secrets;
  }

  async suggest(req: NamingRequest, opts: { signal?: AbortSignal } = {}): Promise<string> {
    const http = llmHttpOptions(SERVER, this.options.http ?? {}, this.secrets, opts.signal);
    // The client calls this for /api/generate; non-2xx answers become NamingErrors here, so the client's
    // own error path (which logs to the console) is never taken.
    const viaHttpLayer = async (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
      const url = typeof input === 'string' || input instanceof URL ? input : input.url;
      const signals = [init.signal, opts.signal].filter((s): s is AbortSignal => !!s);
      const signal = signals.length > 1 ? AbortSignal.any(signals) : signals[0];
      const res = await fetchText(url, { ...init, signal: undefined }, { ...http, signal });
      if (res.status < 200 || res.status >= 300) throw statusError(SERVER, res.status, res.text, this.secrets);
      return new Response(res.text, {
        status: res.status,
        headers: { 'content-type': res.headers.get('content-type') ?? 'application/json' },
      });
    };
    const client = new Ollama({ host: this.host, headers: this.headers, fetch: viaHttpLayer });
    const request = {
      model: this.options.model,
      prompt: buildNamingPrompt(req),
      think: false,
      options: { temperature: this.options.temperature ?? 0.7, num_predict: NUM_PREDICT },
    };
    try {
      if (this.options.stream ?? true) {
        let text = '';
        for await (const part of await client.generate({ ...request, stream: true })) text += part.response ?? '';
        return text;
      }
      const res = await client.generate({ ...request, stream: false });
      if (typeof res?.response !== 'string')
        throw new NamingError(
          `${SERVER} answered ${redactUrl(`${this.host}/api/generate`)} without a "response" field`,
          'bad_response',
        );
      return res.response;
    } catch (err) {
      throw asNamingError(err, SERVER, this.secrets, opts.signal);
    }
  }
}

/**
 * The client's host from OLLAMA_SERVER_URL: the endpoint path (/api/generate, /api/chat, /api) is dropped, a
 * base path of a reverse proxy kept, and user:password moved into a Basic Authorization header (fetch refuses
 * URLs with credentials).
 */
export function ollamaHost(url: string): { host: string; headers: Record<string, string>; secrets: string[] } {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new NamingError(
      `OLLAMA_SERVER_URL ${JSON.stringify(url.replace(/\/\/[^@/]*@/, '//***@'))} is not a URL`,
      'bad_config',
    );
  }
  const headers: Record<string, string> = {};
  const secrets: string[] = [];
  if (u.username || u.password) {
    const user = decodeURIComponent(u.username);
    const password = decodeURIComponent(u.password);
    headers.authorization = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
    if (password) secrets.push(password);
  }
  const path = u.pathname.replace(/\/+$/, '').replace(/\/api(?:\/(?:generate|chat))?$/, '');
  return { host: `${u.protocol}//${u.host}${path}`, headers, secrets };
}
