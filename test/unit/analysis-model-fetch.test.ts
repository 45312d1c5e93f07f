// ensureModels, what `npm start` runs on a fresh checkout: fetches the real model files from a local mirror
// with progress lines, keeps nothing from a cut or short download, and says in one line what failed.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { MODEL_MANIFEST, verifyModels } from '../../engines/analysis/model-files.ts';
import { ensureModels } from '../../providers/models/model-fetch.ts';
import { freePort } from '../helpers/services.ts';
import { startModelMirror } from '../helpers/model-mirror.ts';
import { modelsDir, requireOrSkip } from '../shared-paths.ts';

const work = mkdtempSync(join(tmpdir(), 'am-ensure-'));
after(() => rmSync(work, { recursive: true, force: true }));
const totalBytes = MODEL_MANIFEST.files.reduce((n, m) => n + m.bytes, 0);

test('a fresh MODELS_DIR is filled from the mirror with progress lines; a second call fetches nothing', async (t) => {
  if (!requireOrSkip(t, join(modelsDir, 'msd-musicnn-1.onnx'), 'MusiCNN ONNX models (MODELS_DIR)')) return;
  const mirror = await startModelMirror(modelsDir);
  const target = join(work, 'fresh', 'models');
  try {
    const lines: string[] = [];
    assert.equal(await ensureModels(target, { baseUrl: mirror.url, progress: (l) => lines.push(l) }), undefined);
    await verifyModels(target);
    assert.deepEqual([...mirror.requests].sort(), MODEL_MANIFEST.files.map((m) => m.file).sort());
    assert.match(
      lines[0],
      new RegExp(
        `fetching 8 file\\(s\\), ${(totalBytes / 1e6).toFixed(1)} MB, from 127\\.0\\.0\\.1:\\d+ into ${target}`,
      ),
    );
    assert.deepEqual(
      lines.slice(1, -1).map((l) => l.match(/(\d+) %/)?.[1]),
      ['25', '50', '75', '100'],
    );
    assert.match(lines.at(-1)!, /8 file\(s\) fetched and verified/);

    mirror.requests.length = 0;
    lines.length = 0;
    assert.equal(await ensureModels(target, { baseUrl: mirror.url, progress: (l) => lines.push(l) }), undefined);
    assert.deepEqual(mirror.requests, [], 'verified files are not downloaded again');
    assert.deepEqual(lines, []);
  } finally {
    await mirror.close();
  }
});

for (const breakage of ['cut', 'short'] as const) {
  test(`a ${breakage} download is not kept and the failure is one line`, async (t) => {
    if (!requireOrSkip(t, join(modelsDir, 'msd-musicnn-1.onnx'), 'MusiCNN ONNX models (MODELS_DIR)')) return;
    const mirror = await startModelMirror(modelsDir, { 'msd-musicnn-1.onnx': breakage });
    const target = join(work, breakage);
    try {
      const problem = await ensureModels(target, { baseUrl: mirror.url, attempts: 1, progress: () => {} });
      assert.ok(problem);
      assert.doesNotMatch(problem, /\n/);
      assert.match(problem, /could not fetch msd-musicnn-1\.onnx/);
      assert.match(problem, breakage === 'short' ? /checksum mismatch.*got 1562786 bytes/ : /failed after 1 attempt/);
      assert.match(problem, /npm run models:fetch/);
      assert.deepEqual(readdirSync(target), [], 'neither the broken file nor a .part file is left behind');
      assert.deepEqual(
        mirror.requests,
        ['msd-musicnn-1.onnx'],
        'a failure stops the fetch instead of failing each file in turn',
      );
    } finally {
      await mirror.close();
    }
  });
}

test('an unreachable mirror gives one line naming the reason', async () => {
  const problem = await ensureModels(join(work, 'dead'), {
    baseUrl: `http://127.0.0.1:${await freePort()}`,
    attempts: 1,
    progress: () => {},
  });
  assert.ok(problem);
  assert.doesNotMatch(problem, /\n/);
  assert.match(
    problem,
    /could not fetch msd-musicnn-1\.onnx: download of http:\/\/127\.0\.0\.1:\d+\/msd-musicnn-1\.onnx failed after 1 attempt\(s\): fetch failed \(ECONNREFUSED\)/,
  );
});
