// `npm run worker`: one worker process against configured Postgres and Temporal (how a cluster runs it).
import { loadConfigOrExit, openDatabase, runWorker } from '../lib/boot.ts';
import { resolveEndpoints } from '../lib/endpoints.ts';
import { Shutdown } from '../lib/shutdown.ts';

const config = loadConfigOrExit();
const shutdown = new Shutdown();
shutdown.onSignals();
try {
  const { databaseUrl, temporalAddress } = resolveEndpoints(config);
  const pool = await openDatabase(databaseUrl, shutdown);
  await runWorker(config, pool, temporalAddress, shutdown);
} catch (err) {
  console.error(`worker: ${(err as Error).message}`);
  await shutdown.run();
  process.exit(1);
}
