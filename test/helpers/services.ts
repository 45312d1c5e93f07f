// Real PostgreSQL and Temporal for integration tests. `npm test` (test/run.ts) starts one of each and passes
// their addresses in TEST_DATABASE_URL / TEST_TEMPORAL_ADDRESS; a test file run alone starts its own.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import { randomUUID } from 'node:crypto';
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time.js';
import pg from 'pg';
import { startEmbeddedPostgres } from '../../lib/embedded/postgres.ts';
import { startEmbeddedTemporal } from '../../lib/embedded/temporal.ts';
import { installRuntime } from '../../lib/runtime.ts';
import { waitFor } from './wait.ts';

export interface Services {
  /** Admin URL (database "postgres") of the test PostgreSQL server. */
  postgresAdminUrl: string;
  temporalAddress: string;
  stop(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** A scratch folder the `postgres` user can use too (PostgreSQL refuses to run as root). */
export function scratchDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `audiomuse-${prefix}-`));
  fs.chmodSync(dir, 0o755);
  return dir;
}

export async function startServices(): Promise<Services> {
  installRuntime();
  const dir = scratchDir('services');
  const pgPort = await freePort();
  const [pgHandle, temporal] = await Promise.all([
    startEmbeddedPostgres({
      dataDir: path.join(dir, 'pg'),
      port: pgPort,
      user: 'audiomuse',
      password: 'test',
      database: 'audiomuse_test',
    }),
    startEmbeddedTemporal({ cliPath: process.env.TEMPORAL_CLI_PATH, port: await freePort(), headless: true }),
  ]);
  return {
    postgresAdminUrl: pgHandle.url.replace(/\/[^/]*$/, '/postgres'),
    temporalAddress: temporal.address,
    async stop() {
      await temporal.stop();
      await pgHandle.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

let shared: Promise<Services> | undefined;

/** The harness's services, or ones started for this test process (stopped at exit by `releaseServices`). */
export function services(): Promise<Services> {
  const { TEST_DATABASE_URL, TEST_TEMPORAL_ADDRESS } = process.env;
  if (TEST_DATABASE_URL && TEST_TEMPORAL_ADDRESS) {
    return Promise.resolve({
      postgresAdminUrl: TEST_DATABASE_URL,
      temporalAddress: TEST_TEMPORAL_ADDRESS,
      stop: async () => undefined,
    });
  }
  shared ??= startServices();
  return shared;
}

export async function releaseServices(): Promise<void> {
  if (shared) await (await shared).stop();
  shared = undefined;
}

/** A new, empty database on the test server: every test file gets its own, so files never share state. */
export async function freshDatabase(): Promise<string> {
  const { postgresAdminUrl } = await services();
  const name = `t_${randomUUID().replace(/-/g, '').slice(0, 16)}`;
  const admin = new pg.Client({ connectionString: postgresAdminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  return postgresAdminUrl.replace(/\/postgres$/, `/${name}`);
}

/**
 * A new namespace on the test Temporal server, for a file that drives the product's fixed workflow ids
 * (`analyze-library`, `cluster-library`): in the shared `default` namespace another file's run of the same id
 * would show up as this file's running run (and the other way round).
 */
export async function freshNamespace(prefix: string): Promise<string> {
  const { temporalAddress } = await services();
  const namespace = `${prefix}-${randomUUID().slice(0, 8)}`;
  const connection = await Connection.connect({ address: temporalAddress });
  try {
    await connection.workflowService.registerNamespace({
      namespace,
      workflowExecutionRetentionPeriod: msToTs('1 day'),
    });
    // The frontend serves a new namespace once its registry has read it.
    await waitFor(`Temporal namespace ${namespace} to be served`, () =>
      connection.workflowService.listWorkflowExecutions({ namespace, pageSize: 1 }).then(
        () => true,
        () => false,
      ),
    );
  } finally {
    await connection.close();
  }
  return namespace;
}
