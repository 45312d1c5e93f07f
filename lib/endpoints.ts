// Where Postgres and Temporal are: the configured ones, or the embedded ones `npm start` runs.
import path from 'node:path';
import { postgresUrl, type Config } from './config.ts';

export function embeddedPostgresUrl(config: Config): string {
  const { user, password, database, embeddedPort } = config.postgres;
  return postgresUrl({ user, password, database, host: '127.0.0.1', port: embeddedPort });
}

export function resolveEndpoints(config: Config): { databaseUrl: string; temporalAddress: string } {
  return {
    databaseUrl: config.databaseUrl ?? embeddedPostgresUrl(config),
    temporalAddress: config.temporal.address ?? `127.0.0.1:${config.temporal.port}`,
  };
}

export const embeddedPaths = (config: Config) => ({
  postgresDir: path.join(config.dataDir, 'postgres'),
  temporalDb: path.join(config.dataDir, 'temporal', 'temporal.db'),
});
