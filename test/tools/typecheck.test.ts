// Strict TypeScript is part of the contract: the whole project must type-check (tsx itself never does).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { repoRoot } from '../../lib/config.ts';

test('the project type-checks under strict TypeScript', { timeout: 300_000 }, () => {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const r = spawnSync(process.execPath, [tsc, '--noEmit', '-p', repoRoot], { encoding: 'utf8', cwd: repoRoot });
  assert.equal(r.status, 0, `tsc reported errors:\n${r.stdout}${r.stderr}`);
});
