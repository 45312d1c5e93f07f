// Refuses what another web page can make a browser send, with or without API_TOKEN: a state-changing request
// from another origin (CSRF), and any request naming a Host this server does not answer to (DNS rebinding: a
// hostile name made to resolve to this machine). IP-address Hosts are accepted: no other site's page is served
// from an IP address of ours, and in a container the host's LAN address is not among the container's own.
import net from 'node:net';
import os from 'node:os';
import type Koa from 'koa';
import { ApiError } from './errors.ts';

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** This machine's names (its addresses are IP literals, accepted anyway) and the configured ALLOWED_HOSTS. */
export function knownHostNames(allowed: readonly string[]): Set<string> {
  const name = os.hostname().toLowerCase();
  const names = new Set(['localhost', name, name.split('.')[0], ...allowed]);
  for (const list of Object.values(os.networkInterfaces()))
    for (const a of list ?? []) names.add(a.address.toLowerCase());
  return names;
}

/** `example.com:443` and `example.com` are the same server for an https origin; ports 80/443 are dropped. */
const sameHost = (a: string, b: string) => {
  const bare = (h: string) => h.toLowerCase().replace(/:(80|443)$/, '');
  return bare(a) === bare(b);
};

export function requestGuard(allowedHosts: readonly string[] | '*'): Koa.Middleware {
  const names = allowedHosts === '*' ? undefined : knownHostNames(allowedHosts);
  return async (ctx, next) => {
    // ctx.hostname: the Host header (X-Forwarded-Host with TRUST_PROXY); brackets of an IPv6 literal removed.
    const hostname = ctx.hostname.toLowerCase().replace(/^\[(.*)\]$/, '$1');
    if (names && hostname && !net.isIP(hostname) && !names.has(hostname) && !hostname.endsWith('.localhost'))
      throw new ApiError(
        421,
        `this server does not answer to the host name "${hostname}"; add it to ALLOWED_HOSTS if it is yours (e.g. a reverse proxy's name)`,
      );
    if (STATE_CHANGING.has(ctx.method)) {
      const origin = ctx.get('origin');
      if (origin) {
        let host: string | undefined;
        try {
          host = new URL(origin).host;
        } catch {
          host = undefined; // "null" (sandboxed frames, file: pages) or garbage
        }
        if (!host || !sameHost(host, ctx.host))
          throw new ApiError(
            403,
            `cross-site request refused: Origin ${origin} is not this server (${ctx.host}); use the page served here`,
          );
      } else if (['cross-site', 'same-site'].includes(ctx.get('sec-fetch-site')))
        throw new ApiError(403, 'cross-site request refused: Sec-Fetch-Site says another site sent it');
    }
    await next();
  };
}
