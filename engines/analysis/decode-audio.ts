// Streams any file ffmpeg can read as 16 kHz mono float32, chunk by chunk, so memory does not grow with
// track length (ffmpeg blocks on the pipe while the consumer is busy: natural backpressure).
import { existsSync, statSync } from 'node:fs';
import { endianness } from 'node:os';
import { PassThrough, type Readable } from 'node:stream';
import ffmpeg from 'fluent-ffmpeg';
import { AnalysisError } from './errors.ts';

export const SAMPLE_RATE = 16000;
/** Samples per yielded chunk (1 s); the last chunk is shorter. */
export const CHUNK_SAMPLES = SAMPLE_RATE;

export interface DecodeOptions {
  /** Decode only the first N seconds (ffmpeg `-t`). */
  maxSeconds?: number;
  signal?: AbortSignal;
  /** Called once, before the first chunk, with what ffmpeg said about the input (its header's duration). */
  onInfo?: (info: DecodeInfo) => void;
}

export interface DecodeInfo {
  /** Duration ffmpeg reports for the whole input (container header), null when unknown (e.g. a pipe). */
  sourceDurationSec: number | null;
}

/** ffmpeg binary: FFMPEG_PATH when set (must exist), else `ffmpeg` on PATH. */
export function ffmpegPath(): string {
  const fromEnv = process.env.FFMPEG_PATH;
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new AnalysisError('ffmpeg_missing', `FFMPEG_PATH=${fromEnv} does not exist`);
    return fromEnv;
  }
  return 'ffmpeg';
}

if (endianness() !== 'LE') throw new Error('decodeAudio reads f32le and assumes a little-endian host');

// Downmix as the mean of the channels (librosa / Essentia MonoMixer): ffmpeg's default stereo→mono matrix
// is 0.707·(L+R), which would shift every log-mel value; rematrix_maxval=1 normalises the matrix to 0.5·(L+R).
// soxr is the resampler librosa uses (soxr_hq), the one AudioMuse-AI v0.7+ resampled with.
const OUTPUT_OPTIONS = [
  '-map',
  '0:a:0',
  '-ac',
  '1',
  '-ar',
  String(SAMPLE_RATE),
  '-rematrix_maxval',
  '1',
  '-resampler',
  'soxr',
];

/**
 * Decodes `input` (a path or a byte stream, which is consumed and destroyed at the end) and yields
 * Float32Array chunks of mono 16 kHz samples.
 * Throws AnalysisError: not_found, unsupported, decode_failed, empty, ffmpeg_missing, aborted.
 * The generator's return value carries what ffmpeg said about the whole input.
 */
