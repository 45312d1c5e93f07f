// analyzeTrack on real music from Debian packages (fretsonfire-songs-muldjord / -sectoid: metal songs;
// pushover-data: calm game themes; hyperrogue-music: OGGs some of which ffmpeg 5.1 rejects) plus synthetic
// edge cases. Only the first 45 s of each track are analysed (maxSeconds) to keep the run short; that is
// 15 patches per track, plenty for genre-level tags and for identifying copies.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createReadStream, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { analyzeTrack, type TrackAnalysis } from '../../engines/analysis/analyze-track.ts';
import { AnalysisError } from '../../engines/analysis/errors.ts';
import { type MusicnnModels, getMusicnnModels } from '../../engines/analysis/musicnn.ts';
import { MOOD_HEADS, TAGS, topTags } from '../../words/vocabulary.ts';
import { modelsDir, requireOrSkip } from '../shared-paths.ts';
import { cosineSimilarity } from '../../engines/clustering/distance.ts';

const MAX_SECONDS = 45;
const FOF = '/usr/share/games/fretsonfire/data/songs';
const PUSHOVER = '/usr/share/pushover/themes';
const HYPERROGUE = '/usr/share/hyperrogue/music';
const ffmpegBin = process.env.FFMPEG_PATH || 'ffmpeg';
const ff = (...args: string[]) => execFileSync(ffmpegBin, ['-v', 'error', '-y', ...args]);
// Essentia + TensorFlow on the same 45 s of "Metal madness", decoded by the same ffmpeg command: what
// test/tools/analysis-parity.test.ts computes, recorded by test/python/musicnn_reference.py.
const reference = JSON.parse(
  readFileSync(new URL('../fixtures/analysis-musicnn-reference.json', import.meta.url), 'utf8'),
).track as { path: string; maxSeconds: number; patches: number; embedding: number[]; tags: number[] };

const metalSongs = () =>
  ['muldjord', 'sectoid'].flatMap((artist) => {
    const dir = join(FOF, artist);
    return existsSync(dir)
      ? readdirSync(dir, { withFileTypes: true })
          .filter((d) => d.isDirectory())
          .map((d) => join(dir, d.name, 'song.ogg'))
      : [];
  });
const calmThemes = () =>
  existsSync(PUSHOVER)
    ? readdirSync(PUSHOVER)
        .filter((f) => f.endsWith('.ogg'))
        .map((f) => join(PUSHOVER, f))
    : [];
const label = (path: string) => (basename(path) === 'song.ogg' ? basename(dirname(path)) : basename(path));

const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
const tag = (a: TrackAnalysis, l: (typeof TAGS)[number]) => a.tags[TAGS.indexOf(l)];

let models: MusicnnModels;
let tmp: string;
const results = new Map<string, TrackAnalysis>();
const analyse = async (path: string) => {
  let r = results.get(path);
  if (!r) {
    r = await analyzeTrack(path, { models, maxSeconds: MAX_SECONDS });
    results.set(path, r);
  }
  return r;
};

