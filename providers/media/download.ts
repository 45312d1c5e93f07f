// Streams a track's original audio into TEMP_DIR for analysis. The file exists only between a successful
// return and dispose(): on any failure (HTTP error, truncated body, disk full, abort) it is removed before
// the error propagates, so an interrupted analysis run leaves nothing behind.
import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { MediaServerError, type MediaProvider } from './provider.ts';

export interface DownloadedTrack {
  path: string;
  bytes: number;
  /** Removes the file; safe to call more than once. */
  dispose(): Promise<void>;
}

export async function downloadToTemp(
  provider: Pick<MediaProvider, 'openTrackAudio'>,
  trackId: string,
  tempDir: string,
  opts: { signal?: AbortSignal; onBytes?: (bytes: number) => void } = {},
): Promise<DownloadedTrack> {
  opts.signal?.throwIfAborted();
  await mkdir(tempDir, { recursive: true });
  const audio = await provider.openTrackAudio(trackId);
  const ext = /^\.[a-z0-9]{1,5}$/i.test(audio.extension) ? audio.extension.toLowerCase() : '';
  // The id is the server's opaque string: keep only safe characters, and make the name unique.
  const safeId = trackId.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 64);
  const file = path.join(tempDir, `${safeId}-${randomUUID()}${ext}`);
  const dispose = () => rm(file, { force: true });

  let bytes = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      bytes += chunk.length;
      opts.onBytes?.(bytes);
      done(null, chunk);
    },
  });
  try {
    await pipeline(audio.stream, counter, createWriteStream(file), { signal: opts.signal });
    if (audio.size !== undefined && bytes !== audio.size) {
      throw new MediaServerError(
        `Download of track ${trackId} was cut short: ${bytes} of ${audio.size} bytes`,
        'network',
      );
    }
  } catch (err) {
    audio.stream.destroy();
    await dispose();
    throw err;
  }
  return { path: file, bytes, dispose };
}