export async function* decodeAudio(
  input: string | Readable,
  opts: DecodeOptions = {},
): AsyncGenerator<Float32Array, DecodeInfo> {
  if (typeof input === 'string') {
    let size: number;
    try {
      const st = statSync(input);
      if (!st.isFile()) throw new Error('not a regular file');
      size = st.size;
    } catch (err) {
      throw new AnalysisError('not_found', `${input}: ${(err as Error).message}`, { cause: err });
    }
    if (size === 0) throw new AnalysisError('empty', `${input}: file is empty (0 bytes)`);
  }
  if (opts.signal?.aborted) throw new AnalysisError('aborted', 'analysis aborted');

  const cmd = ffmpeg(input)
    .setFfmpegPath(ffmpegPath())
    .inputOptions(['-nostdin', '-hide_banner'])
    .outputOptions(OUTPUT_OPTIONS)
    .format('f32le');
  if (opts.maxSeconds !== undefined) cmd.duration(opts.maxSeconds);
  const info: DecodeInfo = { sourceDurationSec: null };
  // ffmpeg describes the input ("Stream mapping:") before it writes any sample, but on another pipe: the
  // first chunk waits for that description (or the end) so onInfo always sees it when ffmpeg printed one.
  const described = new Promise<void>((resolve) => {
    cmd.on('codecData', (data: { duration?: string }) => {
      info.sourceDurationSec = parseTimestamp(data.duration);
      resolve();
    });
    cmd.on('end', () => resolve());
    cmd.on('error', () => resolve());
  });

  let killed = false;
  let started = false; // fluent-ffmpeg first runs `ffmpeg -formats`; failing before 'start' means no usable ffmpeg
  let failure: AnalysisError | null = null;
  cmd.on('start', () => {
    started = true;
  });
  // Our own pipe target that does not close by itself: fluent-ffmpeg reports "Output stream closed" as an
  // error when the target closes more than 20 ms before ffmpeg's exit event arrives (a race under load).
  const out = new PassThrough({ autoDestroy: false });
  cmd.pipe(out, { end: true });
  const done = new Promise<void>((resolve) => {
    cmd.on('end', () => resolve());
    cmd.on('error', (err: Error, _stdout: string | null, stderr: string | null) => {
      if (!killed) failure = toAnalysisError(err, stderr ?? '', started);
      out.destroy(); // a failed spawn never ends the pipe; unblock the reader
      resolve();
    });
  });
  const stop = () => {
    killed = true;
    cmd.kill('SIGKILL');
    out.destroy();
  };
  opts.signal?.addEventListener('abort', stop, { once: true });

  // Re-chunk the pipe's small, unaligned reads into whole seconds of samples: fewer, larger pushes
  // downstream (each consumer has a per-call cost) and no split floats.
  const acc = new Uint8Array(CHUNK_SAMPLES * 4);
  let fill = 0;
  let samples = 0;
  let completed = false;
  let informed = false;
  const inform = async () => {
    informed = true;
    // The guard only matters if an ffmpeg printed no description: never leave it blocked on a full pipe.
    let guard: NodeJS.Timeout | undefined;
    await Promise.race([described, new Promise((resolve) => (guard = setTimeout(resolve, 5000)))]);
    clearTimeout(guard);
    opts.onInfo?.(info);
  };
  try {
    try {
      for await (const buf of out.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) {
        for (let pos = 0; pos < buf.length;) {
          const n = Math.min(acc.length - fill, buf.length - pos);
          acc.set(buf.subarray(pos, pos + n), fill);
          fill += n;
          pos += n;
          if (fill === acc.length) {
            samples += CHUNK_SAMPLES;
            fill = 0;
            if (!informed) await inform();
            yield new Float32Array(acc.slice().buffer);
          }
        }
      }
    } catch (err) {
      if (!failure && !opts.signal?.aborted) throw err;
    }
    await done;
    if (opts.signal?.aborted) throw new AnalysisError('aborted', 'analysis aborted');
    if (failure) throw failure;
    const rest = fill - (fill % 4);
    if (rest > 0) {
      samples += rest / 4;
      if (!informed) await inform();
      yield new Float32Array(acc.slice(0, rest).buffer);
    }
    completed = true;
  } finally {
    opts.signal?.removeEventListener('abort', stop);
    if (!completed && !killed) stop(); // consumer stopped early or failed: do not leave ffmpeg running
    out.destroy();
    if (typeof input !== 'string') input.destroy(); // the stream is ours once passed in (e.g. release a socket after -t)
  }
  if (samples === 0) throw new AnalysisError('empty', `${describe(input)}: no audio samples decoded`);
  return info;
}

function describe(input: string | Readable): string {
  return typeof input === 'string' ? input : 'input stream';
}

/** "00:03:17.65" → 197.65; "N/A" or absent → null. */
function parseTimestamp(s: string | undefined): number | null {
  const m = s?.match(/^(\d+):(\d+):(\d+(?:\.\d+)?)$/);
  return m ? Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]) : null;
}

// Maps ffmpeg's failure (spawn error or non-zero exit with its stderr) to a reason code.
function toAnalysisError(err: Error, stderr: string, started: boolean): AnalysisError {
  const inputError = (err as Error & { inputStreamError?: Error }).inputStreamError;
  if (inputError)
    return new AnalysisError('decode_failed', `the input stream failed: ${inputError.message}`, { cause: inputError });
  if (!started || (err as NodeJS.ErrnoException).code === 'ENOENT') {
    return new AnalysisError(
      'ffmpeg_missing',
      `cannot run ffmpeg (${err.message}); install ffmpeg or set FFMPEG_PATH`,
      { cause: err },
    );
  }
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const reason =
    lines.filter((l) => !/^(To ignore this|Stream #|Duration:|Input #|Metadata:|size=)/.test(l)).at(-1) ?? err.message;
  if (
    /matches no streams|does not contain any stream|Decoder \(codec .*\) not found|Unknown decoder|Audio: none/.test(
      stderr,
    )
  ) {
    return new AnalysisError('unsupported', `no decodable audio stream: ${reason}`, { cause: err });
  }
  if (/: End of file$/m.test(stderr)) return new AnalysisError('empty', `no audio data: ${reason}`, { cause: err });
  return new AnalysisError('decode_failed', `ffmpeg could not decode the input: ${reason}`, { cause: err });
}
