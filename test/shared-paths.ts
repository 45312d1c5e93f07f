// Where tests find material that is not in the repository (models, OpenAPI documents, reference outputs).
// Absent material skips a test with a message naming it, except under CI, where it must be present.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestContext } from 'node:test';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const sharedDir = path.resolve(repoRoot, process.env.SHARED_DIR ?? '../shared');
export const modelsDir = path.resolve(repoRoot, process.env.MODELS_DIR ?? path.join(sharedDir, 'models'));

/**
 * True when `p` exists. Otherwise skips the test (`what` says what is missing), or throws under CI so a
 * missing fixture never passes silently there.
 */
export function requireOrSkip(t: TestContext, p: string, what: string): boolean {
  if (existsSync(p)) return true;
  const message = `${what} is absent (${p})`;
  if (process.env.CI) throw new Error(`${message}; CI must provide it`);
  t.skip(`${message}; skipped`);
  return false;
}
