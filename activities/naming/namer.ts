// Optional AI naming of playlists: the PlaylistNamer interface (one per provider, like MediaProvider), the
// factory that reads the AI configuration, and nameWithAi, which never fails a run: the tag name stays and
// the reason is returned whenever the model gives no usable name.
import type { Config } from '../../lib/config.ts';
import { redactSecrets } from '../../lib/http.ts';
import { cleanPlaylistName, uniqueName } from './clean.ts';
import { GeminiNamer } from './gemini.ts';
import { NamingError, oneLine, type LlmRequestOptions } from './llm-http.ts';
import { OllamaNamer } from './ollama.ts';
import { OpenAiNamer } from './openai.ts';

export { NamingError, type NamingErrorCode, type LlmRequestOptions } from './llm-http.ts';

/** What the model is told about one playlist. Plain JSON, so an activity can take it as its input. */
export interface NamingRequest {
  /** The tag name the playlist keeps when AI naming fails, e.g. "Rock_Indie_Fast". */
  tagName: string;
  /** The centroid's strongest moods/tags, best first. */
  topMoods: { label: string; score: number }[];
  tempoBand: 'Slow' | 'Medium' | 'Fast';
  tempoBpm: number | null;
  /** 0..1. */
  energy: number | null;
  /** A sample of the playlist (at most 20 are put in the prompt). */
  songs: { title: string; artist: string }[];
  /** Names other playlists of this run already have; the answer is made unique against them. */
  takenNames: string[];
}

export interface PlaylistNamer {
  readonly provider: 'OLLAMA' | 'GEMINI' | 'OPENAI';
  /** Milliseconds the CALLER should wait between two calls (GEMINI_API_CALL_DELAY_SECONDS; 0 for the
   *  others). The namer never sleeps by itself, so a workflow can use a durable timer instead. */
  readonly callDelayMs: number;
  /** The model's raw text (clean it with cleanPlaylistName); rejects with a NamingError, or with the
   *  signal's reason when `signal` aborts. */
  suggest(req: NamingRequest, opts?: { signal?: AbortSignal }): Promise<string>;
}

/** The part of the configuration naming reads; only the chosen provider's fields must be present. */
export type AiNamingConfig = Pick<Config['ai'], 'provider'> & Partial<Omit<Config['ai'], 'provider'>>;

export interface NamerOptions extends LlmRequestOptions {
  /** Gemini API base URL (default https://generativelanguage.googleapis.com); tests point it at a stand-in. */
  geminiBaseUrl?: string;
  /** Ask Ollama for a streamed answer (default true, as AudioMuse-AI does). */
  ollamaStream?: boolean;
  /** Sampling temperature (default 0.7, AudioMuse-AI's). */
  temperature?: number;
}

/** The configured namer, or undefined for NONE. Throws a `bad_config` NamingError when the provider's
 *  required settings are missing (the configuration loader already demands them for AI_MODEL_PROVIDER). */
export function createPlaylistNamer(cfg: AiNamingConfig, opts: NamerOptions = {}): PlaylistNamer | undefined {
  switch (cfg.provider) {
    case 'NONE':
      return undefined;
    case 'OLLAMA':
      if (!cfg.ollamaUrl || !cfg.ollamaModel)
        throw new NamingError(
          'OLLAMA_SERVER_URL and OLLAMA_MODEL_NAME must be set when AI_MODEL_PROVIDER=OLLAMA',
          'bad_config',
        );
      return new OllamaNamer({
        url: cfg.ollamaUrl,
        model: cfg.ollamaModel,
        stream: opts.ollamaStream,
        temperature: opts.temperature,
        http: opts,
      });
    case 'GEMINI':
      if (!cfg.geminiApiKey || !cfg.geminiModel)
        throw new NamingError(
          'GEMINI_API_KEY and GEMINI_MODEL_NAME must be set when AI_MODEL_PROVIDER=GEMINI',
          'bad_config',
        );
      return new GeminiNamer({
        apiKey: cfg.geminiApiKey,
        model: cfg.geminiModel,
        baseUrl: opts.geminiBaseUrl,
        callDelayMs: Math.max(0, (cfg.geminiDelaySeconds ?? 0) * 1000),
        temperature: opts.temperature,
        http: opts,
      });
    case 'OPENAI':
      if (!cfg.openaiUrl || !cfg.openaiModel)
        throw new NamingError(
          'OPENAI_SERVER_URL and OPENAI_MODEL_NAME must be set when AI_MODEL_PROVIDER=OPENAI',
          'bad_config',
        );
      return new OpenAiNamer({
        url: cfg.openaiUrl,
        model: cfg.openaiModel,
        apiKey: cfg.openaiApiKey,
        temperature: opts.temperature,
        http: opts,
      });
    default: {
      const provider: string = cfg.provider;
      throw new NamingError(`AI_MODEL_PROVIDER=${provider} is not one of NONE, OLLAMA, GEMINI, OPENAI`, 'bad_config');
    }
  }
}

export type NamingOutcome = { name: string; source: 'ai' } | { name: string; source: 'tag'; reason: string };

/**
 * Asks the namer for a name, cleans it and makes it unique against `req.takenNames`. Any failure (HTTP
 * error, timeout, refusal, garbage, a name too short or too long) keeps `req.tagName` and returns the reason
 * (one line, no secrets). Only a caller's abort rejects: cancellation is not a naming failure.
 */
export async function nameWithAi(
  namer: PlaylistNamer,
  req: NamingRequest,
  opts: { signal?: AbortSignal } = {},
): Promise<NamingOutcome> {
  const label = PROVIDER_LABEL[namer.provider];
  let raw: string;
  try {
    raw = await namer.suggest(req, opts);
  } catch (err) {
    if (opts.signal?.aborted) throw opts.signal.reason ?? err;
    const message = err instanceof Error ? err.message : String(err);
    return {
      name: req.tagName,
      source: 'tag',
      reason: reasonLine(message.startsWith(label) ? message : `${label}: ${message}`),
    };
  }
  const cleaned = cleanPlaylistName(raw);
  if ('rejected' in cleaned)
    return {
      name: req.tagName,
      source: 'tag',
      reason: reasonLine(`${label}'s answer was rejected: ${cleaned.rejected}`),
    };
  return { name: uniqueName(cleaned.name, req.takenNames), source: 'ai' };
}

const PROVIDER_LABEL: Record<PlaylistNamer['provider'], string> = {
  OLLAMA: 'Ollama',
  GEMINI: 'Gemini',
  OPENAI: 'OpenAI',
};

function reasonLine(text: string): string {
  return oneLine(redactSecrets(text), 300);
}
