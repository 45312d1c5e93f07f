// Model files: manifest, sha256 verification, the downloader (against a local HTTP server standing in for
// the GitHub release), and the ONNX sessions' output shapes.
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { AnalysisError } from '../../engines/analysis/errors.ts';
import { MODEL_MANIFEST, verifyModels } from '../../engines/analysis/model-files.ts';
import { fetchModels } from '../../providers/models/model-fetch.ts';
import { MusicnnModels, PATCH_SIZE } from '../../engines/analysis/musicnn.ts';
import { EMBEDDING_DIM, MOOD_HEADS, TAGS } from '../../words/vocabulary.ts';
import { modelsDir, repoRoot, requireOrSkip } from '../shared-paths.ts';

const reference = JSON.parse(readFileSync(join(repoRoot, 'test/fixtures/analysis-musicnn-reference.json'), 'utf8'))
  .patches as { embeddings: number[][]; tags: number[][] };

test('manifest lists the eight files with licence, URL and head class index', () => {
  assert.equal(MODEL_MANIFEST.files.length, 8);
  for (const m of MODEL_MANIFEST.files) {
    assert.match(m.sha256, /^[0-9a-f]{64}$/);
    assert.equal(m.licence, 'CC BY-NC-SA 4.0');
    assert.equal(m.url, `https://github.com/NeptuneHub/AudioMuse-AI/releases/download/v3.0.0-model/${m.file}`);
  }
  const heads = Object.fromEntries(
    MODEL_MANIFEST.files.filter((m) => m.positiveIndex !== undefined).map((m) => [m.role, m.positiveIndex]),
  );
  // Essentia metadata: [danceable, not_danceable], [aggressive, not_aggressive], [happy, non_happy],
  // [non_party, party], [non_relaxed, relaxed], [non_sad, sad].
  assert.deepEqual(heads, { danceable: 0, aggressive: 0, happy: 0, party: 1, relaxed: 1, sad: 1 });
  assert.equal(TAGS.length, 50);
  assert.equal(TAGS[11], 'metal');
  assert.equal(TAGS[49], 'happy');
});

function copyModels(to: string) {
  for (const m of MODEL_MANIFEST.files) copyFileSync(join(modelsDir, m.file), join(to, m.file));
}

