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

/** Records whether the drain had to cut connections at its limit (server.closeAllConnections). */
function watchCut(server: http.Server): { cut: boolean } {
  const seen = { cut: false };
  const closeAll = server.closeAllConnections.bind(server);
  server.closeAllConnections = () => {
    seen.cut = true;
    closeAll();
  };
  return seen;
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
  const seen = watchCut(server);
  const drained = drainServer(server, 60_000);
  await assert.rejects(get(port), /ECONNREFUSED/);
  assert.deepEqual(await inFlight, { status: 200, body: 'done' });
  await drained;
  assert.equal(seen.cut, false, 'the drain ended with the request, not at its limit');
});

test('an idle keep-alive connection does not hold the shutdown for its timeout', async () => {
  const { server, port } = await listen((_req, res) => res.end('ok'));
  const agent = new http.Agent({ keepAlive: true });
  try {
    assert.equal((await get(port, agent)).status, 200);
    const seen = watchCut(server);
    await drainServer(server, 60_000);
    assert.equal(seen.cut, false, 'the idle socket was closed at once, not cut at the limit');
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
  const seen = watchCut(server);
  const t0 = Date.now();
  await drainServer(server, 500);
  const elapsed = Date.now() - t0;
  assert.equal(seen.cut, true, 'the hung request was cut');
  assert.ok(elapsed >= 450, `cut after ${elapsed} ms, not before the limit`);
  assert.match(await hung, /socket hang up|ECONNRESET/);
});
