// `npm run worker`: one worker process against configured Postgres and Temporal (how a cluster runs it).
import { openDatabase, runProcess } from '../lib/boot.ts';
import { runWorker } from './run-worker.ts';
import { resolveEndpoints } from '../lib/endpoints.ts';

await runProcess('worker', async (config, shutdown) => {
  const { databaseUrl, temporalAddress } = resolveEndpoints(config);
  const pool = await openDatabase(databaseUrl, shutdown, config);
  await runWorker(config, pool, databaseUrl, temporalAddress, shutdown);
});
