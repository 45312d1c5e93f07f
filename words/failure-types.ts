// Stable `type` names of the ApplicationFailures our activities raise. Shared by the one mapping module
// (activities/failures.ts) and the workflows that decide on them; no imports, so workflow code may use it.

export const FailureType = {
  /** ffmpeg or the model files are missing: every track would fail; the run stops with this message. */
  setup: 'SetupError',
  /** Media server rejected our credentials or configuration: every call would fail. */
  mediaAuth: 'MediaServerAuth',
  /** Media server does not have what we asked for (album or track gone). */
  notFound: 'MediaNotFound',
  /** Media server unreachable, timing out or answering 5xx: retried with backoff. */
  mediaUnavailable: 'MediaServerUnavailable',
  /** Workflow input with an unknown field or a value out of range. */
  invalidInput: 'InvalidInput',
  /** A bad audio file that escaped the per-track recording (should not happen; never retried). */
  badAudio: 'BadAudio',
} as const;

/** Failures that end a whole library run at once instead of failing album after album. */
export const FATAL_FAILURE_TYPES: readonly string[] = [
  FailureType.setup,
  FailureType.mediaAuth,
  FailureType.invalidInput,
];
