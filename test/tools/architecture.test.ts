// The floors of docs/architecture.md, as `npm run lint` enforces them with dependency-cruiser: the real tree
// passes, and a wrong import planted in a scratch tree fails with the rule that names it.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { repoRoot } from '../shared-paths.ts';

const run = promisify(execFile);
const DEPCRUISE = path.join(repoRoot, 'node_modules', '.bin', 'depcruise');
const CONFIG = path.join(repoRoot, '.dependency-cruiser.cjs');
const FLOORS = ['words', 'contracts', 'lib', 'engines', 'providers', 'activities', 'client', 'queries', 'workflows'];
const ENTRY_POINTS = ['worker', 'web', 'cli', 'bin'];

/** dependency-cruiser's verdict on `dirs` of `cwd`: its exit code and the error lines. */
async function cruise(cwd: string, dirs: string[]): Promise<{ code: number; errors: string[] }> {
  const present = dirs.filter((d) => fs.existsSync(path.join(cwd, d)));
  try {
    await run(DEPCRUISE, ['--config', CONFIG, '--output-type', 'err', ...present], { cwd });
    return { code: 0, errors: [] };
  } catch (err) {
    const e = err as { code: number; stdout: string };
    return { code: e.code, errors: e.stdout.split('\n').filter((l) => l.trim().startsWith('error ')) };
  }
}

/** A scratch tree of the given files (path → source), with the project's tsconfig and packages. */
function plant(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floors-'));
  fs.copyFileSync(path.join(repoRoot, 'tsconfig.json'), path.join(dir, 'tsconfig.json'));
  fs.symlinkSync(path.join(repoRoot, 'node_modules'), path.join(dir, 'node_modules'));
  for (const [file, source] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), source);
  }
  return dir;
}

test('the project itself keeps every floor rule and has no import circle', async () => {
  const { code, errors } = await cruise(repoRoot, [...FLOORS, ...ENTRY_POINTS]);
  assert.deepEqual(errors, []);
  assert.equal(code, 0);
});

const EXPORT = 'export const x = 1;\n';
const cases: { rule: string; files: Record<string, string> }[] = [
  {
    rule: 'words-import-nothing',
    files: { 'words/a.ts': "import { x } from '../lib/b.ts';\nexport const y = x;\n", 'lib/b.ts': EXPORT },
  },
  {
    rule: 'contracts-import-only-words',
    files: { 'contracts/a.ts': "import { x } from '../lib/b.ts';\nexport const y = x;\n", 'lib/b.ts': EXPORT },
  },
  {
    rule: 'lib-imports-nothing-above',
    files: { 'lib/a.ts': "import { x } from '../engines/b.ts';\nexport const y = x;\n", 'engines/b.ts': EXPORT },
  },
  {
    // A type-only import counts: an engine never depends on the configuration, not even on its shape.
    rule: 'engines-import-only-words',
    files: {
      'engines/a.ts': "import type { C } from '../lib/config.ts';\nexport const y = (c: C) => c;\n",
      'lib/config.ts': 'export interface C { a: number }\n',
    },
  },
  {
    rule: 'providers-import-below',
    files: {
      'providers/a.ts': "import { x } from '../activities/b.ts';\nexport const y = x;\n",
      'activities/b.ts': EXPORT,
    },
  },
  {
    rule: 'activities-import-below',
    files: {
      'activities/a.ts': "import { x } from '../workflows/b.ts';\nexport const y = x;\n",
      'workflows/b.ts': EXPORT,
    },
  },
  {
    rule: 'workflows-import-activities-by-type',
    files: {
      'workflows/a.ts': "import { x } from '../activities/b.ts';\nexport const y = x;\n",
      'activities/b.ts': EXPORT,
    },
  },
  {
    rule: 'entry-points-never-import-activities',
    files: { 'web/a.ts': "import { x } from '../activities/b.ts';\nexport const y = x;\n", 'activities/b.ts': EXPORT },
  },
  {
    rule: 'no-circular',
    files: {
      'engines/a.ts': "import { y } from './b.ts';\nexport const x = () => y;\n",
      'engines/b.ts': "import { x } from './a.ts';\nexport const y = () => x;\n",
    },
  },
  {
    rule: 'onnxruntime-only-in-analysis',
    files: {
      'engines/clustering/a.ts': "import { run } from '../analysis/b.ts';\nexport const y = run;\n",
      'engines/analysis/b.ts': "import * as ort from 'onnxruntime-node';\nexport const run = ort.InferenceSession;\n",
    },
  },
];

for (const c of cases) {
  test(`a wrong import fails lint naming the rule: ${c.rule}`, async () => {
    const dir = plant(c.files);
    try {
      const { code, errors } = await cruise(dir, FLOORS.concat(ENTRY_POINTS));
      assert.notEqual(code, 0, 'dependency-cruiser exits with an error');
      assert.ok(
        errors.some((l) => l.includes(`error ${c.rule}:`)),
        `expected ${c.rule}, got ${JSON.stringify(errors)}`,
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
}

test("a workflow's type-only import of its activities is the accepted exception", async () => {
  const dir = plant({
    'workflows/a.ts': "import type { B } from '../activities/b.ts';\nexport const y = (b: B) => b;\n",
    'activities/b.ts': 'export interface B { a: number }\n',
  });
  try {
    assert.deepEqual(await cruise(dir, FLOORS), { code: 0, errors: [] });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
