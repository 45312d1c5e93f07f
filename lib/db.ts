// PostgreSQL access: one pool per process, sized and time-limited from the configuration, and migrations
// applied under an advisory lock.
import pg from 'pg';
import { SPEC } from './config.ts';
import { MIGRATIONS, type Migration } from './migrations.ts';

export type Pool = pg.Pool;

/** Runs `body` in one transaction on one connection: committed if it returns, rolled back if it throws. */
export async function inTransaction<T>(pool: pg.Pool, body: (c: pg.PoolClient) => Promise<T>): Promise<T> {
  const c = await pool.connect();
  try {
    await c.query('BEGIN');
    const result = await body(c);
    await c.query('COMMIT');
    return result;
  } catch (err) {
    await c.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    c.release();
  }
}

/**
 * Runs one statement and hands each row (an array, in column order) to `each` as node-pg parses it, keeping none:
 * a big read is decoded while PostgreSQL still sends it. The first error thrown by `each` is thrown here once the
 * statement ends; after any error the connection is discarded, not returned to the pool.
 */
export async function streamRows(
  pool: pg.Pool,
  text: string,
  values: unknown[],
  each: (row: any[]) => void,
): Promise<void> {
  const client = await pool.connect();
  let failed: unknown;
  let broken = false;
  try {
    await new Promise<void>((resolve, reject) => {
      const config: pg.QueryArrayConfig = { text, values, rowMode: 'array' };
      const query = new pg.Query(config);
      query.on('row', (row: any[]) => {
        if (failed !== undefined) return;
        try {
          each(row);
        } catch (err) {
          failed = err;
        }
      });
      query.on('error', reject);
      query.on('end', () => (failed === undefined ? resolve() : reject(failed as Error)));
      client.query(query);
    });
  } catch (err) {
    broken = true;
    throw err;
  } finally {
    client.release(broken);
  }
}

/** Arbitrary constant; every AudioMuse process migrating the same database takes this lock. */
const MIGRATION_LOCK_ID = 0x41554d53; // "AUMS"

export interface PoolOptions {
  /** Connections kept at most (DATABASE_POOL_SIZE, ANALYSIS_DATABASE_POOL_SIZE). */
  max?: number;
  /** PostgreSQL cancels a statement running longer (DATABASE_STATEMENT_TIMEOUT_SECONDS); 0 = no limit. */
  statementTimeoutMs?: number;
}

export function createPool(connectionString: string, opts: PoolOptions = {}): pg.Pool {
  const pool = new pg.Pool({
    connectionString,
    max: opts.max ?? SPEC.DATABASE_POOL_SIZE.default,
    // A session setting sent at connect: a runaway query cannot hold a connection (and its locks) for good.
    statement_timeout: opts.statementTimeoutMs ?? SPEC.DATABASE_STATEMENT_TIMEOUT_SECONDS.default * 1000,
    connectionTimeoutMillis: 10_000,
  });
  // An idle client losing its connection (e.g. Postgres restarted) must not crash the process.
  pool.on('error', (err) => console.warn(`postgres: idle connection error: ${err.message}`));
  return pool;
}

/** PostgreSQL's lock_not_available: a statement gave up waiting for a lock (lock_timeout). */
const LOCK_NOT_AVAILABLE = '55P03';

/**
 * Applies pending migrations; safe to call from several processes at once. Returns the versions applied.
 * No statement timeout (a migration may rewrite a big table, and a process waits here while another migrates),
 * but a lock timeout: DDL queued behind a long query would block every later query of that table.
 */
export async function migrate(
  pool: pg.Pool,
  migrations: Migration[] = MIGRATIONS,
  lockTimeoutMs = SPEC.MIGRATION_LOCK_TIMEOUT_SECONDS.default * 1000,
): Promise<number[]> {
  const client = await pool.connect();
  try {
    await client.query('SET statement_timeout = 0');
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_ID]);
    await client.query(`SET lock_timeout = ${Math.trunc(lockTimeoutMs)}`);
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())`);
    const { rows } = await client.query<{ version: number }>('SELECT version FROM schema_migrations');
    const done = new Set(rows.map((r) => r.version));
    const applied: number[] = [];
    for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
      if (done.has(m.version)) continue;
      await client.query('BEGIN');
      try {
        await client.query(m.sql);
        await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK');
        const waited =
          (err as { code?: string }).code === LOCK_NOT_AVAILABLE
            ? ` (waited MIGRATION_LOCK_TIMEOUT_SECONDS=${lockTimeoutMs / 1000} for a lock a running query holds; a restart retries)`
            : '';
        throw new Error(`migration ${m.version} (${m.name}) failed: ${(err as Error).message}${waited}`);
      }
      applied.push(m.version);
    }
    return applied;
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_ID]).catch(() => undefined);
    // Back to the pool's own timeouts (session settings stay with the pooled connection).
    await client.query('RESET lock_timeout; RESET statement_timeout').catch(() => undefined);
    client.release();
  }
}
