// AI naming of playlists, the public surface: build a namer from the configuration, ask it per playlist
// with nameWithAi (which keeps the tag name on any failure), wait `namer.callDelayMs` between calls.
export { createPlaylistNamer } from './create-namer.ts';
export {
  nameWithAi,
  NamingError,
  type AiNamingConfig,
  type LlmRequestOptions,
  type NamerOptions,
  type NamingErrorCode,
  type NamingOutcome,
  type NamingRequest,
  type PlaylistNamer,
} from './namer.ts';
export { cleanPlaylistName, uniqueName, MAX_NAME_LENGTH, MIN_NAME_LENGTH, type CleanedName } from './clean.ts';
export { buildNamingPrompt, MAX_PROMPT_SONGS } from './prompt.ts';
