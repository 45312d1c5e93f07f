// In-process LLM servers for the naming tests, one per protocol, on 127.0.0.1:
// - Ollama `POST /api/generate`: NDJSON chunks ending with `"done":true` when `stream` is true (Ollama's
//   default when the field is absent), one JSON object when false; errors as `{"error":"…"}`.
// - Gemini `POST /v1beta/models/{model}:generateContent` with the `x-goog-api-key` header (a `?key=` is refused
//   here, though Google takes it: keys in URLs reach logs): `candidates[0].content.
//   parts[].text`; errors as `{"error":{"code","message","status"}}`; a wrong key is a 400 as Google answers.
// - OpenAI `POST /v1/chat/completions` with `Authorization: Bearer …`: `choices[0].message.content`; a wrong
//   key is a 401 whose message echoes the key (as OpenAI's "Incorrect API key provided: sk-…" does).
// Each request takes the next scripted step (an answer, optionally late or stalled mid-stream, or an HTTP
// error with an optional Retry-After); without a script the default answer is sent. Requests are recorded.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type LlmProtocol = 'ollama' | 'gemini' | 'openai';

export type LlmStep =
  | {
      /** The model's text, sent as it is (garbage, a <think> block, a name too long: all just text). */
      answer: string;
      /** Wait this long before the response headers. */
      delayMs?: number;
      /** Ollama streaming only: send the first chunk, then wait this long before the rest. */
      stallMs?: number;
    }
  | { status: number; message?: string; retryAfter?: string };

export const answer = (text: string, extra: { delayMs?: number; stallMs?: number } = {}): LlmStep => ({
  answer: text,
  ...extra,
});
export const failure = (status: number, message?: string, retryAfter?: string): LlmStep => ({
  status,
  message,
  retryAfter,
});

export interface LlmRecordedRequest {
  /** Date.now() when the request arrived. */
  at: number;
  method: string;
  path: string;
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
  /** The parsed JSON body (undefined if it was not JSON). */
  body: unknown;
  /** The prompt the model would have seen (Ollama `prompt`, Gemini parts text, OpenAI user content). */
  prompt: string;
  /** The model named in the request (body or path). */
  model: string;
}

export interface LlmStandinOptions {
  protocol: LlmProtocol;
  /** The one model the server knows (others get the protocol's 404). */
  model: string;
  /** Gemini key / OpenAI bearer the server demands (none for Ollama). */
  apiKey?: string;
  /** Sent when no step is scripted. */
  defaultAnswer?: string;
  /** OpenAI: answer 400 to a non-default temperature, as OpenAI's reasoning models (o1, o3, gpt-5) do. */
  rejectTemperature?: boolean;
}

