// The database and Temporal as a CLI command uses them: one connection with the configured statement timeout;
// a client, or one line saying Temporal is not reachable.
import type { Client } from '@temporalio/client';
import { loadConfig, type Config } from '../lib/config.ts';
import { createPool, migrate, type Pool } from '../lib/db.ts';
import { resolveEndpoints } from '../lib/endpoints.ts';
import { connectClient } from '../lib/temporal.ts';

export function cliPool(config: Config): Pool {
  return createPool(resolveEndpoints(config).databaseUrl, {
    max: 1,
    statementTimeoutMs: config.database.statementTimeoutMs,
  });
}

/** Runs `work` against the configured, migrated database, then closes it. */
export async function withDatabase<T>(work: (pool: Pool, config: Config) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const pool = cliPool(config);
  try {
    await migrate(pool);
    return await work(pool, config);
  } finally {
    await pool.end();
  }
}

/** The configured Temporal's client; an error naming the address when it cannot be reached. */
export function cliClient(config: Config): Promise<Client> {
  const { temporalAddress } = resolveEndpoints(config);
  return connectClient(temporalAddress, config.temporal.namespace, config.temporal.security).catch((err: Error) => {
    throw new Error(`Temporal at ${temporalAddress} is not reachable (${err.message}); is \`npm start\` running?`);
  });
}
