// `npm run web`: the web UI + REST API alone against configured Postgres and Temporal.
import { openDatabase, runProcess } from '../lib/boot.ts';
import { startWeb } from './server.ts';
import { resolveEndpoints } from '../lib/endpoints.ts';

await runProcess('web', async (config, shutdown) => {
  const { databaseUrl, temporalAddress } = resolveEndpoints(config);
  const pool = await openDatabase(databaseUrl, shutdown, config);
  await startWeb(config, pool, temporalAddress, shutdown);
});
