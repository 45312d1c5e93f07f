// External Temporal over TLS with the configuration's files (TEMPORAL_TLS_*, TEMPORAL_API_KEY), through
// lib/temporal.ts for both the client and the worker's NativeConnection. `temporal server start-dev` has no
// TLS flags, so a TLS-terminating gRPC proxy with an openssl-made CA, server and client certificates sits in
// front of the harness's dev server: it demands a client certificate (mutual TLS), records each call's
// `authorization` header (the API key) and forwards the call in clear to the dev server.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import path from 'node:path';
import { ConfigError, loadConfig } from '../../lib/config.ts';
import { connectClient, connectWorker } from '../../lib/temporal.ts';
import { releaseServices, scratchDir, services } from '../helpers/services.ts';

const dir = scratchDir('temporal-tls');
const file = (name: string) => path.join(dir, name);
const SERVER_NAME = 'temporal.audiomuse.test';
const API_KEY = 'tls-test-api-key-0123456789';
let proxy: http2.Http2SecureServer;
let upstream: http2.ClientHttp2Session;
let address = '';
/** Per forwarded call: its path, the client certificate's CN, its `authorization` header. */
const calls: { path: string; clientCn: string; authorization?: string }[] = [];
/** TLS handshakes the proxy saw fail, with OpenSSL's reason. */
const handshakeErrors: string[] = [];

