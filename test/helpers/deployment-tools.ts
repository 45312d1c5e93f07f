// Finds the real deployment tools the deployment tests run (helm, kubernetes-validate, a compose
// implementation). A missing tool fails the test under CI and skips it, saying why, elsewhere.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestContext } from 'node:test';
import { repoRoot } from '../shared-paths.ts';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function run(cmd: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): RunResult {
  const r = spawnSync(cmd[0], cmd.slice(1), {
    cwd: opts.cwd ?? repoRoot,
    env: opts.env ?? process.env,
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  return { code: r.status ?? 1, stdout: r.stdout ?? '', stderr: (r.stderr ?? '') + (r.error ? String(r.error) : '') };
}

function onPath(name: string): string | undefined {
  for (const dir of [
    ...(process.env.PATH ?? '').split(path.delimiter),
    path.join(repoRoot, '.tools', 'bin'),
    path.join(os.homedir(), 'go', 'bin'),
  ]) {
    const p = path.join(dir, name);
    if (dir && fs.existsSync(p)) return p;
  }
  return undefined;
}

/** The command that runs `tool` (compose: docker-compose, else `docker compose` when it works). */
export function findTool(tool: 'helm' | 'kubernetes-validate' | 'compose'): string[] | undefined {
  if (tool !== 'compose') return onPath(tool) ? [onPath(tool)!] : undefined;
  const legacy = onPath('docker-compose');
  if (legacy) return [legacy];
  const docker = onPath('docker');
  return docker && run([docker, 'compose', 'version']).code === 0 ? [docker, 'compose'] : undefined;
}

/** The tool's command, or undefined after skipping the test (outside CI) / throws (under CI). */
export function requireTool(t: TestContext, tool: 'helm' | 'kubernetes-validate' | 'compose'): string[] | undefined {
  const cmd = findTool(tool);
  if (cmd) return cmd;
  const message = `${tool} is not installed (.ci/run installs it)`;
  if (process.env.CI) throw new Error(`${message}; CI must provide it`);
  t.skip(`${message}; skipped`);
  return undefined;
}

/** Variables holding credentials: they belong in a Secret / .env, never in a ConfigMap or a committed file. */
export const isSecretVar = (name: string) => /PASSWORD|TOKEN|SECRET|_KEY$|DATABASE_URL/.test(name);
