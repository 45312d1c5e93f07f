// Runs `audiomuse <args>` as a user would (bin/audiomuse.mjs in its own process) with the given environment;
// a non-zero exit is an answer to look at, not a thrown error.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from '../shared-paths.ts';

const exec = promisify(execFile);

export interface CliAnswer {
  code: number;
  stdout: string;
  stderr: string;
}

/** What the CLI needs beside the test's own variables: the test's database, Temporal and task queue. */
export function cliEnvironment(
  env: Record<string, string>,
  at: { databaseUrl: string; temporalAddress: string; taskQueue: string },
): NodeJS.ProcessEnv {
  return {
    ...process.env,
    ...env,
    DATABASE_URL: at.databaseUrl,
    TEMPORAL_ADDRESS: at.temporalAddress,
    TEMPORAL_TASK_QUEUE: at.taskQueue,
  };
}

export function runCli(env: NodeJS.ProcessEnv, ...args: string[]): Promise<CliAnswer> {
  return exec(process.execPath, [path.join(repoRoot, 'bin/audiomuse.mjs'), ...args], { env, cwd: repoRoot }).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (e: CliAnswer) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );
}
