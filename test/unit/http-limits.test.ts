// lib/http.ts against real local servers: response bodies are capped (text, JSON, streams, LLM answers) with an
// error naming the limit, and a redirect is followed only within the same host.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { fetchJson, fetchStream, fetchText, type HttpOptions } from '../../lib/http.ts';
import { llmHttpOptions, postJson } from '../../providers/naming/llm-http.ts';

const KEY = 'secret-key-0123456789';
const requests: string[] = [];
let main: http.Server;
let other: http.Server;
let base = '';
let otherBase = '';

function listen(handler: http.RequestListener): Promise<[http.Server, string]> {
  const server = http.createServer(handler);
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve([server, `${(server.address() as AddressInfo).port}`])),
  );
}

before(async () => {
  let port: string;
  [other, port] = await listen((req, res) => {
    requests.push(`other ${req.method} ${req.url}`);
    res.end('{}');
  });
  // `localhost` is another host than `127.0.0.1` for the redirect rule, though it is the same machine.
  otherBase = `http://localhost:${port}`;
  [main, port] = await listen((req, res) => {
    requests.push(`main ${req.method} ${req.url}`);
    const u = new URL(req.url!, 'http://x');
    const n = Number(u.searchParams.get('bytes') ?? 0);
    if (u.pathname === '/chunked') {
      // No Content-Length: the cap must hold while reading.
      for (let sent = 0; sent < n; sent += 1000) res.write('x'.repeat(Math.min(1000, n - sent)));
      return void res.end();
    }
    if (u.pathname === '/sized') return void res.writeHead(200, { 'content-length': n }).end('x'.repeat(n));
    if (u.pathname === '/llm') return void res.end(JSON.stringify({ text: 'y'.repeat(n) }));
    if (u.pathname === '/away') return void res.writeHead(302, { location: `${otherBase}/taken?api_key=${KEY}` }).end();
    if (u.pathname === '/moved') return void res.writeHead(301, { location: '/here' }).end();
    if (u.pathname === '/here') return void res.end('{"here":true}');
    if (u.pathname === '/loop') return void res.writeHead(307, { location: '/loop' }).end();
    res.writeHead(404).end();
  });
  base = `http://127.0.0.1:${port}`;
});
after(() => {
  main.close();
  other.close();
});

const opts = (extra: Partial<HttpOptions> = {}): HttpOptions => ({
  server: 'Jellyfin',
  timeoutMs: 10_000,
  retries: 1,
  backoffMs: 1,
  ...extra,
});

test('a text answer larger than maxBodyBytes is an error naming the limit, with or without Content-Length', async () => {
  assert.equal((await fetchText(`${base}/chunked?bytes=3000`, {}, opts({ maxBodyBytes: 3000 }))).text.length, 3000);
  for (const path of ['/chunked', '/sized'])
    await assert.rejects(fetchText(`${base}${path}?bytes=3001`, {}, opts({ maxBodyBytes: 3000 })), (err: Error) => {
      assert.equal(err.message.split('\n').length, 1);
      assert.match(err.message, /^Jellyfin answered GET .* with more than 3000 bytes, the limit of a response/);
      return true;
    });
  await assert.rejects(
    fetchJson(`${base}/sized?bytes=${5 * 1024 * 1024}`, {}, opts({ maxBodyBytes: 4 * 1024 * 1024 })),
    /with more than 4 MiB, the limit/,
  );
});

test('a streamed download stops with the same error past its cap', async () => {
  const r = await fetchStream(`${base}/chunked?bytes=50000`, {}, opts({ maxBodyBytes: 20_000 }));
  let got = 0;
  await assert.rejects(
    (async () => {
      for await (const chunk of r.body!) got += (chunk as Buffer).length;
    })(),
    /Jellyfin answered GET .*\/chunked.* with more than 20000 bytes/,
  );
  assert.ok(got <= 20_000, `${got} bytes passed the cap`);
  await assert.rejects(
    fetchStream(`${base}/sized?bytes=50000`, {}, opts({ maxBodyBytes: 20_000 })),
    /more than 20000 bytes/,
    'a Content-Length above the cap fails before reading',
  );
});

test('an LLM answer is capped at 4 MiB by default', async () => {
  const llm = llmHttpOptions('Ollama', { retries: 0 }, [], undefined);
  assert.deepEqual(await postJson(`${base}/llm?bytes=10`, {}, {}, llm), { text: 'y'.repeat(10) });
  await assert.rejects(
    postJson(`${base}/llm?bytes=${5 * 1024 * 1024}`, {}, {}, llm),
    (err: Error) => err.name === 'NamingError' && /Ollama answered POST .* with more than 4 MiB/.test(err.message),
  );
});

test('a redirect to another host is not followed: the error names it, without credentials', async () => {
  requests.length = 0;
  await assert.rejects(
    fetchText(`${base}/away`, { headers: { authorization: `Bearer ${KEY}` } }, opts({ secrets: [KEY] })),
    (err: Error) => {
      assert.match(
        err.message,
        /^Jellyfin redirected GET http:\/\/127\.0\.0\.1:\d+\/away to another host \(http:\/\/localhost:\d+\/taken\?api_key=\*\*\*\); not followed/,
      );
      assert.ok(!err.message.includes(KEY));
      return true;
    },
  );
  assert.deepEqual(
    requests.filter((r) => r.startsWith('other')),
    [],
    'the other host saw no request',
  );
});

test('a redirect within the host is followed (a POST after 301 becomes a GET); a loop ends', async () => {
  assert.deepEqual((await fetchJson(`${base}/moved`, {}, opts())).body, { here: true });
  requests.length = 0;
  await fetchText(`${base}/moved`, { method: 'POST', body: '{}' }, opts());
  assert.deepEqual(requests, ['main POST /moved', 'main GET /here']);
  await assert.rejects(fetchText(`${base}/loop`, {}, opts()), /Jellyfin redirected GET .*\/loop more than 5 times/);
});
