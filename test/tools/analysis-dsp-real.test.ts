// Tempo, key and energy on decoded audio: a synthetic loop round-tripped through a lossy codec, and the
// metal songs of the Debian packages fretsonfire-songs-muldjord / -sectoid, whose notes.mid charts carry
// the real tempo. Decoding goes through ffmpeg exactly as the pipeline does (16 kHz mono float32).
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { EnergyMeter } from '../../engines/analysis/energy.ts';
import { KeyDetector } from '../../engines/analysis/key.ts';
import { TempoTracker } from '../../engines/analysis/tempo.ts';
import { hasFfmpeg } from '../standins/audio.ts';
import { requireOrSkip } from '../shared-paths.ts';
import { SR, chordProgression, drumLoop, mixInto } from '../unit/analysis-dsp-synth.ts';

const SONGS_DIR = '/usr/share/games/fretsonfire/data/songs';

/** Decodes `file` with ffmpeg to 16 kHz mono float32 and streams the pipe's chunks into the sinks. */
async function decodeInto(file: string, sinks: { push(c: Float32Array): void }[]): Promise<void> {
  const ff = spawn('ffmpeg', ['-v', 'error', '-i', file, '-f', 'f32le', '-ac', '1', '-ar', String(SR), '-'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let carry = Buffer.alloc(0),
    stderr = '';
  ff.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  for await (const data of ff.stdout as AsyncIterable<Buffer>) {
    const buf = carry.length ? Buffer.concat([carry, data]) : data;
    const whole = buf.length - (buf.length % 4);
    const samples = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + whole));
    for (const s of sinks) s.push(samples);
    carry = Buffer.from(buf.subarray(whole));
  }
  const code = await new Promise<number | null>((resolve) => ff.on('close', resolve));
  if (code !== 0) throw new Error(`ffmpeg failed on ${file} (${code}): ${stderr.trim()}`);
}

/** All set-tempo values (BPM) in a standard MIDI file. */
function midiTempos(file: string): number[] {
  const d = readFileSync(file);
  if (d.toString('latin1', 0, 4) !== 'MThd') throw new Error(`${file}: not a MIDI file`);
  const tempos: number[] = [];
  let p = 8 + d.readUInt32BE(4);
  while (p + 8 <= d.length) {
    const end = p + 8 + d.readUInt32BE(p + 4);
    if (d.toString('latin1', p, p + 4) === 'MTrk') {
      let q = p + 8,
        status = 0;
      const varint = () => {
        let v = 0,
          b;
        do {
          b = d[q++];
          v = (v << 7) | (b & 0x7f);
        } while (b & 0x80);
        return v;
      };
      while (q < end) {
        varint(); // delta time
        if (d[q] & 0x80) status = d[q++];
        if (status === 0xff) {
          const type = d[q++],
            len = varint();
          if (type === 0x51 && len === 3) tempos.push(60e6 / ((d[q] << 16) | (d[q + 1] << 8) | d[q + 2]));
          q += len;
          status = 0; // meta events cancel running status
        } else if (status === 0xf0 || status === 0xf7) {
          q += varint();
        } else {
          q += (status & 0xf0) === 0xc0 || (status & 0xf0) === 0xd0 ? 1 : 2;
        }
      }
    }
    p = end;
  }
  return tempos;
}

