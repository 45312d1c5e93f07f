// The database as a CLI command uses it: one connection with the configured statement timeout.
import { loadConfig, type Config } from '../lib/config.ts';
import { createPool, migrate, type Pool } from '../lib/db.ts';
import { resolveEndpoints } from '../lib/endpoints.ts';

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