function openssl(...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

before(async () => {
  // A CA, a server certificate for SERVER_NAME (not the address: TEMPORAL_TLS_SERVER_NAME must be used), and
  // a client certificate, all signed by the CA.
  openssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
    '-days',
    '2',
    '-subj',
    '/CN=AudioMuse test CA',
  );
  for (const [name, cn, ext] of [
    ['server', SERVER_NAME, `subjectAltName=DNS:${SERVER_NAME}`],
    ['client', 'audiomuse-worker', 'extendedKeyUsage=clientAuth'],
  ]) {
    openssl(
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.csr`,
      '-subj',
      `/CN=${cn}`,
    );
    fs.writeFileSync(file(`${name}.ext`), `${ext}\n`);
    openssl(
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      `${name}.crt`,
      '-days',
      '2',
      '-extfile',
      `${name}.ext`,
    );
  }
  const { temporalAddress } = await services();
  upstream = http2.connect(`http://${temporalAddress}`);
  proxy = http2.createSecureServer({
    key: fs.readFileSync(file('server.key')),
    cert: fs.readFileSync(file('server.crt')),
    ca: fs.readFileSync(file('ca.crt')),
    requestCert: true,
    rejectUnauthorized: true,
  });
  proxy.on('stream', (stream, headers) => {
    const peer = (stream.session?.socket as TLSSocket).getPeerCertificate();
    calls.push({
      path: String(headers[':path']),
      clientCn: String(peer.subject?.CN ?? ''),
      authorization: headers.authorization as string | undefined,
    });
    const forwarded: http2.OutgoingHttpHeaders = {};
    for (const [k, v] of Object.entries(headers))
      if (!k.startsWith(':') || k === ':path' || k === ':method') forwarded[k] = v;
    const call = upstream.request(forwarded);
    let trailers: http2.IncomingHttpHeaders = {};
    call.on('response', (h) => {
      const out: http2.OutgoingHttpHeaders = {};
      for (const [k, v] of Object.entries(h)) if (!k.startsWith(':') || k === ':status') out[k] = v;
      stream.respond(out, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers(trailers));
    });
    call.on('trailers', (t) => {
      trailers = Object.fromEntries(Object.entries(t).filter(([k]) => !k.startsWith(':'))) as http2.IncomingHttpHeaders;
    });
    call.on('error', () => stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR));
    stream.on('error', () => call.close());
    stream.pipe(call);
    call.pipe(stream);
  });
  proxy.on('tlsClientError', (err) => handshakeErrors.push(err.message));
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  address = `127.0.0.1:${(proxy.address() as AddressInfo).port}`;
});

after(async () => {
  upstream?.close();
  await new Promise((r) => (proxy ? proxy.close(r) : r(undefined)));
  fs.rmSync(dir, { recursive: true, force: true });
  await releaseServices();
});

const tlsEnv = (extra: Record<string, string> = {}) => ({
  TEMPORAL_ADDRESS: address,
  TEMPORAL_TLS_CA_FILE: file('ca.crt'),
  TEMPORAL_TLS_CERT_FILE: file('client.crt'),
  TEMPORAL_TLS_KEY_FILE: file('client.key'),
  TEMPORAL_TLS_SERVER_NAME: SERVER_NAME,
  TEMPORAL_API_KEY: API_KEY,
  ...extra,
});

test('client and worker connect over mutual TLS with the configured CA, certificate, server name and API key', async () => {
  const config = loadConfig(tlsEnv());
  calls.length = 0;
  const client = await connectClient(address, 'default', config.temporal.security);
  try {
    const { namespaceInfo } = await client.workflowService.describeNamespace({ namespace: 'default' });
    assert.equal(namespaceInfo?.name, 'default', 'a real answer of the dev server, through TLS');
  } finally {
    await client.connection.close();
  }
  const worker = await connectWorker(address, config.temporal.security);
  try {
    const info = await worker.workflowService.getSystemInfo({});
    assert.ok(info.serverVersion, 'the worker connection answers through TLS too');
  } finally {
    await worker.close();
  }
  assert.ok(calls.some((c) => c.path.endsWith('/DescribeNamespace')));
  assert.ok(calls.length >= 2);
  for (const c of calls) {
    assert.equal(c.clientCn, 'audiomuse-worker', `${c.path}: the client certificate was presented`);
    assert.equal(c.authorization, `Bearer ${API_KEY}`, `${c.path}: the API key was sent`);
  }
});

test('without the CA the server is not trusted; without the client certificate it refuses; a wrong name fails', async () => {
  const attempt = async (env: Record<string, string>) => {
    calls.length = 0;
    handshakeErrors.length = 0;
    await assert.rejects(async () => {
      const c = await connectClient(address, 'default', loadConfig(env).temporal.security);
      try {
        await c.workflowService.getSystemInfo({});
      } finally {
        await c.connection.close();
      }
    });
    assert.deepEqual(calls, [], 'no call got through');
    assert.ok(handshakeErrors.length > 0, 'the TLS handshake failed');
    return handshakeErrors;
  };
  const { TEMPORAL_TLS_CA_FILE: _ca, ...noCa } = tlsEnv();
  // The client hangs up: the system CAs do not know the test CA.
  await attempt(noCa);
  const { TEMPORAL_TLS_CERT_FILE: _c, TEMPORAL_TLS_KEY_FILE: _k, ...noCert } = tlsEnv();
  const noCertErrors = await attempt(noCert);
  assert.ok(
    noCertErrors.some((e) => /peer did not return a certificate/.test(e)),
    noCertErrors.join('; '),
  );
  // The certificate is for SERVER_NAME: checked against another name, the client hangs up.
  await attempt(tlsEnv({ TEMPORAL_TLS_SERVER_NAME: 'other.example' }));
});

test('bad TLS combinations are one-line configuration errors', () => {
  const fails = (env: Record<string, string>, message: RegExp) =>
    assert.throws(
      () => loadConfig(env),
      (err: Error) => err instanceof ConfigError && message.test(err.message) && !err.message.includes('\n'),
    );
  fails(
    { TEMPORAL_ADDRESS: address, TEMPORAL_TLS_CERT_FILE: file('client.crt') },
    /TEMPORAL_TLS_CERT_FILE is set without TEMPORAL_TLS_KEY_FILE/,
  );
  fails(
    { TEMPORAL_ADDRESS: address, TEMPORAL_TLS_KEY_FILE: file('client.key') },
    /TEMPORAL_TLS_KEY_FILE is set without/,
  );
  fails(
    { TEMPORAL_ADDRESS: address, TEMPORAL_TLS_CA_FILE: file('absent.crt') },
    /TEMPORAL_TLS_CA_FILE=.*absent\.crt cannot be read \(ENOENT\)/,
  );
  fails(
    { TEMPORAL_TLS: 'off', TEMPORAL_ADDRESS: address, TEMPORAL_TLS_CA_FILE: file('ca.crt') },
    /TEMPORAL_TLS=off but TEMPORAL_TLS_CA_FILE is set/,
  );
  fails({ TEMPORAL_API_KEY: API_KEY }, /needs TEMPORAL_ADDRESS/);
  assert.deepEqual(loadConfig({ TEMPORAL_ADDRESS: address }).temporal.security, { tls: false, apiKey: undefined });
  assert.deepEqual(
    loadConfig({ TEMPORAL_ADDRESS: address, TEMPORAL_API_KEY: API_KEY }).temporal.security,
    {
      tls: {},
      apiKey: API_KEY,
    },
    'an API key alone: TLS with the system CAs',
  );
});
