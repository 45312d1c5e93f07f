// The shared HTTP layer (lib/http.ts) as the media providers use it (errors made as MediaServerError): which
// failures are retried for reads and for writes, Retry-After capping, user aborts, and secrets kept out of
// messages; plus its own defaults (HttpError) and the switches the LLM clients use.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import {
  HttpError,
  fetchJson,
  fetchStream,
  fetchText,
  redactSecrets,
  redactUrl,
  type HttpOptions,
} from '../../lib/http.ts';
import { MediaServerError, mediaHttpError } from '../../providers/media/provider.ts';

type Script = (hit: number, req: http.IncomingMessage, res: http.ServerResponse) => void;

describe('media http helper', () => {
  let script: Script = (_n, _req, res) => res.end('{}');
  let hits = 0;
  const server = http.createServer((req, res) => script(++hits, req, res));
  let base = '';
  const opts = (over: Partial<HttpOptions> = {}): HttpOptions => ({
    server: 'Test',
    timeoutMs: 2000,
    retries: 2,
    backoffMs: 1,
    makeError: mediaHttpError,
    ...over,
  });
  const reset = (s: Script) => {
    hits = 0;
    script = s;
  };
  before(async () => {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  test('GET is retried on 500 and 429 until it succeeds', async () => {
    reset((n, _req, res) => {
      res.statusCode = n === 1 ? 500 : n === 2 ? 429 : 200;
      res.end(n === 3 ? '{"ok":true}' : 'busy');
    });
    const r = await fetchJson<{ ok: boolean }>(`${base}/x`, {}, opts());
    assert.deepEqual(r.body, { ok: true });
    assert.equal(hits, 3);
  });

  test('a Retry-After far in the future is capped by maxBackoffMs', async () => {
    reset((n, _req, res) => {
      if (n === 1) res.writeHead(503, { 'Retry-After': '3600' }).end();
      else res.end('{}');
    });
    const r = await fetchText(`${base}/x`, {}, opts({ maxBackoffMs: 5 }));
    assert.equal(r.status, 200);
    assert.equal(hits, 2);
  });

  test('4xx answers are returned at once, never retried', async () => {
    reset((_n, _req, res) => {
      res.statusCode = 404;
      res.end('nope');
    });
    const r = await fetchText(`${base}/x`, {}, opts());
    assert.equal(r.status, 404);
    assert.equal(r.text, 'nope');
    assert.equal(hits, 1);
  });

  test('POST is not retried after a 500 or a timeout (it may have taken effect), but is after a 503', async () => {
    reset((_n, _req, res) => {
      res.statusCode = 500;
      res.end();
    });
    assert.equal((await fetchText(`${base}/x`, { method: 'POST', body: '{}' }, opts())).status, 500);
    assert.equal(hits, 1);

    reset(() => {}); // never answers
    await assert.rejects(
      fetchText(`${base}/x`, { method: 'POST', body: '{}' }, opts({ timeoutMs: 150 })),
      (e: unknown) => e instanceof MediaServerError && e.code === 'timeout',
    );
    assert.equal(hits, 1);

    reset((n, _req, res) => {
      res.statusCode = n === 1 ? 503 : 200;
      res.end();
    });
    assert.equal((await fetchText(`${base}/x`, { method: 'POST', body: '{}' }, opts())).status, 200);
    assert.equal(hits, 2);
  });

  test('a refused connection is retried, also for POST, then reported with the attempt count', async () => {
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    await assert.rejects(
      fetchText(`http://127.0.0.1:${port}/x`, { method: 'POST' }, opts()),
      (e: unknown) =>
        e instanceof MediaServerError && e.code === 'network' && /ECONNREFUSED.*\(3 attempts\)/.test(e.message),
    );
  });

  test('a user abort stops at once without further attempts', async () => {
    reset(() => {});
    const abort = new AbortController();
    setTimeout(() => abort.abort(new Error('stop now')), 50);
    await assert.rejects(
      fetchText(`${base}/x`, {}, opts({ timeoutMs: 10_000, retries: 5, signal: abort.signal })),
      /stop now/,
    );
    assert.equal(hits, 1);
  });

  test('a stream read late and slowly loses no bytes: the idle timer runs only while the reader waits', async () => {
    const data = Buffer.alloc(256 * 1024, 7);
    reset((_n, _req, res) => res.end(data));
    const r = await fetchStream(`${base}/x`, {}, opts({ timeoutMs: 150 }));
    await new Promise((resolve) => setTimeout(resolve, 300)); // the consumer starts after the idle timeout
    let bytes = 0;
    for await (const chunk of r.body!) {
      bytes += (chunk as Buffer).length;
      await new Promise((resolve) => setTimeout(resolve, 20)); // and applies backpressure
    }
    assert.equal(bytes, data.length);
  });

  test('a 2xx body that is not JSON is a server error that suggests a wrong URL', async () => {
    reset((_n, _req, res) => res.end('<html>login</html>'));
    await assert.rejects(
      fetchJson(`${base}/x`, {}, opts()),
      (e: unknown) => e instanceof MediaServerError && e.code === 'server' && /not JSON/.test(e.message),
    );
  });

  test('credentials in query strings are redacted from URLs in messages', async () => {
    const u = redactUrl('http://user:pw@h/rest/ping.view?u=me&p=secret&t=abc&s=salt&api_key=k1&ApiKey=k2&limit=5');
    for (const secret of ['secret', 'abc', 'salt', 'k1', 'k2', 'pw']) assert.ok(!u.includes(secret), u);
    assert.match(u, /u=me/);
    assert.match(u, /limit=5/);
    reset(() => {});
    await assert.rejects(
      fetchText(`${base}/x?api_key=topsecret`, {}, opts({ timeoutMs: 50, retries: 0 })),
      (e: unknown) => e instanceof Error && !e.message.includes('topsecret') && e.message.includes('api_key=***'),
    );
  });

  test('without makeError the layer throws HttpError with the same codes', async () => {
    reset(() => {});
    await assert.rejects(
      fetchText(`${base}/x`, {}, opts({ timeoutMs: 50, retries: 0, makeError: undefined })),
      (e: unknown) => e instanceof HttpError && !(e instanceof MediaServerError) && e.code === 'timeout',
    );
    reset((_n, _req, res) => res.end('not json'));
    await assert.rejects(
      fetchJson(`${base}/x`, {}, opts({ makeError: undefined })),
      (e: unknown) => e instanceof HttpError && e.code === 'server' && e.status === 200,
    );
  });

  test('retryTimeouts: false gives up after one timed-out attempt even for an idempotent request', async () => {
    reset(() => {});
    await assert.rejects(
      fetchText(
        `${base}/x`,
        { method: 'POST' },
        opts({ timeoutMs: 150, retries: 3, idempotent: true, retryTimeouts: false }),
      ),
      (e: unknown) => e instanceof MediaServerError && e.code === 'timeout',
    );
    assert.equal(hits, 1, 'one attempt, no retry after the timeout');
    // the same request is still retried on a 500, since it is idempotent
    reset((n, _req, res) => {
      res.statusCode = n === 1 ? 500 : 200;
      res.end();
    });
    assert.equal(
      (await fetchText(`${base}/x`, { method: 'POST' }, opts({ idempotent: true, retryTimeouts: false }))).status,
      200,
    );
    assert.equal(hits, 2);
  });

  test('LLM credentials are redacted: the Gemini key parameter, Bearer tokens, API-key headers, listed secrets', async () => {
    const u = redactUrl('https://generativelanguage.googleapis.com/v1beta/models/m:generateContent?key=AIzaSecret123');
    assert.ok(!u.includes('AIzaSecret123'), u);
    assert.match(u, /key=\*\*\*/);
    const text = redactSecrets(
      'Authorization: Bearer sk-live-abcdef123456 failed; x-goog-api-key: AIzaOther999; see ?key=AIzaThird777&x=1; ' +
        'echo of my-own-secret-value; Incorrect API key provided: sk-proj-ABCDEFGH12345',
      ['my-own-secret-value'],
    );
    for (const secret of [
      'sk-live-abcdef123456',
      'AIzaOther999',
      'AIzaThird777',
      'my-own-secret-value',
      'sk-proj-ABCDEFGH12345',
    ]) {
      assert.ok(!text.includes(secret), text);
    }
    assert.match(text, /x=1/);
    reset(() => {});
    await assert.rejects(
      fetchText(
        `${base}/x`,
        { method: 'POST' },
        opts({ timeoutMs: 50, retries: 0, server: 'LLM secret-in-name-123', secrets: ['secret-in-name-123'] }),
      ),
      (e: unknown) => e instanceof Error && !e.message.includes('secret-in-name-123'),
    );
  });
});
