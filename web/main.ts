// `npm run web`: the web UI + REST API alone against configured Postgres and Temporal.
import { loadConfigOrExit, openDatabase, startWeb } from '../lib/boot.ts';
import { resolveEndpoints } from '../lib/endpoints.ts';
import { Shutdown } from '../lib/shutdown.ts';

const config = loadConfigOrExit();
const shutdown = new Shutdown();
shutdown.onSignals();
try {
  const { databaseUrl, temporalAddress } = resolveEndpoints(config);
  const pool = await openDatabase(databaseUrl, shutdown);
  await startWeb(config, pool, temporalAddress, shutdown);
} catch (err) {
  console.error(`web: ${(err as Error).message}`);
  await shutdown.run();
  process.exit(1);
}
