// One analysis process: a Temporal worker on the analysis task queue running one track at a time. Started by
// the worker (worker/analysis-pool.ts) once per core; exits when its parent goes away, even after a kill -9.
import { openDatabase, runProcess } from '../lib/boot.ts';
import { resolveEndpoints } from '../lib/endpoints.ts';
import { installRuntime } from '../lib/runtime.ts';
import { connectWorker } from '../lib/temporal.ts';
import { getMusicnnModels } from '../engines/analysis/musicnn.ts';
import { createAnalysisWorker } from './worker.ts';
import { processTempDir } from './temp-dirs.ts';

await runProcess('analysis', async (config, shutdown) => {
  const { databaseUrl, temporalAddress } = resolveEndpoints(config);
  // Load the sessions before polling, so the first track does not pay for them; when the models are missing,
  // say it once here, and each track then fails fast with the same typed SetupError.
  await getMusicnnModels({ modelsDir: config.modelsDir }).catch((err: Error) =>
    console.warn(`analysis: ${err.message}`),
  );
  const pool = await openDatabase(databaseUrl, shutdown, config, 'analysis');
  installRuntime();
  const connection = await connectWorker(temporalAddress, config.temporal.security);
  shutdown.add('temporal worker connection', () => connection.close());
  const worker = await createAnalysisWorker({
    connection,
    pool,
    config,
    tempDir: processTempDir(config.tempDir),
    shutdownGraceMs: config.worker.shutdownGraceMs,
  });
  const running = worker.run();
  shutdown.add('analysis worker', async () => {
    if (worker.getState() === 'RUNNING') worker.shutdown();
    await running;
  });
  process.on('disconnect', () => void shutdown.run().then(() => process.exit(0)));
  process.send?.({ ready: true });
  await running;
});
