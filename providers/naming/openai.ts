// OpenAI-compatible namer: `POST OPENAI_SERVER_URL` (any chat-completions endpoint: OpenAI, OpenRouter,
// LM Studio, llama.cpp, Ollama's /v1) with `Authorization: Bearer OPENAI_API_KEY`; the answer is
// choices[0].message.content.
import { asNamingError, llmHttpOptions, NamingError, postJson, type LlmRequestOptions } from './llm-http.ts';
import type { NamingRequest, PlaylistNamer } from './namer.ts';
import { buildNamingPrompt } from './prompt.ts';

export interface OpenAiNamerOptions {
  /** The full chat-completions URL, e.g. https://api.openai.com/v1/chat/completions. */
  url: string;
  model: string;
  /** Sent as a Bearer token when non-empty. */
  apiKey?: string;
  temperature?: number;
  http?: LlmRequestOptions;
}

interface ChatCompletion {
  choices?: {
    message?: { content?: string | { type?: string; text?: string }[] | null; refusal?: string | null };
    finish_reason?: string;
  }[];
}

const SERVER = 'OpenAI';

export class OpenAiNamer implements PlaylistNamer {
  readonly provider = 'OPENAI' as const;
  readonly callDelayMs = 0;
  private readonly url: URL;

  constructor(private readonly options: OpenAiNamerOptions) {
    try {
      this.url = new URL(options.url);
    } catch {
      throw new NamingError('OPENAI_SERVER_URL is not a URL', 'bad_config');
    }
  }

  async suggest(req: NamingRequest, opts: { signal?: AbortSignal } = {}): Promise<string> {
    const key = this.options.apiKey ?? '';
    const secrets = key ? [key] : [];
    const http = llmHttpOptions(SERVER, this.options.http ?? {}, secrets, opts.signal);
    const headers: Record<string, string> = key ? { authorization: `Bearer ${key}` } : {};
    const request: Record<string, unknown> = {
      model: this.options.model,
      messages: [{ role: 'user', content: buildNamingPrompt(req) }],
      temperature: this.options.temperature ?? 0.7,
      stream: false,
    };
    try {
      let body: ChatCompletion;
      try {
        body = (await postJson(this.url, request, headers, http)) as ChatCompletion;
      } catch (err) {
        // Reasoning models (o1, o3, gpt-5) accept only the default temperature: ask once more without it.
        if (!(err instanceof NamingError && err.code === 'bad_request' && /temperature/i.test(err.message))) throw err;
        delete request.temperature;
        body = (await postJson(this.url, request, headers, http)) as ChatCompletion;
      }
      const choice = body?.choices?.[0];
      if (!choice?.message) throw new NamingError(`${SERVER} answered without choices[0].message`, 'bad_response');
      if (choice.message.refusal) throw new NamingError(`${SERVER} refused: ${choice.message.refusal}`, 'refused');
      const content = choice.message.content;
      const text =
        typeof content === 'string'
          ? content
          : Array.isArray(content)
            ? content.map((p) => p?.text ?? '').join('')
            : '';
      if (!text.trim()) {
        const reason = choice.finish_reason ?? 'unknown';
        throw new NamingError(
          `${SERVER} returned no text (finish_reason ${reason})`,
          reason === 'content_filter' ? 'refused' : 'bad_response',
        );
      }
      return text;
    } catch (err) {
      throw asNamingError(err, SERVER, secrets, opts.signal);
    }
  }
}
