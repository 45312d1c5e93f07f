// Typed failures of the analysis pipeline. Per-track problems (bad file) and setup problems (no ffmpeg, no
// models) are both AnalysisErrors; `isSetupError` tells callers whether retrying other tracks makes sense.

export type AnalysisErrorCode =
  | 'not_found' // the input path does not exist or is not a readable file
  | 'unsupported' // ffmpeg found no audio stream / no decoder for it
  | 'decode_failed' // ffmpeg could not read the data (corrupt, truncated, rejected header)
  | 'empty' // decoding succeeded but produced no samples
  | 'silent' // the decoded audio is digital silence
  | 'too_short' // fewer than 187 mel frames (≈ 3 s): not one MusiCNN patch
  | 'models_missing' // a model file is absent or fails its sha256 check
  | 'ffmpeg_missing' // ffmpeg cannot be found or started
  | 'aborted'; // the caller's AbortSignal fired

const SETUP_CODES: ReadonlySet<AnalysisErrorCode> = new Set(['models_missing', 'ffmpeg_missing']);

export class AnalysisError extends Error {
  readonly code: AnalysisErrorCode;

  constructor(code: AnalysisErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AnalysisError';
    this.code = code;
  }

  /** True when the failure is about the installation, not the track: every other track would fail too. */
  get isSetupError(): boolean {
    return SETUP_CODES.has(this.code);
  }

  toJSON(): { code: AnalysisErrorCode; message: string } {
    return { code: this.code, message: this.message };
  }
}
