// ffmpeg decoding to 16 kHz mono float32: formats, downmix level, streaming input, typed errors, cleanup.
// Audio is synthesised with ffmpeg into a temp folder (no third-party audio).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createReadStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, test } from 'node:test';
import { decodeAudio } from '../../engines/analysis/decode-audio.ts';
import { AnalysisError } from '../../engines/analysis/errors.ts';

let dir: string;
const ff = (...args: string[]) => execFileSync(process.env.FFMPEG_PATH || 'ffmpeg', ['-v', 'error', '-y', ...args]);

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'am-decode-'));
  // 4 s stereo 44.1 kHz, both channels a 440 Hz sine at amplitude 0.5.
  ff(
    '-f',
    'lavfi',
    '-i',
    'aevalsrc=0.5*sin(2*PI*440*t)|0.5*sin(2*PI*440*t):s=44100:d=4',
    '-c:a',
    'pcm_f32le',
    join(dir, 'tone.wav'),
  );
  // Left channel only: the mean downmix must halve it.
  ff('-f', 'lavfi', '-i', 'aevalsrc=0.5*sin(2*PI*440*t)|0:s=44100:d=4', '-c:a', 'pcm_f32le', join(dir, 'left.wav'));
  for (const [name, codec] of [
    ['tone.mp3', 'libmp3lame'],
    ['tone.flac', 'flac'],
    ['tone.ogg', 'libvorbis'],
    ['tone.opus', 'libopus'],
    ['tone.m4a', 'aac'],
  ]) {
    ff('-i', join(dir, 'tone.wav'), '-c:a', codec, join(dir, name));
  }
  ff('-f', 'lavfi', '-i', 'testsrc=d=1:s=32x32', '-frames:v', '1', join(dir, 'image.png'));
  writeFileSync(join(dir, 'notes.txt'), 'this is not audio\n');
  writeFileSync(join(dir, 'empty.mp3'), '');
});
after(() => rmSync(dir, { recursive: true, force: true }));

async function decodeAll(input: Parameters<typeof decodeAudio>[0], opts?: Parameters<typeof decodeAudio>[1]) {
  const chunks: Float32Array[] = [];
  const gen = decodeAudio(input, opts);
  let r = await gen.next();
  for (; !r.done; r = await gen.next()) chunks.push(r.value);
  const y = new Float32Array(chunks.reduce((n, c) => n + c.length, 0));
  let o = 0;
  for (const c of chunks) {
    y.set(c, o);
    o += c.length;
  }
  return { y, chunks, info: r.value };
}

const peak = (y: Float32Array, from = 0, to = y.length) => {
  let p = 0;
  for (let i = from; i < to; i++) p = Math.max(p, Math.abs(y[i]));
  return p;
};
/** Frequency from zero crossings in the steady middle of the signal. */
function frequency(y: Float32Array, sr = 16000): number {
  const a = Math.floor(y.length * 0.25),
    b = Math.floor(y.length * 0.75);
  let crossings = 0;
  for (let i = a + 1; i < b; i++) if (y[i - 1] < 0 !== y[i] < 0) crossings++;
  return crossings / 2 / ((b - a) / sr);
}

test('every common format decodes to 4 s of 16 kHz mono at the source level', async () => {
  for (const name of ['tone.wav', 'tone.mp3', 'tone.flac', 'tone.ogg', 'tone.opus', 'tone.m4a']) {
    const { y } = await decodeAll(join(dir, name));
    assert.ok(Math.abs(y.length - 64000) <= 1200, `${name}: ${y.length} samples`); // codecs pad a few ms
    const p = peak(y, 8000, 56000);
    assert.ok(Math.abs(p - 0.5) < 0.03, `${name}: peak ${p}, expected ≈ 0.5 (mean of equal channels)`);
    assert.ok(Math.abs(frequency(y) - 440) < 2, `${name}: ${frequency(y)} Hz`);
  }
});

test('stereo is downmixed as (L + R) / 2, like librosa and Essentia', async () => {
  const { y } = await decodeAll(join(dir, 'left.wav'));
  assert.ok(Math.abs(peak(y, 8000, 56000) - 0.25) < 0.005);
});

