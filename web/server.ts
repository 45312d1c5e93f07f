// The web process's composition root: the media provider, a Temporal client connected in the background, the
// Koa app on an HTTP server that drains on shutdown.
import http from 'node:http';
import { createMediaProvider } from '../providers/media/index.ts';
import type { Config } from '../lib/config.ts';
import type { Pool } from '../lib/db.ts';
import type { Shutdown } from '../lib/shutdown.ts';
import { connectClient } from '../lib/temporal.ts';
import { createApp, type WebDeps } from './app.ts';
import { ensureUiBundle } from './ui-bundle.ts';

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
    server.close(() => {
      clearTimeout(cut);
      resolve();
    });
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
      const client = await connectClient(address, namespace, deps.config.temporal.security);
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

export async function startWeb(
  config: Config,
  pool: Pool,
  temporalAddress: string,
  shutdown: Shutdown,
  temporalUiUrl?: string,
): Promise<http.Server> {
  const media = await createMediaProvider(config);
  const deps: WebDeps = { pool, config, temporalAddress, temporalUiUrl, media };
  connectClientInBackground(deps, temporalAddress, config.temporal.namespace, shutdown);
  const app = createApp(deps);
  await ensureUiBundle(); // a fresh checkout has no bundle yet: build it (~100 ms) before the first page load
  const handle = app.callback();
  const server = http.createServer((req, res) => void handle(req, res));
  // Above the usual proxy/browser idle timeouts (60 s), so a client never reuses a socket we just closed.
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        err.code === 'EADDRINUSE'
          ? new Error(`WEB_PORT=${config.webPort} is already in use; choose another port.`)
          : err,
      ),
    );
    server.listen(config.webPort, config.webHost, resolve);
  });
  shutdown.add('web server', () => drainServer(server, WEB_DRAIN_MS));
  console.log(`web UI and API on http://localhost:${config.webPort}`);
  const loopback = /^(localhost|127(\.\d+){3}|::1|\[::1\])$/i.test(config.webHost);
  if (!config.apiToken && !loopback)
    console.warn(
      `warning: the API is open to the network: WEB_HOST=${config.webHost} and no API_TOKEN; anyone who can reach port ${config.webPort} can start and cancel runs (set API_TOKEN, or WEB_HOST=127.0.0.1)`,
    );
  return server;
}
