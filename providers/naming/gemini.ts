// Gemini namer: REST `POST {base}/v1beta/models/{model}:generateContent` (key in `x-goog-api-key`), the text of the first
// candidate's parts (thought parts skipped). GEMINI_API_CALL_DELAY_SECONDS is exposed as callDelayMs for the
// caller to wait between calls; nothing sleeps here.
import { asNamingError, llmHttpOptions, NamingError, postJson, type LlmRequestOptions } from './llm-http.ts';
import type { NamingRequest, PlaylistNamer } from './namer.ts';
import { buildNamingPrompt } from './prompt.ts';

export interface GeminiNamerOptions {
  apiKey: string;
  /** "gemini-2.5-pro" (a "models/" prefix is accepted). */
  model: string;
  /** Default https://generativelanguage.googleapis.com. */
  baseUrl?: string;
  callDelayMs?: number;
  temperature?: number;
  http?: LlmRequestOptions;
}

interface GenerateContentResponse {
  candidates?: {
    content?: { parts?: { text?: string; thought?: boolean }[] };
    finishReason?: string;
  }[];
  promptFeedback?: { blockReason?: string };
}

const SERVER = 'Gemini';
export const GEMINI_BASE_URL = 'https://generativelanguage.googleapis.com';
// Finish reasons that mean "will not answer this" rather than "broke".
const REFUSALS = new Set(['SAFETY', 'RECITATION', 'BLOCKLIST', 'PROHIBITED_CONTENT', 'SPII', 'LANGUAGE']);

export class GeminiNamer implements PlaylistNamer {
  readonly provider = 'GEMINI' as const;
  readonly callDelayMs: number;
  private readonly url: URL;

  constructor(private readonly options: GeminiNamerOptions) {
    this.callDelayMs = options.callDelayMs ?? 0;
    const base = (options.baseUrl ?? GEMINI_BASE_URL).replace(/\/+$/, '');
    const model = options.model.replace(/^models\//, '');
    try {
      this.url = new URL(`${base}/v1beta/models/${encodeURIComponent(model)}:generateContent`);
    } catch {
      throw new NamingError(`The Gemini base URL ${JSON.stringify(base)} is not a URL`, 'bad_config');
    }
  }

  async suggest(req: NamingRequest, opts: { signal?: AbortSignal } = {}): Promise<string> {
    const secrets = [this.options.apiKey];
    const http = llmHttpOptions(SERVER, this.options.http ?? {}, secrets, opts.signal);
    try {
      const body = (await postJson(
        this.url,
        {
          contents: [{ role: 'user', parts: [{ text: buildNamingPrompt(req) }] }],
          generationConfig: { temperature: this.options.temperature ?? 0.7 },
        },
        // In a header, not `?key=`: URLs end up in proxy and server logs.
        { 'x-goog-api-key': this.options.apiKey },
        http,
      )) as GenerateContentResponse;
      const candidate = body?.candidates?.[0];
      if (!candidate) {
        const blocked = body?.promptFeedback?.blockReason;
        if (blocked) throw new NamingError(`${SERVER} blocked the prompt (${blocked})`, 'refused');
        throw new NamingError(`${SERVER} answered without candidates`, 'bad_response');
      }
      const text = (candidate.content?.parts ?? [])
        .filter((p) => !p.thought && typeof p.text === 'string')
        .map((p) => p.text)
        .join('');
      if (!text.trim()) {
        const reason = candidate.finishReason ?? 'unknown';
        throw new NamingError(
          `${SERVER} returned no text (finishReason ${reason})`,
          REFUSALS.has(reason) ? 'refused' : 'bad_response',
        );
      }
      return text;
    } catch (err) {
      throw asNamingError(err, SERVER, secrets, opts.signal);
    }
  }
}
