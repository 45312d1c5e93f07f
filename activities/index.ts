// All activities, built from their dependencies once per worker process (pool, config, providers, models).
import type { Pool } from '../lib/db.ts';
import type { Config } from '../lib/config.ts';
import { createFoundationActivities } from './foundation.ts';

export interface ActivityDeps {
  pool: Pool;
  config: Config;
}

export function createActivities(deps: ActivityDeps) {
  return {
    ...createFoundationActivities(deps),
  };
}
