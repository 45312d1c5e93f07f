// Media setup help for a newcomer: the advice (checked against loadConfig itself: every example must be a
// configuration the system accepts), the connection check against a real folder and the Jellyfin stand-in,
// up and down, and the two routes on a real Koa server.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { createMediaProvider } from '../../providers/media/index.ts';
import { checkMediaConnection, mediaSetupAdvice } from '../../providers/media/setup-advice.ts';
import { loadConfig, type Config } from '../../lib/config.ts';
import { createPool } from '../../lib/db.ts';
import { createApp } from '../../web/app.ts';
import { JellyfinStandin, syntheticLibrary, writeSineWav } from '../standins/jellyfin.ts';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'media-advice-'));
after(() => fs.rmSync(work, { recursive: true, force: true }));
const missingMusic = path.join(work, 'no-such-Music');

/** The variables of a shell line `A=1 B=2 npm start`. */
const envOf = (line: string) =>
  Object.fromEntries(
    line
      .replace(/ npm start$/, '')
      .split(' ')
      .map((kv) => kv.split('=') as [string, string]),
  );

async function jellyfin() {
  const wav = path.join(work, 'tone.wav');
  writeSineWav(wav);
  const standin = new JellyfinStandin(syntheticLibrary({ albums: 2, tracksPerAlbum: 1, file: wav }), '10.11.11');
  const url = await standin.listen();
  const config = loadConfig({
    JELLYFIN_URL: url,
    JELLYFIN_USER_ID: standin.user('alice').id,
    JELLYFIN_TOKEN: standin.apiKey,
    MEDIA_TIMEOUT_SECONDS: '5',
  });
  return { standin, config, provider: await createMediaProvider(config, { retries: 0 }) };
}

test('with nothing configured, the advice says so and lists each source with examples the configuration accepts', () => {
  const config = loadConfig({});
  const advice = mediaSetupAdvice(config);
  assert.equal(advice.configured, false);
  assert.equal(advice.type, 'local');
  assert.match(advice.problem!, /No media source is configured.*default music folder/);
  assert.match(advice.action!, /Jellyfin, Navidrome or a music folder/);
  assert.deepEqual(
    advice.sources.map((s) => s.type),
    ['jellyfin', 'navidrome', 'local'],
  );
  for (const source of advice.sources) {
    const env = envOf(source.example);
    assert.deepEqual(
      Object.keys(env),
      source.variables.map((v) => v.name),
    );
    const parsed = loadConfig(env); // throws if an example were incomplete or malformed
    assert.equal(parsed.mediaServerType, source.type);
    assert.equal(parsed.mediaSourceSet, true);
    for (const v of source.variables) assert.ok(v.meaning.length > 10, `${v.name} has its meaning`);
  }
  assert.ok(advice.sources[0].variables.some((v) => v.name === 'JELLYFIN_TOKEN'));
  assert.ok(advice.sources[1].variables.some((v) => v.name === 'NAVIDROME_PASSWORD'));
});

test('a missing music folder: the check answers in one line, the advice carries it and says what to set', async () => {
  const config = loadConfig({ MUSIC_DIR: missingMusic });
  const check = await checkMediaConnection(await createMediaProvider(config));
  assert.equal(check.ok, false);
  assert.equal(check.message, `MUSIC_DIR ${missingMusic} does not exist (ENOENT)`);
  const advice = mediaSetupAdvice(config, check);
  assert.equal(advice.configured, true);
  assert.equal(advice.ok, false);
  assert.equal(advice.problem, check.message);
  assert.match(advice.action!, /Set MUSIC_DIR to a readable folder/);
  assert.equal(advice.target, `the music folder ${missingMusic}`);
});

test('a real folder checks ok and needs no action', async () => {
  const music = path.join(work, 'Music');
  fs.mkdirSync(music, { recursive: true });
  const config = loadConfig({ MUSIC_DIR: music });
  const check = await checkMediaConnection(await createMediaProvider(config));
  assert.deepEqual(check, { ok: true, message: `Connected to Local folder ${music}.` });
  const advice = mediaSetupAdvice(config, check);
  assert.equal(advice.problem, undefined);
  assert.equal(advice.action, undefined);
});