test('chunks are whole seconds except the last; a stream input gives the same samples as the path', async () => {
  const fromPath = await decodeAll(join(dir, 'tone.flac'));
  assert.ok(fromPath.chunks.slice(0, -1).every((c) => c.length === 16000));
  assert.equal(fromPath.info.sourceDurationSec, 4);
  const fromStream = await decodeAll(createReadStream(join(dir, 'tone.flac')));
  assert.deepEqual(fromStream.y, fromPath.y);
});

test('maxSeconds stops decoding early and still reports the source duration', async () => {
  const { y, info } = await decodeAll(join(dir, 'tone.flac'), { maxSeconds: 1.5 });
  assert.equal(y.length, 24000);
  assert.equal(info.sourceDurationSec, 4);
});

test('onInfo reports the duration once, before the first chunk', async () => {
  for (const name of ['tone.flac', 'tone.ogg', 'tone.mp3']) {
    const seen: string[] = [];
    const gen = decodeAudio(join(dir, name), {
      onInfo: (i) => seen.push(`info ${Math.round(i.sourceDurationSec ?? -1)}`),
    });
    for await (const c of gen) seen.push(`chunk ${c.length}`);
    assert.deepEqual(seen.slice(0, 2), ['info 4', 'chunk 16000'], name);
    assert.equal(seen.filter((e) => e.startsWith('info')).length, 1, name);
  }
});

async function rejects(input: string, code: string, opts?: Parameters<typeof decodeAudio>[1]) {
  await assert.rejects(decodeAll(input, opts), (err: unknown) => {
    assert.ok(err instanceof AnalysisError, `expected AnalysisError, got ${err}`);
    assert.equal(err.code, code, err.message);
    assert.ok(err.message.length > 10);
    return true;
  });
}

test('bad inputs give typed errors', async () => {
  await rejects(join(dir, 'missing.mp3'), 'not_found');
  await rejects(dir, 'not_found'); // a folder
  await rejects(join(dir, 'empty.mp3'), 'empty');
  await rejects(join(dir, 'notes.txt'), 'decode_failed');
  await rejects(join(dir, 'image.png'), 'unsupported');
});

test('a file cut mid-stream decodes what is there', async () => {
  const whole = readFileSync(join(dir, 'tone.ogg'));
  writeFileSync(join(dir, 'cut.ogg'), whole.subarray(0, Math.floor(whole.length / 2)));
  const { y } = await decodeAll(join(dir, 'cut.ogg'));
  assert.ok(y.length > 8000 && y.length < 64000, `${y.length} samples`);
});

test('a missing ffmpeg is a setup error', async () => {
  const saved = process.env.FFMPEG_PATH;
  process.env.FFMPEG_PATH = join(dir, 'no-ffmpeg-here');
  try {
    await assert.rejects(
      decodeAll(join(dir, 'tone.wav')),
      (err: unknown) => err instanceof AnalysisError && err.code === 'ffmpeg_missing' && err.isSetupError,
    );
  } finally {
    if (saved === undefined) delete process.env.FFMPEG_PATH;
    else process.env.FFMPEG_PATH = saved;
  }
});

test('aborting stops ffmpeg and rejects with aborted; breaking out early does not hang', async () => {
  const ac = new AbortController();
  const gen = decodeAudio(join(dir, 'tone.flac'), { signal: ac.signal });
  await gen.next();
  ac.abort();
  await assert.rejects(
    async () => {
      for (let r = await gen.next(); !r.done; r = await gen.next());
    },
    (err: unknown) => err instanceof AnalysisError && err.code === 'aborted',
  );
  for await (const _ of decodeAudio(join(dir, 'tone.flac'))) break;
});

test('a byte stream that fails midway gives decode_failed naming the stream error', async () => {
  const bytes = readFileSync(join(dir, 'tone.flac'));
  const failing = new Readable({
    read() {
      this.push(bytes.subarray(0, 4096));
      this.destroy(new Error('connection reset by the media server'));
    },
  });
  await assert.rejects(
    decodeAll(failing),
    (err: unknown) =>
      err instanceof AnalysisError &&
      err.code === 'decode_failed' &&
      /input stream failed: connection reset/.test(err.message),
  );
});
