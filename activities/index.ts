// All activities of the main and clustering task queues, built from their dependencies once per worker
// process. The analysis queue's activity (activities/analysis.ts) is built by the analysis worker itself.
import type { Client } from '@temporalio/client';
import type { Pool } from '../lib/db.ts';
import type { Config } from '../lib/config.ts';
import { createFoundationActivities } from './foundation.ts';
import { createClusteringActivities } from './clustering.ts';
import { createLibraryActivities } from './library.ts';
import { createNamingActivities } from './naming.ts';
import { createPublishingActivities } from './publishing.ts';
import { createVectorIndexActivities } from './vector-index.ts';
import { createHistoryActivities } from './history.ts';
import { createRadioActivities, type RadioDeps } from './radios.ts';
import type { MediaProvider } from '../providers/media/provider.ts';

export interface ActivityDeps {
  pool: Pool;
  config: Config;
  media: () => Promise<MediaProvider>;
  client?: () => Promise<Client | undefined>;
  /** Worker threads of the clustering search pool (default: every core). */
  clusteringThreads?: number;
  /** The songs of a radio's recipe (the worker builds them over the similarity queries). */
  radioSongs?: RadioDeps['radioSongs'];
}

export function createActivities(deps: ActivityDeps) {
  return {
    ...createFoundationActivities(deps),
    ...createLibraryActivities(deps),
    ...createClusteringActivities({ ...deps, threads: deps.clusteringThreads }),
    ...createNamingActivities(deps),
    ...createPublishingActivities(deps),
    ...createVectorIndexActivities(deps),
    ...createHistoryActivities(deps),
    ...createRadioActivities(deps),
  };
}
