// `npm start`: the whole system. Without DATABASE_URL / POSTGRES_HOST it runs an embedded PostgreSQL, and
// without TEMPORAL_ADDRESS a `temporal server start-dev` (Web UI on TEMPORAL_UI_PORT), both keeping their data
// in DATA_DIR; then the worker and the web server. Ctrl-C stops all of it. Missing model files are fetched
// first, so a fresh checkout can analyse music.
import { ensureModels } from '../providers/models/model-fetch.ts';
import { openDatabase, runProcess } from '../lib/boot.ts';
import { startWeb } from '../web/server.ts';
import { runWorker } from '../worker/run-worker.ts';
import { embeddedPaths, resolveEndpoints } from '../lib/endpoints.ts';
import { startEmbeddedPostgres } from '../lib/embedded/postgres.ts';
import { startEmbeddedTemporal } from '../lib/embedded/temporal.ts';
import { installRuntime } from '../lib/runtime.ts';

installRuntime(); // before the embedded Temporal, whose SDK helper would otherwise create the runtime
await runProcess('start', async (config, shutdown) => {
  let { databaseUrl, temporalAddress } = resolveEndpoints(config);
  const paths = embeddedPaths(config);
  let temporalUiUrl: string | undefined;

  if (config.analysis.workers > 0) {
    // A failed fetch is one warning, not a stop: the page, the media check and clustering work without models.
    const problem = await ensureModels(config.modelsDir, {
      baseUrl: config.modelsBaseUrl,
      progress: (line) => console.log(line),
    });
    if (problem) console.warn(`warning: ${problem}`);
  }

  if (!config.databaseUrl) {
    const pg = await startEmbeddedPostgres({
      dataDir: paths.postgresDir,
      port: config.postgres.embeddedPort,
      user: config.postgres.user,
      password: config.postgres.password,
      database: config.postgres.database,
      rootDir: config.postgres.embeddedRootDir,
      log: (line) => console.log(line),
    });
    shutdown.add('embedded postgres', () => pg.stop());
    databaseUrl = pg.url;
    console.log(
      `embedded PostgreSQL on 127.0.0.1:${config.postgres.embeddedPort} (data: ${pg.dataDir}${pg.reused ? ', reusing the running server' : ''})`,
    );
  }
  if (!config.temporal.address) {
    const t = await startEmbeddedTemporal({
      cliPath: config.temporal.cliPath,
      dbFile: paths.temporalDb,
      port: config.temporal.port,
      uiPort: config.temporal.uiPort,
      namespace: config.temporal.namespace,
    });
    shutdown.add('embedded temporal', () => t.stop());
    temporalAddress = t.address;
    temporalUiUrl = t.uiUrl;
    console.log(
      `embedded Temporal on ${t.address}, Web UI on ${t.uiUrl} (history: ${paths.temporalDb}${t.reused ? ', reusing the running server' : ''})`,
    );
  }

  const pool = await openDatabase(databaseUrl, shutdown, config);
  await runWorker(config, pool, databaseUrl, temporalAddress, shutdown);
  await startWeb(config, pool, temporalAddress, shutdown, temporalUiUrl);
});
