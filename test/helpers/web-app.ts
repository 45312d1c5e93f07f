// The web app (web/app.ts) served on a throwaway loopback port, for the tests that call it over HTTP.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp, type WebDeps } from '../../web/app.ts';

const open = new Set<http.Server>();

export interface ServedApp {
  /** http://127.0.0.1:<port> */
  base: string;
  close(): void;
}

/**
 * Serves an app built from `deps` on a free port. `keepAliveTimeout` longer than any pause between a test's
 * requests keeps fetch from reusing a socket the server has just closed.
 */
export async function serveApp(deps: WebDeps, opts: { keepAliveTimeout?: number } = {}): Promise<ServedApp> {
  const handle = createApp(deps).callback();
  const server = http.createServer((req, res) => void handle(req, res));
  if (opts.keepAliveTimeout !== undefined) server.keepAliveTimeout = opts.keepAliveTimeout;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  open.add(server);
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => {
      if (open.delete(server)) server.close();
    },
  };
}

/** Closes every app served by this test file and not closed yet (for `after`). */
export function closeServedApps(): void {
  for (const server of open) server.close();
  open.clear();
}

/** A request naming any Host (fetch always sends the URL's host): what a DNS-rebinding page's browser sends. */
export function requestAs(
  base: string,
  host: string,
  path: string,
  opts: { method?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      `${base}${path}`,
      { method: opts.method ?? 'GET', headers: { ...opts.headers, host } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode!, body: text.startsWith('{') ? JSON.parse(text) : text }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}
