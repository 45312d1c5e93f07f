// The namer the AI configuration asks for: one class per provider behind the PlaylistNamer interface.
import { GeminiNamer } from './gemini.ts';
import { NamingError } from './llm-http.ts';
import type { AiNamingConfig, NamerOptions, PlaylistNamer } from './namer.ts';
import { OllamaNamer } from './ollama.ts';
import { OpenAiNamer } from './openai.ts';

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