test('Jellyfin up, then down: the check says connected, then unreachable, without throwing', async () => {
  const { standin, config, provider } = await jellyfin();
  try {
    assert.deepEqual(await checkMediaConnection(provider), { ok: true, message: 'Connected to Jellyfin 10.11.11.' });
  } finally {
    await standin.close();
  }
  const down = await checkMediaConnection(provider);
  assert.equal(down.ok, false);
  assert.match(down.message, /^Jellyfin is unreachable: GET http:\/\/127\.0\.0\.1:\d+\/System\/Info\/Public/);
  assert.doesNotMatch(down.message, /\n/);
  const advice = mediaSetupAdvice(config, down);
  assert.equal(advice.target, `Jellyfin at ${config.jellyfinUrl}`);
  assert.match(advice.action!, /Jellyfin runs at JELLYFIN_URL/);
});

async function serve(deps: { config: Config; media?: Awaited<ReturnType<typeof createMediaProvider>> }) {
  // The whole app; its PostgreSQL pool is never used by these routes (and connects only on a query).
  const pool = createPool('postgresql://nobody@127.0.0.1:1/none');
  const handle = createApp({ ...deps, pool, temporalAddress: '127.0.0.1:1' }).callback();
  const server = http.createServer((req, res) => void handle(req, res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      await new Promise<void>((r) => server.close(() => r()));
      await pool.end();
    },
  };
}

test('GET /api/media and POST /api/media/check answer 200 whether the server is up or down', async () => {
  const { standin, config, provider } = await jellyfin();
  const web = await serve({ config, media: provider });
  try {
    const up = await fetch(`${web.base}/api/media/check`, { method: 'POST' });
    assert.equal(up.status, 200);
    assert.deepEqual(await up.json(), { ok: true, message: 'Connected to Jellyfin 10.11.11.' });
    await standin.close();
    const down = await fetch(`${web.base}/api/media/check`, { method: 'POST' });
    assert.equal(down.status, 200);
    const body = (await down.json()) as { ok: boolean; message: string };
    assert.equal(body.ok, false);
    assert.match(body.message, /Jellyfin is unreachable/);
    const advice = await fetch(`${web.base}/api/media`);
    assert.equal(advice.status, 200);
    const a = (await advice.json()) as ReturnType<typeof mediaSetupAdvice>;
    assert.equal(a.configured, true);
    assert.equal(a.ok, false);
    assert.match(a.problem!, /Jellyfin is unreachable/);
    assert.equal(a.sources.length, 3);
  } finally {
    await standin.close();
    await web.close();
  }
});

test('without a provider the routes build one from the configuration', async () => {
  const web = await serve({ config: loadConfig({}) }); // the default ~/Music, whatever this machine has there
  const onDefault = await serve({ config: loadConfig({ MUSIC_DIR: missingMusic }) });
  try {
    const a = (await (await fetch(`${web.base}/api/media`)).json()) as ReturnType<typeof mediaSetupAdvice>;
    assert.equal(a.configured, false);
    assert.match(a.problem ?? a.action!, /music folder/);
    const check = await (await fetch(`${onDefault.base}/api/media/check`, { method: 'POST' })).json();
    assert.deepEqual(check, { ok: false, message: `MUSIC_DIR ${missingMusic} does not exist (ENOENT)` });
  } finally {
    await web.close();
    await onDefault.close();
  }
});

test('with nothing configured and the default folder missing, the problem says both', async () => {
  const config = { ...loadConfig({ MUSIC_DIR: missingMusic }), mediaSourceSet: false }; // as if ~/Music were absent
  const advice = mediaSetupAdvice(config, await checkMediaConnection(await createMediaProvider(config)));
  assert.equal(
    advice.problem,
    `No media source is configured, and the default music folder does not work: MUSIC_DIR ${missingMusic} does not exist (ENOENT)`,
  );
  assert.match(advice.action!, /Set the variables of Jellyfin, Navidrome or a music folder/);
});
