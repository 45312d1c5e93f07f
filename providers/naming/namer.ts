// Optional AI naming of playlists: the PlaylistNamer interface (one per provider, like MediaProvider; the
// factory is create-namer.ts) and nameWithAi, which never fails a run: the tag name stays and the reason is
// returned whenever the model gives no usable name.
import type { Config } from '../../lib/config.ts';
import { redactSecrets } from '../../lib/http.ts';
import { cleanPlaylistName, uniqueName } from './clean.ts';
import { oneLine, type LlmRequestOptions } from './llm-http.ts';

export { NamingError, type NamingErrorCode, type LlmRequestOptions } from './llm-http.ts';

/** What the model is told about one playlist. Plain JSON, so an activity can take it as its input. */
export interface NamingRequest {
  /** The tag name the playlist keeps when AI naming fails, e.g. "Rock_Indie_Fast". */
  tagName: string;
  /** The centroid's strongest moods/tags, best first. */
  topTags: { label: string; score: number }[];
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