test('decoded audio: a loop with chords survives a lossy 44.1 kHz Vorbis round trip', async (t: TestContext) => {
  if (!(await hasFfmpeg())) {
    if (process.env.CI) throw new Error('ffmpeg is absent; CI must provide it');
    return t.skip('ffmpeg is absent; skipped');
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'dsp-'));
  try {
    const C = 48 + 5; // F major: I–IV–V–I
    const chords = [
      [C - 12, C, C + 4, C + 7],
      [C - 7, C + 5, C + 9, C + 12],
      [C - 5, C + 7, C + 11, C + 14],
      [C - 12, C, C + 4, C + 7],
    ];
    const x = mixInto(chordProgression(chords, (60 / 112) * 4, 6), drumLoop(112, (60 / 112) * 4 * 24), 0.8);
    const raw = path.join(dir, 'loop.f32'),
      ogg = path.join(dir, 'loop.ogg');
    writeFileSync(raw, new Uint8Array(x.buffer));
    await new Promise<void>((resolve, reject) => {
      const ff = spawn('ffmpeg', [
        '-v',
        'error',
        '-y',
        '-f',
        'f32le',
        '-ar',
        String(SR),
        '-ac',
        '1',
        '-i',
        raw,
        '-ar',
        '44100',
        '-ac',
        '2',
        '-c:a',
        'libvorbis',
        '-q:a',
        '3',
        ogg,
      ]);
      ff.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`ffmpeg encode failed (${code})`))));
    });
    const tempo = new TempoTracker(),
      key = new KeyDetector(),
      energy = new EnergyMeter();
    await decodeInto(ogg, [tempo, key, energy]);
    const bpm = tempo.result(),
      k = key.result(),
      e = energy.result();
    t.diagnostic(
      `tempo ${bpm.toFixed(2)} key ${k.key} ${k.scale} (${k.strength.toFixed(3)}) energy ${e.energy.toFixed(3)}`,
    );
    assert.ok(Math.abs(bpm - 112) <= 2, `tempo ${bpm}`);
    assert.equal(`${k.key} ${k.scale}`, 'F major');
    assert.ok(e.energy > 0.3 && e.energy < 1, `energy ${e.energy}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("real songs: tempo against the BPM in each song's notes.mid chart", async (t: TestContext) => {
  if (!requireOrSkip(t, SONGS_DIR, 'Debian packages fretsonfire-songs-muldjord / fretsonfire-songs-sectoid')) return;
  if (!(await hasFfmpeg())) {
    if (process.env.CI) throw new Error('ffmpeg is absent; CI must provide it');
    return t.skip('ffmpeg is absent; skipped');
  }
  const songs = readdirSync(SONGS_DIR, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .flatMap((pack) => readdirSync(path.join(SONGS_DIR, pack.name)).map((s) => path.join(SONGS_DIR, pack.name, s)))
    .filter((dir) => existsSync(path.join(dir, 'song.ogg')) && existsSync(path.join(dir, 'notes.mid')))
    .sort();
  assert.ok(songs.length >= 4, `expected the packaged songs under ${SONGS_DIR}, found ${songs.length}`);
  let exact = 0,
    metrical = 0,
    n = 0;
  for (const dir of songs) {
    const tempos = midiTempos(path.join(dir, 'notes.mid'));
    if (tempos.length === 0 || Math.max(...tempos) / Math.min(...tempos) > 1.01) {
      t.diagnostic(`${path.basename(dir)}: no single chart tempo (${tempos.join(', ')}), not scored`);
      continue;
    }
    const truth = tempos[0];
    const tracker = new TempoTracker();
    await decodeInto(path.join(dir, 'song.ogg'), [tracker]);
    const bpm = tracker.result();
    const ok1 = Math.abs(bpm - truth) <= 2;
    const ok2 = [1, 2, 0.5].some((f) => Math.abs(bpm - truth * f) <= 2);
    n++;
    exact += +ok1;
    metrical += +ok2;
    t.diagnostic(
      `${path.basename(dir).padEnd(24)} chart ${truth.toFixed(1)}  ours ${bpm.toFixed(2)}  ${ok1 ? 'exact' : ok2 ? 'octave' : 'WRONG'}`,
    );
  }
  t.diagnostic(`exact (±2 BPM) ${exact}/${n}; allowing ×2/÷2 ${metrical}/${n}`);
  // The two packages hold 8 songs with a single chart tempo; fewer scored means the charts were misread.
  assert.ok(n >= 8, `only ${n} songs were scored`);
  // Every song must be right up to the metrical level; the level itself is genuinely ambiguous for
  // 170–190 BPM metal (half time is what many listeners tap), so only most must match the chart.
  assert.equal(metrical, n, 'a tempo that is not the chart tempo, its double or its half');
  assert.ok(exact >= Math.ceil(0.75 * n), `only ${exact}/${n} at the chart tempo`);
});
