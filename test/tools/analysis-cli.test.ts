// `audiomuse analyze`: one JSON line per file, failures as {path, error}, exit 0; missing models → exit 2.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { modelsDir, repoRoot, requireOrSkip } from '../shared-paths.ts';

const cli = (args: string[], env: Record<string, string>) =>
  spawnSync(process.execPath, ['--import', 'tsx', join(repoRoot, 'cli/audiomuse.ts'), 'analyze', ...args], {
    cwd: repoRoot,
    encoding: 'utf8',
    env: { ...process.env, ...env },
  });

test('analyze prints one JSON line per file and exits 0 even when a file fails', async (t) => {
  if (!requireOrSkip(t, join(modelsDir, 'msd-musicnn-1.onnx'), 'MusiCNN ONNX models (MODELS_DIR)')) return;
  const dir = mkdtempSync(join(tmpdir(), 'am-cli-'));
  try {
    const song = join(dir, 'chord.flac');
    execFileSync(process.env.FFMPEG_PATH || 'ffmpeg', [
      '-v',
      'error',
      '-f',
      'lavfi',
      '-i',
      'aevalsrc=0.2*sin(2*PI*220*t)+0.2*sin(2*PI*277*t)+0.2*sin(2*PI*330*t):s=44100:d=8',
      song,
    ]);
    writeFileSync(join(dir, 'bad.mp3'), 'not audio at all');
    const r = cli(['--full', song, join(dir, 'bad.mp3')], { MODELS_DIR: modelsDir, TOP_N_MOODS: '3' });
    assert.equal(r.status, 0, r.stderr);
    const [ok, bad] = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.equal(ok.path, song);
    assert.equal(ok.patches, 2);
    assert.equal(ok.embedding.length, 200);
    assert.equal(Object.keys(ok.topTags).length, 3);
    assert.deepEqual(Object.keys(ok.moodHeads), ['danceable', 'aggressive', 'happy', 'party', 'relaxed', 'sad']);
    assert.equal(Object.keys(ok.tags).length, 50);
    for (const k of ['durationSec', 'tempo', 'key', 'scale', 'energy', 'seconds']) assert.ok(k in ok, k);
    assert.deepEqual(Object.keys(bad), ['path', 'error']);
    assert.equal(bad.error.code, 'decode_failed');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('analyze exits 2 with a message naming MODELS_DIR when the models are missing', () => {
  const r = cli(['whatever.mp3'], { MODELS_DIR: join(tmpdir(), 'no-such-models-dir') });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /no-such-models-dir.*models:fetch/);
  assert.equal(r.stdout, '');
});
