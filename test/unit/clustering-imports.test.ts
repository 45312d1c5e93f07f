// The clustering side (engine, workflow activities, naming, publishing) must not load the ONNX runtime:
// follows the static imports from its entry modules and fails on any path to onnxruntime-node.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { repoRoot } from '../shared-paths.ts';

const IMPORT = /^\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]/gm;

/** Every module reachable from `entry` by static imports: project files by path, packages by name. */
function reachable(entry: string): { files: Set<string>; packages: Map<string, string> } {
  const files = new Set<string>();
  const packages = new Map<string, string>();
  const visit = (file: string) => {
    if (files.has(file)) return;
    files.add(file);
    for (const [, spec] of fs.readFileSync(file, 'utf8').matchAll(IMPORT)) {
      if (spec.startsWith('.')) visit(path.resolve(path.dirname(file), spec));
      else if (!packages.has(spec)) packages.set(spec, path.relative(repoRoot, file));
    }
  };
  visit(path.join(repoRoot, entry));
  return { files, packages };
}

test('the clustering, naming and publishing activities never import onnxruntime-node', () => {
  for (const entry of [
    'activities/clustering.ts',
    'activities/naming.ts',
    'activities/publishing.ts',
    'engines/clustering/pool-worker.ts',
  ]) {
    const { files, packages } = reachable(entry);
    assert.ok(files.size > 3, `${entry}: the import walk found its modules`);
    assert.equal(
      packages.get('onnxruntime-node'),
      undefined,
      `${entry} reaches onnxruntime-node through ${packages.get('onnxruntime-node')}`,
    );
  }
  // The walk does see the runtime where it is used.
  assert.ok(reachable('activities/analysis.ts').packages.has('onnxruntime-node'));
});
