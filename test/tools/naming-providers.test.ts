// AI naming end to end over real HTTP: each provider (Ollama streamed and not, Gemini, OpenAI-compatible)
// against its stand-in server (test/standins/llm.ts), through nameWithAi: a good answer, garbage, a <think>
// block, a name too long, a slow server, a refusal (500), a 429 with Retry-After, 4xx, wrong keys, aborts.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import {
  createPlaylistNamer,
  nameWithAi,
  NamingError,
  type AiNamingConfig,
  type NamingOutcome,
  type NamingRequest,
  type PlaylistNamer,
} from '../../providers/naming/index.ts';
import { answer, failure, startLlmStandin, type LlmProtocol, type LlmStandin } from '../standins/llm.ts';

const GEMINI_KEY = 'AIzaSyTEST-gemini-key-0123456789';
const OPENAI_KEY = 'sk-test-openai-key-0123456789abcdef';
const TIMEOUT_MS = 500;
/** How late the stand-in answers a slow or stalled request: far beyond TIMEOUT_MS even on a loaded machine. */
const LATE_MS = 30_000;
const GOOD = 'Midnight Highway Rockers';

const request = (over: Partial<NamingRequest> = {}): NamingRequest => ({
  tagName: 'Rock_Indie_Fast',
  topTags: [
    { label: 'rock', score: 0.62 },
    { label: 'indie', score: 0.41 },
    { label: 'alternative', score: 0.33 },
  ],
  tempoBand: 'Fast',
  tempoBpm: 151.6,
  energy: 0.81,
  songs: [
    { title: 'Song A', artist: 'Artist A' },
    { title: 'Café del Mar', artist: 'Energy 52' },
  ],
  takenNames: [],
  ...over,
});

interface Variant {
  title: string;
  provider: 'OLLAMA' | 'GEMINI' | 'OPENAI';
  protocol: LlmProtocol;
  model: string;
  stream?: boolean;
  key?: string;
}

const variants: Variant[] = [
  { title: 'Ollama, streamed', provider: 'OLLAMA', protocol: 'ollama', model: 'qwen3:8b', stream: true },
  { title: 'Ollama, single JSON', provider: 'OLLAMA', protocol: 'ollama', model: 'llama3.1:8b', stream: false },
  { title: 'Gemini', provider: 'GEMINI', protocol: 'gemini', model: 'gemini-2.5-flash', key: GEMINI_KEY },
  { title: 'OpenAI-compatible', provider: 'OPENAI', protocol: 'openai', model: 'gpt-4o-mini', key: OPENAI_KEY },
];

function config(v: Variant, standin: LlmStandin, key = v.key): AiNamingConfig {
  return {
    provider: v.provider,
    ollamaUrl: standin.endpoint,
    ollamaModel: v.model,
    geminiApiKey: key,
    geminiModel: v.model,
    geminiDelaySeconds: 7,
    openaiUrl: standin.endpoint,
    openaiModel: v.model,
    openaiApiKey: key ?? 'no-key-needed',
  };
}

function tagReason(outcome: NamingOutcome): string {
  assert.equal(outcome.source, 'tag', `expected the tag name, got ${JSON.stringify(outcome)}`);
  assert.equal(outcome.name, 'Rock_Indie_Fast');
  const { reason } = outcome as { reason: string };
  assert.ok(reason && !reason.includes('\n'), `one-line reason: ${JSON.stringify(reason)}`);
  for (const key of [GEMINI_KEY, OPENAI_KEY, 'wrong-key-abcdef-123456'])
    assert.ok(!reason.includes(key), `reason leaks a key: ${reason}`);
  return reason;
}