export class LlmStandin {
  readonly requests: LlmRecordedRequest[] = [];
  private steps: LlmStep[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly server: http.Server;
  url = '';

  constructor(readonly options: LlmStandinOptions) {
    this.server = http.createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(String(err));
      });
    });
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  /** The URL a client is configured with: Ollama's generate endpoint, Gemini's base, OpenAI's completions. */
  get endpoint(): string {
    switch (this.options.protocol) {
      case 'ollama':
        return `${this.url}/api/generate`;
      case 'gemini':
        return this.url;
      case 'openai':
        return `${this.url}/v1/chat/completions`;
    }
  }

  /** Replaces the script: the next requests take these steps in order. */
  script(...steps: LlmStep[]): void {
    this.steps = [...steps];
  }

  reset(): void {
    this.steps = [];
    this.requests.length = 0;
  }

  async close(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.timers.delete(t);
        resolve();
      }, ms);
      this.timers.add(t);
    });
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      body = undefined;
    }
    const u = new URL(req.url ?? '/', 'http://x');
    const { protocol } = this.options;
    const route = this.route(req.method ?? 'GET', u.pathname);
    const recorded: LlmRecordedRequest = {
      at: Date.now(),
      method: req.method ?? 'GET',
      path: u.pathname,
      query: u.searchParams,
      headers: req.headers,
      body,
      prompt: promptOf(protocol, body),
      model: route.model ?? (body as { model?: string } | undefined)?.model ?? '',
    };
    this.requests.push(recorded);

    if (!route.ok) return this.error(res, 404, `no route ${req.method} ${u.pathname}`);
    if (body === undefined || typeof body !== 'object') return this.error(res, 400, 'the body is not JSON');
    const auth = this.checkAuth(req, u);
    if (auth) return this.error(res, auth.status, auth.message);
    if (recorded.model !== this.options.model) {
      const m = recorded.model;
      return protocol === 'ollama'
        ? this.error(res, 404, `model "${m}" not found, try pulling it first`)
        : protocol === 'gemini'
          ? this.error(
              res,
              404,
              `models/${m} is not found for API version v1beta, or is not supported for generateContent.`,
            )
          : this.error(res, 404, `The model \`${m}\` does not exist or you do not have access to it.`);
    }

    const temperature = (body as { temperature?: number }).temperature;
    if (protocol === 'openai' && this.options.rejectTemperature && temperature !== undefined && temperature !== 1) {
      return this.error(
        res,
        400,
        `Unsupported value: 'temperature' does not support ${temperature} with this model. Only the default (1) value is supported.`,
      );
    }
    const step = this.steps.shift() ?? { answer: this.options.defaultAnswer ?? 'Standin Default Playlist Name' };
    if ('status' in step) {
      if (step.retryAfter !== undefined) res.setHeader('retry-after', step.retryAfter);
      return this.error(res, step.status, step.message ?? defaultMessage(step.status));
    }
    if (step.delayMs) await this.wait(step.delayMs);
    if (res.destroyed) return;

    const created = new Date().toISOString();
    switch (protocol) {
      case 'ollama': {
        const stream = (body as { stream?: boolean }).stream ?? true;
        const done = {
          model: this.options.model,
          created_at: created,
          response: '',
          done: true,
          done_reason: 'stop',
          total_duration: 1_000_000,
          eval_count: 12,
        };
        if (!stream) return this.json(res, 200, { ...done, response: step.answer });
        res.writeHead(200, { 'content-type': 'application/x-ndjson' });
        // A few characters per chunk, as a model emits tokens.
        const pieces = step.answer.match(/[\s\S]{1,4}/g) ?? [];
        for (const [i, piece] of pieces.entries()) {
          if (res.destroyed) return;
          res.write(
            `${JSON.stringify({ model: this.options.model, created_at: created, response: piece, done: false })}\n`,
          );
          if (i === 0 && step.stallMs) await this.wait(step.stallMs);
        }
        if (!res.destroyed) res.end(`${JSON.stringify(done)}\n`);
        return;
      }
      case 'gemini':
        return this.json(res, 200, {
          candidates: [{ content: { parts: [{ text: step.answer }], role: 'model' }, finishReason: 'STOP', index: 0 }],
          usageMetadata: { promptTokenCount: 100, candidatesTokenCount: 8, totalTokenCount: 108 },
          modelVersion: this.options.model,
        });
      case 'openai':
        return this.json(res, 200, {
          id: `chatcmpl-${this.requests.length}`,
          object: 'chat.completion',
          created: Math.floor(Date.now() / 1000),
          model: this.options.model,
          choices: [
            {
              index: 0,
              message: { role: 'assistant', content: step.answer, refusal: null },
              logprobs: null,
              finish_reason: 'stop',
            },
          ],
          usage: { prompt_tokens: 100, completion_tokens: 8, total_tokens: 108 },
        });
    }
  }

  private route(method: string, path: string): { ok: boolean; model?: string } {
    if (method !== 'POST') return { ok: false };
    switch (this.options.protocol) {
      case 'ollama':
        return { ok: path === '/api/generate' };
      case 'openai':
        return { ok: path === '/v1/chat/completions' };
      case 'gemini': {
        const m = /^\/v1beta\/models\/([^/:]+):generateContent$/.exec(path);
        return m ? { ok: true, model: decodeURIComponent(m[1]) } : { ok: false };
      }
    }
  }

  private checkAuth(req: http.IncomingMessage, u: URL): { status: number; message: string } | undefined {
    const key = this.options.apiKey;
    if (!key) return undefined;
    if (this.options.protocol === 'gemini') {
      // Google accepts `?key=` too, but a key in a URL ends up in proxy and server logs: ours must use the header.
      if (u.searchParams.has('key')) return { status: 400, message: 'API key sent in the URL; send x-goog-api-key.' };
      const given = req.headers['x-goog-api-key'];
      return given === key ? undefined : { status: 400, message: 'API key not valid. Please pass a valid API key.' };
    }
    if (this.options.protocol === 'openai') {
      const given = /^Bearer (.*)$/.exec(req.headers.authorization ?? '')?.[1];
      if (given === key) return undefined;
      return {
        status: 401,
        message: `Incorrect API key provided: ${given ?? ''}. You can find your API key at https://platform.openai.com/account/api-keys.`,
      };
    }
    return undefined;
  }

  private error(res: http.ServerResponse, status: number, message: string): void {
    switch (this.options.protocol) {
      case 'ollama':
        return this.json(res, status, { error: message });
      case 'gemini':
        return this.json(res, status, { error: { code: status, message, status: googleStatus(status) } });
      case 'openai':
        return this.json(res, status, {
          error: {
            message,
            type: status === 401 ? 'invalid_request_error' : 'server_error',
            param: null,
            code: status === 401 ? 'invalid_api_key' : null,
          },
        });
    }
  }

  private json(res: http.ServerResponse, status: number, value: unknown): void {
    if (res.destroyed) return;
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
    res.end(JSON.stringify(value));
  }
}

export async function startLlmStandin(options: LlmStandinOptions): Promise<LlmStandin> {
  return new LlmStandin(options).start();
}

function promptOf(protocol: LlmProtocol, body: unknown): string {
  const b = body as
    | {
        prompt?: string;
        contents?: { parts?: { text?: string }[] }[];
        messages?: { role?: string; content?: string }[];
      }
    | undefined;
  if (!b) return '';
  if (protocol === 'ollama') return b.prompt ?? '';
  if (protocol === 'gemini')
    return (b.contents ?? [])
      .flatMap((c) => c.parts ?? [])
      .map((p) => p.text ?? '')
      .join('\n');
  return (b.messages ?? [])
    .filter((m) => m.role === 'user')
    .map((m) => m.content ?? '')
    .join('\n');
}

function defaultMessage(status: number): string {
  if (status === 429) return 'Rate limit reached, please retry later';
  if (status >= 500) return 'The model refused to answer (internal error)';
  return `HTTP ${status}`;
}

function googleStatus(status: number): string {
  return (
    (
      {
        400: 'INVALID_ARGUMENT',
        401: 'UNAUTHENTICATED',
        403: 'PERMISSION_DENIED',
        404: 'NOT_FOUND',
        429: 'RESOURCE_EXHAUSTED',
        500: 'INTERNAL',
        503: 'UNAVAILABLE',
      } as Record<number, string>
    )[status] ?? 'UNKNOWN'
  );
}
