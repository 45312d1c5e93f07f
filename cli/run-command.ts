// What `audiomuse analysis …` and `audiomuse cluster …` share: start [--wait] | status | cancel through the
// Temporal client and PostgreSQL, JSON on stdout, progress lines on stderr while waiting.
import { loadConfig } from '../lib/config.ts';
import { cliClient, cliPool } from './database.ts';
import { cancelRun, runProgress, startRun, type RunControl, type RunKind } from '../client/run-control.ts';

export interface RunCommand<I, P extends { workflowId: string; status: string }> {
  kind: RunKind<I, P>;
  usage: string;
  /** Parses `start`'s flags (all but --wait) into the workflow input; throws on a bad flag. */
  parseStart(args: string[]): I;
  /** The progress in words, for `start --wait` (every few seconds) and `status` (on stderr). */
  describe(p: P): string;
}

export async function runCommand<I, P extends { workflowId: string; status: string }>(
  cmd: RunCommand<I, P>,
  args: string[],
): Promise<number> {
  const [sub, ...rest] = args;
  if (!sub || !['start', 'status', 'cancel'].includes(sub)) throw new Error(cmd.usage);
  if (sub !== 'start' && rest.length) throw new Error(`unknown argument ${rest[0]}; ${cmd.usage}`);
  const wait = rest.includes('--wait');
  const input = sub === 'start' ? cmd.parseStart(rest.filter((a) => a !== '--wait')) : undefined;
  const config = loadConfig();
  const pool = cliPool(config);
  const client = await cliClient(config);
  const c: RunControl = { client, pool, taskQueue: config.temporal.taskQueue };
  try {
    if (sub === 'status') {
      const p = await runProgress(cmd.kind, c);
      console.log(JSON.stringify(p ?? { status: 'none' }));
      if (p) console.error(cmd.describe(p)); // the same in words
      return 0;
    }
    if (sub === 'cancel') {
      const id = await cancelRun(cmd.kind, c);
      console.log(JSON.stringify(id ? { cancelled: id } : { cancelled: null, reason: 'nothing is running' }));
      return id ? 0 : 1;
    }
    const started = await startRun(cmd.kind, c, input as I);
    console.log(JSON.stringify(started));
    if (!wait) return 0;
    const final = await follow(cmd, c, started.workflowId);
    console.log(JSON.stringify(final));
    return final?.status === 'completed' ? 0 : 1;
  } finally {
    await client.connection.close();
    await pool.end();
  }
}

/** Prints a progress line to stderr every few seconds until the workflow closes; returns its final progress. */
async function follow<I, P extends { workflowId: string; status: string }>(
  cmd: RunCommand<I, P>,
  c: RunControl,
  workflowId: string,
): Promise<P | undefined> {
  const done = c.client.workflow
    .getHandle(workflowId)
    .result()
    .then(
      () => undefined,
      () => undefined,
    );
  for (;;) {
    const closed = await Promise.race([
      done.then(() => true),
      new Promise<false>((r) => setTimeout(() => r(false), 5000)),
    ]);
    const p = await runProgress(cmd.kind, c);
    if (p) console.error(cmd.describe(p));
    if (closed) return p;
  }
}

/** `--name N` flags as whole numbers into `input`, by a flag → field table; throws on anything else. */
export function parseNumberFlags<I extends object>(
  args: string[],
  flags: Record<string, keyof I>,
  usage: string,
  extra?: (flag: string, next: () => string) => boolean,
): I {
  const input = {} as I;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const next = () => {
      const v = args[++i];
      if (v === undefined) throw new Error(`${a} needs a value; ${usage}`);
      return v;
    };
    if (extra?.(a, next)) continue;
    const field = flags[a];
    if (!field) throw new Error(`unknown argument ${a}; ${usage}`);
    const v = next();
    if (!/^\d+$/.test(v)) throw new Error(`${a} needs a whole number; ${usage}`);
    (input as Record<string, unknown>)[field as string] = Number(v);
  }
  return input;
}