for (const v of variants) {
  describe(`AI naming via ${v.title}`, () => {
    let standin: LlmStandin;
    let namer: PlaylistNamer;
    const name = (req = request(), opts: { signal?: AbortSignal } = {}) => nameWithAi(namer, req, opts);

    before(async () => {
      standin = await startLlmStandin({ protocol: v.protocol, model: v.model, apiKey: v.key });
      namer = createPlaylistNamer(config(v, standin), {
        timeoutMs: TIMEOUT_MS,
        backoffMs: 20,
        retries: 2,
        geminiBaseUrl: standin.endpoint,
        ollamaStream: v.stream,
      })!;
      assert.equal(namer.provider, v.provider);
    });
    after(() => standin.close());

    test('a good answer becomes the name; the request carries prompt, model and credentials', async () => {
      standin.reset();
      standin.script(answer(GOOD));
      assert.deepEqual(await name(), { name: GOOD, source: 'ai' });
      assert.equal(standin.requests.length, 1);
      const r = standin.requests[0];
      assert.equal(r.model, v.model);
      for (const part of [
        'rock (0.62)',
        'indie (0.41)',
        'alternative (0.33)',
        'fast (about 152 BPM)',
        'high (0.81',
        'Song A – Artist A',
        'Café del Mar – Energy 52',
      ]) {
        assert.ok(r.prompt.includes(part), `prompt lacks ${JSON.stringify(part)}:\n${r.prompt}`);
      }
      if (v.protocol === 'ollama') assert.equal((r.body as { stream?: boolean }).stream, v.stream);
      if (v.protocol === 'gemini') {
        assert.equal(r.headers['x-goog-api-key'], GEMINI_KEY);
        assert.equal(r.query.get('key'), null, 'the key is never in the URL (logs)');
      }
      if (v.protocol === 'openai') assert.equal(r.headers.authorization, `Bearer ${OPENAI_KEY}`);
    });

    test('garbage keeps the tag name and says why', async () => {
      standin.script(answer('!!!'));
      assert.match(tagReason(await name()), /answer was rejected: no letters in "!!!"/);
    });

    test('a <think> block before the answer is removed', async () => {
      standin.script(
        answer(
          `<think>\nThe user wants an energetic rock name. "Loud" is too short...\n</think>\n\nNeon Night Drive Anthems`,
        ),
      );
      assert.deepEqual(await name(), { name: 'Neon Night Drive Anthems', source: 'ai' });
    });

    test('an answer that is too long keeps the tag name', async () => {
      standin.script(answer('An Extremely Long Playlist Name That Goes On And On Forever'));
      assert.match(tagReason(await name()), /59 characters, more than 40/);
    });

    test('the answer is made unique against the names already taken in the run', async () => {
      standin.script(answer(GOOD));
      assert.deepEqual(await name(request({ takenNames: [`${GOOD.toLowerCase()}`] })), {
        name: `${GOOD} (2)`,
        source: 'ai',
      });
    });

    test('a slow server times out close to the configured timeout, once, and the tag name stays', async () => {
      standin.reset();
      standin.script(answer(GOOD, { delayMs: LATE_MS }));
      const t0 = performance.now();
      const reason = tagReason(await name());
      const elapsed = performance.now() - t0;
      assert.match(reason, new RegExp(`within ${TIMEOUT_MS} ms`));
      assert.ok(
        elapsed >= TIMEOUT_MS - 20 && elapsed < LATE_MS,
        `finished after ${elapsed.toFixed(0)} ms: not before the timeout, not waiting for the late answer`,
      );
      assert.equal(standin.requests.length, 1, 'a timeout is not retried');
    });

    if (v.protocol === 'ollama' && v.stream) {
      test('a stream that stalls after its first chunk times out as well', async () => {
        standin.reset();
        standin.script(answer(GOOD, { stallMs: LATE_MS }));
        const t0 = performance.now();
        assert.match(tagReason(await name()), /within 500 ms/);
        assert.ok(performance.now() - t0 < LATE_MS, 'not waiting for the rest of the stream');
      });
    }

    test('a refusal (HTTP 500 on every attempt) is retried twice, then the tag name stays', async () => {
      standin.reset();
      standin.script(failure(500), failure(500), failure(500), answer('Never Asked For This One'));
      const reason = tagReason(await name());
      assert.match(reason, /HTTP 500/);
      assert.match(reason, /refused to answer/);
      assert.equal(standin.requests.length, 3);
    });

    test('a 500 followed by an answer is retried to success', async () => {
      standin.reset();
      standin.script(failure(500), answer(GOOD));
      assert.deepEqual(await name(), { name: GOOD, source: 'ai' });
      assert.equal(standin.requests.length, 2);
    });

    test('a 429 with Retry-After: 1 is retried after at least one second', async () => {
      standin.reset();
      standin.script(failure(429, undefined, '1'), answer(GOOD));
      const t0 = performance.now();
      assert.deepEqual(await name(), { name: GOOD, source: 'ai' });
      assert.ok(performance.now() - t0 >= 1000, `retried after ${(performance.now() - t0).toFixed(0)} ms`);
      assert.equal(standin.requests.length, 2);
      assert.ok(standin.requests[1].at - standin.requests[0].at >= 995, 'the second request came a second later');
    });

    test('a 4xx (unknown model) is not retried', async () => {
      standin.reset();
      const other = createPlaylistNamer(
        { ...config(v, standin), ollamaModel: 'nope:1b', geminiModel: 'nope-1', openaiModel: 'nope-1' },
        { timeoutMs: TIMEOUT_MS, backoffMs: 20, geminiBaseUrl: standin.endpoint, ollamaStream: v.stream },
      )!;
      const reason = tagReason(await nameWithAi(other, request()));
      assert.match(reason, /HTTP 404/);
      assert.match(reason, /nope/);
      assert.equal(standin.requests.length, 1);
    });

    if (v.key) {
      test('a wrong key is reported without the key, and not retried', async () => {
        standin.reset();
        const wrong = createPlaylistNamer(config(v, standin, 'wrong-key-abcdef-123456'), {
          timeoutMs: TIMEOUT_MS,
          backoffMs: 20,
          geminiBaseUrl: standin.endpoint,
        })!;
        const reason = tagReason(await nameWithAi(wrong, request()));
        assert.match(
          reason,
          v.protocol === 'openai'
            ? /credentials \(HTTP 401\): Incorrect API key provided: \*\*\*/
            : /HTTP 400.*API key not valid/,
        );
        assert.equal(standin.requests.length, 1);
      });
    }

    test('an unreachable server keeps the tag name; the reason names no key', async () => {
      const closed = http.createServer();
      await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
      const base = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
      await new Promise<void>((r) => closed.close(() => r()));
      const down = createPlaylistNamer(
        { ...config(v, standin), ollamaUrl: `${base}/api/generate`, openaiUrl: `${base}/v1/chat/completions` },
        { timeoutMs: TIMEOUT_MS, backoffMs: 5, retries: 1, geminiBaseUrl: base },
      )!;
      const reason = tagReason(await nameWithAi(down, request()));
      assert.match(reason, /unreachable: POST .*: ECONNREFUSED.*\(2 attempts\)/);
      assert.ok(!reason.includes(GEMINI_KEY) && !reason.includes(OPENAI_KEY), reason);
    });

    test("the caller's abort is not a naming failure: nameWithAi rejects with its reason", async () => {
      standin.script(answer(GOOD, { delayMs: LATE_MS }));
      const abort = new AbortController();
      setTimeout(() => abort.abort(new Error('activity cancelled')), 100);
      const t0 = performance.now();
      await assert.rejects(name(request(), { signal: abort.signal }), /activity cancelled/);
      assert.ok(performance.now() - t0 < LATE_MS, 'not waiting for the late answer');
    });

    test('the call delay is exposed for the caller, never slept inside', () => {
      assert.equal(namer.callDelayMs, v.provider === 'GEMINI' ? 7000 : 0);
    });
  });
}

