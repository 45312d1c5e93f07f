// Start-up pieces shared by every process (`npm start`, `npm run worker`, `npm run web`, the analysis
// processes): configuration, ordered shutdown, the database. The composition roots live in worker/ and web/.
import { ConfigError, loadConfig, maskCredentials, type Config } from './config.ts';
import { createPool, migrate, type Pool } from './db.ts';
import { Shutdown } from './shutdown.ts';

/** Reads the configuration; a bad value ends the process with one line naming the variable. */
export function loadConfigOrExit(): Config {
  try {
    const config = loadConfig();
    for (const w of config.warnings) console.warn(`warning: ${w}`);
    return config;
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(1);
    }
    throw err;
  }
}

/** Runs one process entry point: configuration, ordered shutdown on signals, and a one-line fatal error. */
export async function runProcess(
  name: string,
  body: (config: Config, shutdown: Shutdown) => Promise<void>,
): Promise<void> {
  const config = loadConfigOrExit();
  const shutdown = new Shutdown();
  shutdown.onSignals();
  try {
    await body(config, shutdown);
  } catch (err) {
    console.error(`${name}: ${(err as Error).message}`);
    await shutdown.run();
    process.exit(1);
  }
}

/** The process's one pool (`analysis` processes keep a smaller one), migrated before use. */
export async function openDatabase(
  url: string,
  shutdown: Shutdown,
  config: Config,
  role: 'main' | 'analysis' = 'main',
): Promise<Pool> {
  const { poolSize, analysisPoolSize, statementTimeoutMs, migrationLockTimeoutMs } = config.database;
  const pool = createPool(url, { max: role === 'analysis' ? analysisPoolSize : poolSize, statementTimeoutMs });
  shutdown.add('postgres pool', () => pool.end());
  try {
    await migrate(pool, undefined, migrationLockTimeoutMs);
  } catch (err) {
    throw new Error(`PostgreSQL at ${maskCredentials(url)} is not usable: ${(err as Error).message}`);
  }
  return pool;
}
