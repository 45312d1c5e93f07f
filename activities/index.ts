// All activities of the main task queue, built from their dependencies once per worker process. The analysis
// queue's activity (activities/analysis.ts) is built by the analysis worker itself.
import type { Client } from '@temporalio/client';
import type { Pool } from '../lib/db.ts';
import type { Config } from '../lib/config.ts';
import { createFoundationActivities } from './foundation.ts';
import { createLibraryActivities } from './library.ts';
import type { MediaProvider } from './media/provider.ts';

export interface ActivityDeps {
  pool: Pool;
  config: Config;
  media: () => Promise<MediaProvider>;
  client?: () => Promise<Client | undefined>;
}

export function createActivities(deps: ActivityDeps) {
  return {
    ...createFoundationActivities(deps),
    ...createLibraryActivities(deps),
  };
}
