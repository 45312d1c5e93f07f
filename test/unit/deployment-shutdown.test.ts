// Graceful shutdown of the web server on SIGTERM (web/server.ts drainServer): requests in flight finish, new
// connections are refused, idle keep-alive sockets do not hold the shutdown, a hung request is cut at the
// drain limit. Real sockets on loopback.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { drainServer } from '../../web/server.ts';

async function listen(handler: http.RequestListener): Promise<{ server: http.Server; port: number }> {
  const server = http.createServer(handler);
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as { port: number }).port };
}

const get = (port: number, agent?: http.Agent) =>
  new Promise<{ status: number; body: string }>((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: '/', agent }, (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode!, body }));
      })
      .on('error', reject);
  });

test('a request in flight finishes; new connections are refused; drain ends when it is done', async () => {
  const { server, port } = await listen((_req, res) => setTimeout(() => res.end('done'), 400));
  const inFlight = get(port);
  await new Promise((r) => setTimeout(r, 100));
  const t0 = Date.now();
  const drained = drainServer(server, 5000);
  await assert.rejects(get(port), /ECONNREFUSED/);
  assert.deepEqual(await inFlight, { status: 200, body: 'done' });
  await drained;
  assert.ok(Date.now() - t0 < 2000, `drained in ${Date.now() - t0} ms, not at the limit`);
});

test('an idle keep-alive connection does not hold the shutdown for its timeout', async () => {
  const { server, port } = await listen((_req, res) => res.end('ok'));
  const agent = new http.Agent({ keepAlive: true });
  try {
    assert.equal((await get(port, agent)).status, 200);
    const t0 = Date.now();
    await drainServer(server, 5000);
    assert.ok(Date.now() - t0 < 1000, `closed in ${Date.now() - t0} ms`);
  } finally {
    agent.destroy();
  }
});

test('a request that never ends is cut at the drain limit', async () => {
  const { server, port } = await listen(() => {
    /* never answers */
  });
  const hung = get(port).then(
    () => 'answered',
    (err: Error) => err.message,
  );
  await new Promise((r) => setTimeout(r, 100));
  const t0 = Date.now();
  await drainServer(server, 500);
  const elapsed = Date.now() - t0;
  assert.ok(elapsed >= 450 && elapsed < 2000, `cut after ${elapsed} ms`);
  assert.match(await hung, /socket hang up|ECONNRESET/);
});