describe('createPlaylistNamer', () => {
  test('NONE makes no namer; a provider without its settings is a bad_config error', () => {
    assert.equal(createPlaylistNamer({ provider: 'NONE' }), undefined);
    assert.throws(
      () => createPlaylistNamer({ provider: 'GEMINI', geminiModel: 'gemini-2.5-pro' }),
      (e: unknown) => e instanceof NamingError && e.code === 'bad_config' && /GEMINI_API_KEY/.test(e.message),
    );
    assert.throws(
      () => createPlaylistNamer({ provider: 'OPENAI', openaiModel: 'm' }),
      (e: unknown) => e instanceof NamingError && e.code === 'bad_config',
    );
    assert.throws(
      () => createPlaylistNamer({ provider: 'OLLAMA', ollamaUrl: 'not a url', ollamaModel: 'm' }),
      (e: unknown) => e instanceof NamingError && e.code === 'bad_config',
    );
  });

  test('OpenAI: a model that accepts only the default temperature is asked once more without it', async () => {
    const standin = await startLlmStandin({
      protocol: 'openai',
      model: 'o3-mini',
      apiKey: OPENAI_KEY,
      rejectTemperature: true,
    });
    try {
      const namer = createPlaylistNamer(
        { provider: 'OPENAI', openaiUrl: standin.endpoint, openaiModel: 'o3-mini', openaiApiKey: OPENAI_KEY },
        { timeoutMs: TIMEOUT_MS },
      )!;
      standin.script(answer(GOOD));
      assert.deepEqual(await nameWithAi(namer, request()), { name: GOOD, source: 'ai' });
      assert.equal(standin.requests.length, 2);
      assert.equal((standin.requests[0].body as { temperature?: number }).temperature, 0.7);
      assert.equal((standin.requests[1].body as { temperature?: number }).temperature, undefined);
    } finally {
      await standin.close();
    }
  });

  test('Ollama behind a proxy: the base path is kept and user:password becomes a Basic header', async () => {
    const standin = await startLlmStandin({ protocol: 'ollama', model: 'm' });
    try {
      // The stand-in serves /api/generate only; a proxy path would 404, so check the header on the root.
      const url = standin.endpoint.replace('http://', 'http://me:pa55word-xyz@');
      const namer = createPlaylistNamer(
        { provider: 'OLLAMA', ollamaUrl: url, ollamaModel: 'm' },
        { timeoutMs: TIMEOUT_MS },
      )!;
      standin.script(answer(GOOD));
      assert.deepEqual(await nameWithAi(namer, request()), { name: GOOD, source: 'ai' });
      assert.equal(
        standin.requests[0].headers.authorization,
        `Basic ${Buffer.from('me:pa55word-xyz').toString('base64')}`,
      );
      const proxied = createPlaylistNamer(
        { provider: 'OLLAMA', ollamaUrl: `${standin.url}/ollama/api/generate`, ollamaModel: 'm' },
        { timeoutMs: TIMEOUT_MS },
      )!;
      await nameWithAi(proxied, request());
      assert.equal(standin.requests[1].path, '/ollama/api/generate');
    } finally {
      await standin.close();
    }
  });
});