test('verifyModels accepts the published files and names a missing or altered one', async (t) => {
  if (!requireOrSkip(t, join(modelsDir, 'msd-musicnn-1.onnx'), 'MusiCNN ONNX models (MODELS_DIR)')) return;
  await verifyModels(modelsDir);
  const dir = mkdtempSync(join(tmpdir(), 'am-models-'));
  try {
    copyModels(dir);
    rmSync(join(dir, 'mood_sad-msd-musicnn-1.onnx'));
    const tags = join(dir, 'msd-msd-musicnn-1.onnx');
    const bytes = readFileSync(tags);
    bytes[100] ^= 1;
    writeFileSync(tags, bytes);
    await assert.rejects(verifyModels(dir), (err: unknown) => {
      assert.ok(err instanceof AnalysisError);
      assert.equal(err.code, 'models_missing');
      assert.ok(err.isSetupError);
      assert.match(err.message, /mood_sad-msd-musicnn-1\.onnx is missing/);
      assert.match(err.message, /msd-msd-musicnn-1\.onnx does not match/);
      assert.doesNotMatch(err.message, /mood_happy/);
      return true;
    });
    await assert.rejects(
      MusicnnModels.load({ modelsDir: dir }),
      (err: unknown) => err instanceof AnalysisError && err.code === 'models_missing',
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('fetchModels downloads, verifies, skips what verifies and refuses a corrupted download', async (t) => {
  if (!requireOrSkip(t, join(modelsDir, 'msd-musicnn-1.onnx'), 'MusiCNN ONNX models (MODELS_DIR)')) return;
  const requests: string[] = [];
  const server = createServer((req, res) => {
    const file = decodeURIComponent(req.url!.split('/').pop()!);
    requests.push(file);
    const m = MODEL_MANIFEST.files.find((f) => f.file === file);
    if (!m) {
      res.writeHead(404).end();
      return;
    }
    const bytes = readFileSync(join(modelsDir, file));
    if (file === 'mood_party-msd-musicnn-1.onnx') bytes[0] ^= 0xff; // a tampered mirror
    res.writeHead(200, { 'content-length': bytes.length }).end(bytes);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const dir = mkdtempSync(join(tmpdir(), 'am-fetch-'));
  try {
    const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/release/`;
    const failed = await fetchModels(dir, { baseUrl, attempts: 1 });
    assert.deepEqual(
      failed.map((f) => f.file),
      ['mood_party-msd-musicnn-1.onnx'],
    );
    assert.match(failed[0].error, /checksum mismatch/);
    assert.throws(() => statSync(join(dir, 'mood_party-msd-musicnn-1.onnx')), /ENOENT/);
    assert.equal(statSync(join(dir, 'msd-musicnn-1.onnx')).size, 3125573);
    await assert.rejects(verifyModels(dir), /mood_party-msd-musicnn-1\.onnx is missing/);

    copyFileSync(join(modelsDir, 'mood_party-msd-musicnn-1.onnx'), join(dir, 'mood_party-msd-musicnn-1.onnx'));
    requests.length = 0;
    assert.deepEqual(await fetchModels(dir, { baseUrl, attempts: 1 }), []);
    assert.deepEqual(requests, [], 'files that verify are not downloaded again');
    await verifyModels(dir);
  } finally {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('sessions return 200-d embeddings, 50 tag scores and six head probabilities per patch', async (t) => {
  if (!requireOrSkip(t, join(modelsDir, 'msd-musicnn-1.onnx'), 'MusiCNN ONNX models (MODELS_DIR)')) return;
  const models = await MusicnnModels.load({ modelsDir, batchSize: 2 });
  try {
    const patches = new Float32Array(3 * PATCH_SIZE);
    for (let i = 0; i < patches.length; i++) patches[i] = 2 + Math.sin(i * 0.37) + (i % 97) / 97; // log-mel-like range
    const out = await models.run(patches, 3);
    assert.equal(out.embeddings.length, 3 * EMBEDDING_DIM);
    assert.equal(out.tags.length, 3 * TAGS.length);
    // The frozen TensorFlow graphs on the same three patches (test/python/musicnn_reference.py): the ONNX
    // conversion agrees to float32 rounding (embedding values reach ±12; measured difference ≈ 1e-5).
    for (let p = 0; p < 3; p++) {
      const emb = out.embeddings.subarray(p * EMBEDDING_DIM, (p + 1) * EMBEDDING_DIM);
      const worst = Math.max(...reference.embeddings[p].map((v, d) => Math.abs(v - emb[d])));
      assert.ok(worst < 1e-3, `patch ${p}: embedding differs from TensorFlow's by up to ${worst}`);
      const tags = out.tags.subarray(p * TAGS.length, (p + 1) * TAGS.length);
      const worstTag = Math.max(...reference.tags[p].map((v, d) => Math.abs(v - tags[d])));
      assert.ok(worstTag < 1e-4, `patch ${p}: tag scores differ from TensorFlow's by up to ${worstTag}`);
    }
    // The mood heads have no reference graph: their shape and range only.
    for (const h of MOOD_HEADS)
      assert.ok(out.moodHeads[h].length === 3 && out.moodHeads[h].every((v) => v >= 0 && v <= 1), h);
    // Patches are independent: running one alone gives the same numbers.
    const single = await models.run(patches.subarray(PATCH_SIZE), 1);
    for (let d = 0; d < EMBEDDING_DIM; d++)
      assert.ok(Math.abs(single.embeddings[d] - out.embeddings[EMBEDDING_DIM + d]) < 1e-4);
  } finally {
    await models.release();
  }
});
