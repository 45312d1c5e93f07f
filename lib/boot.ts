// Start-up pieces shared by `npm start`, `npm run worker` and `npm run web`.
import http from 'node:http';
import type { Client } from '@temporalio/client';
import { ConfigError, loadConfig, type Config } from './config.ts';
import { createPool, migrate, type Pool } from './db.ts';
import { connectClient, connectWorker } from './temporal.ts';
import { installRuntime } from './runtime.ts';
import { Shutdown } from './shutdown.ts';
import { createWorker } from '../worker/worker.ts';
import { startAnalysisPool } from '../worker/analysis-pool.ts';
import { analysisTaskQueue } from './task-queues.ts';
import { createApp, type WebDeps } from '../web/app.ts';
import { createMediaProvider } from '../activities/media/index.ts';

/** Reads the configuration; a bad value ends the process with one line naming the variable. */
export function loadConfigOrExit(): Config {
  try {
    const config = loadConfig();
    for (const w of config.warnings) console.warn(`warning: ${w}`);
    return config;
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(1);
    }
    throw err;
  }
}

/** Runs one process entry point: configuration, ordered shutdown on signals, and a one-line fatal error. */
export async function runProcess(name: string, body: (config: Config, shutdown: Shutdown) => Promise<void>): Promise<void> {
  const config = loadConfigOrExit();
  const shutdown = new Shutdown();
  shutdown.onSignals();
  try {
    await body(config, shutdown);
  } catch (err) {
    console.error(`${name}: ${(err as Error).message}`);
    await shutdown.run();
    process.exit(1);
  }
}

export async function openDatabase(url: string, shutdown: Shutdown, maxConnections?: number): Promise<Pool> {
  const pool = createPool(url, maxConnections);
  shutdown.add('postgres pool', () => pool.end());
  try {
    await migrate(pool);
  } catch (err) {
    throw new Error(`PostgreSQL at ${url.replace(/:[^:@/]*@/, ':***@')} is not usable: ${(err as Error).message}`);
  }
  return pool;
}

/** The main worker (workflows + light activities) in this process, and ANALYSIS_WORKERS analysis processes. */
export async function runWorker(config: Config, pool: Pool, databaseUrl: string, temporalAddress: string, shutdown: Shutdown): Promise<void> {
  installRuntime();
  const connection = await connectWorker(temporalAddress);
  shutdown.add('temporal worker connection', () => connection.close());
  let client: Promise<Client> | undefined;
  const activityClient = () => {
    client ??= connectClient(temporalAddress, config.temporal.namespace);
    client.catch(() => (client = undefined));
    return client;
  };
  shutdown.add('activity client', async () => { if (client) await (await client.catch(() => undefined))?.connection.close(); });
  const graceMs = config.worker.shutdownGraceMs;
  const workers = await createWorker({ connection, pool, config, client: activityClient, shutdownGraceMs: graceMs });
  const running = Promise.all(workers.map((w) => w.run()));
  running.catch((err) => {
    console.error(`worker stopped: ${(err as Error).message}`);
    process.exitCode = 1;
    void shutdown.run().then(() => process.exit(1));
  });
  // Each analysis process gets the same grace for its track (it reads WORKER_SHUTDOWN_GRACE_SECONDS too);
  // a process still running 15 s after that is killed.
  const analysis = config.analysis.workers > 0
    ? startAnalysisPool(config.analysis.workers, { ...process.env, DATABASE_URL: databaseUrl, TEMPORAL_ADDRESS: temporalAddress }, { killAfterMs: graceMs + 15_000 })
    : undefined;
  // One step, so the main worker and the analysis processes drain in parallel: a SIGTERM costs one grace
  // period, which is what the pod's terminationGracePeriodSeconds is sized for.
  shutdown.add('workers', async () => {
    for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
    await Promise.all([running.catch(() => undefined), analysis?.stop()]);
  });
  console.log(`worker polling task queue "${config.temporal.taskQueue}" on ${temporalAddress}; ${config.analysis.workers} analysis process(es) on "${analysisTaskQueue(config.temporal.taskQueue)}"`);
}

/** How long requests in flight at SIGTERM may take before their connections are cut. */
export const WEB_DRAIN_MS = 10_000;

/**
 * Stops accepting connections, closes idle keep-alive sockets, lets requests in flight finish (their sockets
 * close after the response), and cuts whatever is still open after `drainMs`.
 */
export function drainServer(server: http.Server, drainMs: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const cut = setTimeout(() => server.closeAllConnections(), drainMs);
    cut.unref();
    server.close(() => { clearTimeout(cut); resolve(); });
    server.closeIdleConnections();
    // A keep-alive socket that finishes its request now is idle: close it instead of waiting for its timeout.
    server.on('request', (_req, res) => res.setHeader('Connection', 'close'));
    const sweep = setInterval(() => server.closeIdleConnections(), 100);
    sweep.unref();
    server.once('close', () => clearInterval(sweep));
  });
}

/** Connects a client, retrying in the background: the web UI must come up (and say so) while Temporal is down. */
function connectClientInBackground(deps: WebDeps, address: string, namespace: string, shutdown: Shutdown): void {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  shutdown.add('temporal client', async () => {
    stopped = true;
    clearTimeout(timer);
    await deps.client?.connection.close();
  });
  const attempt = async () => {
    try {
      const client = await connectClient(address, namespace);
      if (stopped) await client.connection.close();
      else deps.client = client;
    } catch (err) {
      if (!stopped) {
        console.warn(`web: Temporal at ${address} not reachable (${(err as Error).message}); retrying in 5 s`);
        timer = setTimeout(() => void attempt(), 5000);
      }
    }
  };
  void attempt();
}

export async function startWeb(config: Config, pool: Pool, temporalAddress: string, shutdown: Shutdown, temporalUiUrl?: string): Promise<http.Server> {
  const media = await createMediaProvider(config);
  const deps: WebDeps = { pool, config, temporalAddress, temporalUiUrl, media };
  connectClientInBackground(deps, temporalAddress, config.temporal.namespace, shutdown);
  const app = createApp(deps);
  const handle = app.callback();
  const server = http.createServer((req, res) => void handle(req, res));
  // Above the usual proxy/browser idle timeouts (60 s), so a client never reuses a socket we just closed.
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'EADDRINUSE' ? new Error(`WEB_PORT=${config.webPort} is already in use; choose another port.`) : err));
    server.listen(config.webPort, config.webHost, resolve);
  });
  shutdown.add('web server', () => drainServer(server, WEB_DRAIN_MS));
  console.log(`web UI and API on http://localhost:${config.webPort}`);
  return server;
}

export type { Client };