describe('analyzeTrack on real music', () => {
  let ready = false;
  before(async () => {
    if (!existsSync(join(modelsDir, 'msd-musicnn-1.onnx'))) return;
    models = await getMusicnnModels({ modelsDir });
    tmp = mkdtempSync(join(tmpdir(), 'am-track-'));
    ready = true;
  });
  after(() => {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });
  const need = (t: Parameters<typeof requireOrSkip>[0], ...paths: [string, string][]) => {
    if (!requireOrSkip(t, join(modelsDir, 'msd-musicnn-1.onnx'), 'MusiCNN ONNX models (MODELS_DIR)') || !ready)
      return false;
    return paths.every(([p, what]) => requireOrSkip(t, p, what));
  };

  test('embedding and tags match the Essentia reference, identical across runs and for a stream input', async (t) => {
    const song = join(FOF, 'sectoid', 'Metal madness', 'song.ogg');
    if (!need(t, [song, 'Debian package fretsonfire-songs-sectoid'])) return;
    const a = await analyse(song);
    const b = await analyzeTrack(song, { models, maxSeconds: MAX_SECONDS });
    const c = await analyzeTrack(createReadStream(song), { models, maxSeconds: MAX_SECONDS });
    assert.equal(a.embedding.length, 200);
    assert.ok(a.embedding.every(Number.isFinite));
    assert.ok(a.embedding.some((v) => v !== 0));
    assert.deepEqual(b.embedding, a.embedding);
    assert.deepEqual(c.embedding, a.embedding);
    assert.deepEqual(b.tags, a.tags);
    assert.equal(a.tags.length, 50);
    // The reference values, with the parity test's tolerances for identical input audio.
    assert.equal(reference.path, song);
    assert.equal(reference.maxSeconds, MAX_SECONDS);
    assert.equal(a.patches, reference.patches, 'patch count, ours vs Essentia');
    assert.equal(a.patches, Math.floor((Math.floor((MAX_SECONDS * 16000 - 512) / 256) + 1) / 187)); // 15
    const cos = cosineSimilarity(a.embedding, Float32Array.from(reference.embedding));
    assert.ok(cos >= 0.999, `embedding cosine ${cos.toFixed(5)} to the Essentia + TensorFlow reference`);
    const offTags = reference.tags.flatMap((v, i) =>
      Math.abs(v - a.tags[i]) > 0.02 ? [`${TAGS[i]} ${a.tags[i].toFixed(4)} vs ${v.toFixed(4)}`] : [],
    );
    assert.deepEqual(offTags, [], 'tag scores more than 0.02 from the reference');
    // The mood heads have no reference graph (see test/python/musicnn_reference.py): only their range here,
    // their direction on metal vs calm music in the next test.
    for (const h of MOOD_HEADS) assert.ok(a.moodHeads[h] >= 0 && a.moodHeads[h] <= 1, h);
    assert.equal(a.analyzedSec, MAX_SECONDS);
    assert.ok(Math.abs(a.durationSec - 143.68) < 0.1, `durationSec ${a.durationSec} is the whole song's`);
    // The song's notes.mid chart says 150 BPM throughout (test/tools/analysis-dsp-real.test.ts reads the charts).
    assert.ok(a.tempo !== null && Math.abs(a.tempo - 150) <= 2, `tempo ${a.tempo}, chart 150`);
    assert.ok(a.key !== null && (a.scale === 'major' || a.scale === 'minor'));
    assert.ok(a.energy !== null && a.energy >= 0 && a.energy <= 1);
    assert.ok(Object.values(a.timings).every((s) => s >= 0));
    assert.equal(topTags(a.tags, 5).length, 5);
  });

  test('metal songs score higher on metal / heavy metal / hard rock and aggressive; calm themes on relaxed', async (t) => {
    if (
      !need(
        t,
        [join(FOF, 'muldjord'), 'Debian package fretsonfire-songs-muldjord'],
        [join(FOF, 'sectoid'), 'Debian package fretsonfire-songs-sectoid'],
        [PUSHOVER, 'Debian package pushover-data'],
      )
    )
      return;
    const metal = await Promise.all(metalSongs().map(analyse));
    const calm = await Promise.all(calmThemes().map(analyse));
    assert.ok(metal.length >= 6 && calm.length >= 6, `${metal.length} metal songs, ${calm.length} themes`);
    for (const l of ['metal', 'heavy metal', 'hard rock'] as const) {
      const m = mean(metal.map((a) => tag(a, l))),
        c = mean(calm.map((a) => tag(a, l)));
      t.diagnostic(`${l}: metal songs ${m.toFixed(3)}, calm themes ${c.toFixed(3)}`);
      assert.ok(m > c, `${l}: ${m} vs ${c}`);
    }
    // Song by song: every metal song but at most one (sectoid's "Feelings" is a ballad) is more "metal"
    // than the most metal-sounding calm theme.
    const heavy = (a: TrackAnalysis) => tag(a, 'metal') + tag(a, 'heavy metal') + tag(a, 'hard rock');
    const calmMax = Math.max(...calm.map(heavy));
    const below = metalSongs()
      .filter((_, i) => heavy(metal[i]) <= calmMax)
      .map(label);
    assert.ok(below.length <= 1, `metal songs not above the calm themes: ${below.join(', ')}`);
    // The mood heads' positive classes (index 0 for aggressive, 1 for relaxed) point the right way.
    assert.ok(mean(metal.map((a) => a.moodHeads.aggressive)) > mean(calm.map((a) => a.moodHeads.aggressive)) + 0.3);
    assert.ok(mean(calm.map((a) => a.moodHeads.relaxed)) > mean(metal.map((a) => a.moodHeads.relaxed)) + 0.3);
  });

  test('the fast profile analyses a spread quarter of a 48-patch song, close to exact, with the same tempo, key and energy', async (t) => {
    const song = join(FOF, 'sectoid', 'Metal madness', 'song.ogg');
    if (!need(t, [song, 'Debian package fretsonfire-songs-sectoid'])) return;
    const exact = await analyzeTrack(song, { models });
    const fast = await analyzeTrack(song, { models, profile: 'fast' });
    assert.equal(exact.patches, 48); // 143.68 s
    assert.equal(fast.patches, 48 / 4); // 48 patches: stride 4 keeps the floor of 12
    const cos = cosineSimilarity(fast.embedding, exact.embedding);
    assert.ok(cos >= 0.98 && cos < 1, `embedding cosine ${cos.toFixed(5)} to exact`);
    const tagError = Math.max(...fast.tags.map((v, i) => Math.abs(v - exact.tags[i])));
    assert.ok(tagError > 0 && tagError < 0.1, `largest tag difference ${tagError.toFixed(4)}`);
    assert.deepEqual(
      [fast.tempo, fast.key, fast.scale, fast.keyStrength, fast.energy, fast.rmsDb, fast.analyzedSec],
      [exact.tempo, exact.key, exact.scale, exact.keyStrength, exact.energy, exact.rmsDb, exact.analyzedSec],
    );
    // 45 s is 15 patches: too few to thin out and keep 12, so the fast profile analyses them all.
    const short = await analyzeTrack(song, { models, profile: 'fast', maxSeconds: MAX_SECONDS });
    assert.deepEqual(short.embedding, (await analyse(song)).embedding);
  });

  test("a song and its MP3 / Opus transcodes are each other's nearest neighbours", async (t) => {
    if (
      !need(
        t,
        [join(FOF, 'sectoid'), 'Debian package fretsonfire-songs-sectoid'],
        [PUSHOVER, 'Debian package pushover-data'],
      )
    )
      return;
    const originals = [join(FOF, 'sectoid', 'War of freedom', 'song.ogg'), join(PUSHOVER, 'japanese.ogg')];
    const groups = originals.map((src, i) => {
      const mp3 = join(tmp, `copy${i}.mp3`),
        opus = join(tmp, `copy${i}.opus`);
      ff('-i', src, '-t', String(MAX_SECONDS + 5), '-c:a', 'libmp3lame', '-b:a', '128k', mp3);
      ff('-i', src, '-t', String(MAX_SECONDS + 5), '-c:a', 'libopus', '-b:a', '96k', opus);
      return [src, mp3, opus];
    });
    const all = [...new Set([...metalSongs(), ...calmThemes(), ...groups.flat()])].filter(existsSync);
    const emb = new Map<string, Float32Array>();
    for (const p of all) emb.set(p, (await analyse(p)).embedding);
    for (const group of groups) {
      for (const p of group) {
        const ranked = all
          .filter((q) => q !== p)
          .sort((a, b) => cosineSimilarity(emb.get(p)!, emb.get(b)!) - cosineSimilarity(emb.get(p)!, emb.get(a)!));
        const nearest = ranked.slice(0, group.length - 1);
        t.diagnostic(
          `${basename(p)}: nearest ${nearest.map((q) => `${label(q)} ${cosineSimilarity(emb.get(p)!, emb.get(q)!).toFixed(4)}`).join(', ')}; next ${label(ranked[group.length - 1])} ${cosineSimilarity(emb.get(p)!, emb.get(ranked[group.length - 1])!).toFixed(4)}`,
        );
        assert.deepEqual(
          new Set(nearest),
          new Set(group.filter((q) => q !== p)),
          `${p}: nearest are ${nearest.join(', ')}`,
        );
      }
    }
  });

  test('the hyperrogue OGGs ffmpeg 5.1 cannot read give decode_failed, the others analyse', async (t) => {
    if (!need(t, [HYPERROGUE, 'Debian package hyperrogue-music'])) return;
    const rejected: string[] = [];
    for (const f of readdirSync(HYPERROGUE)
      .filter((n) => n.endsWith('.ogg'))
      .sort()) {
      try {
        const a = await analyzeTrack(join(HYPERROGUE, f), { models, maxSeconds: 4 });
        assert.equal(a.patches, 1);
      } catch (err) {
        assert.ok(err instanceof AnalysisError, `${f}: ${err}`);
        assert.equal(err.code, 'decode_failed', `${f}: ${err.message}`);
        assert.match(err.message, /Invalid data found when processing input/);
        rejected.push(f);
      }
    }
    const version = execFileSync(ffmpegBin, ['-version']).toString().split('\n')[0];
    t.diagnostic(`${version}: rejected ${rejected.join(', ') || 'none'}`);
    if (/ffmpeg version 5\.1/.test(version)) {
      assert.deepEqual(rejected, ['hr-savino-caribbean.ogg', 'hr-savino-ivory.ogg', 'hr-savino-ocean.ogg']);
    }
  });

  test('silent, too short, empty and aborted inputs give typed errors', async (t) => {
    if (!need(t)) return;
    ff('-f', 'lavfi', '-i', 'anullsrc=r=44100:cl=stereo', '-t', '10', join(tmp, 'silence.wav'));
    ff('-f', 'lavfi', '-i', 'sine=f=440:r=44100:d=2.9', join(tmp, 'short.wav'));
    ff('-f', 'lavfi', '-i', 'sine=f=440:r=44100:d=3.1', join(tmp, 'just-enough.wav'));
    ff('-f', 'lavfi', '-i', 'anoisesrc=r=16000:a=0.3:d=60', join(tmp, 'noise.flac'));
    const code = async (p: string, c: string, opts = {}) =>
      assert.rejects(analyzeTrack(p, { models, ...opts }), (err: unknown) => {
        assert.ok(err instanceof AnalysisError, `${basename(p)}: ${String(err)}`);
        assert.equal(err.code, c, `${basename(p)}: ${err.message}`);
        assert.equal(err.isSetupError, false, `${basename(p)}: a setup error`);
        return true;
      });
    await code(join(tmp, 'silence.wav'), 'silent');
    await code(join(tmp, 'short.wav'), 'too_short');
    await code(join(tmp, 'missing.ogg'), 'not_found');
    // Undecodable on every ffmpeg version (the hyperrogue files above are rejected only by some).
    // A WAV whose fmt chunk is 2 bytes long: a header every demuxer version rejects.
    const riff = Buffer.alloc(44);
    riff.write('RIFF', 0);
    riff.writeUInt32LE(1000, 4);
    riff.write('WAVEfmt ', 8);
    riff.writeUInt32LE(2, 16);
    riff.writeUInt16LE(1, 20);
    riff.write('data', 22);
    riff.writeUInt32LE(900, 26);
    writeFileSync(join(tmp, 'bad-header.wav'), Buffer.concat([riff.subarray(0, 30), Buffer.alloc(900)]));
    await code(join(tmp, 'bad-header.wav'), 'decode_failed');
    assert.equal((await analyzeTrack(join(tmp, 'just-enough.wav'), { models })).patches, 1);
    const ac = new AbortController();
    const progress: number[] = [];
    await assert.rejects(
      analyzeTrack(join(tmp, 'noise.flac'), {
        models,
        signal: ac.signal,
        onProgress: (p) => {
          progress.push(p.patches);
          if (p.patches >= 4) ac.abort();
        },
      }),
      (err: unknown) => err instanceof AnalysisError && err.code === 'aborted',
    );
    assert.ok(progress.length >= 1 && progress.at(-1)! < 20, `stopped after ${progress.at(-1)} of 20 patches`);
  });

  test('models missing is a setup error before any decoding', async (t) => {
    if (!need(t)) return;
    await assert.rejects(
      analyzeTrack(join(tmp, 'whatever.ogg'), { modelsDir: join(tmp, 'no-models') }),
      (err: unknown) =>
        err instanceof AnalysisError &&
        err.code === 'models_missing' &&
        err.isSetupError &&
        /none of the 8 model files is in .*no-models/.test(err.message),
    );
  });
});
