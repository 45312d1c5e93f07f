// Sonic fingerprints over HTTP against real PostgreSQL: a planted library (groups of songs that sound alike) served
// by the Jellyfin stand-in, two users whose listening histories are inserted as the history sync would store them,
// asked through GET|POST /api/sonic_fingerprint/generate with the original's parameters and ours.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { promisify } from 'node:util';
import { after, before, test } from 'node:test';
import type { Config } from '../../lib/config.ts';
import { createPool, migrate, type Pool } from '../../lib/db.ts';
import { createMediaProvider } from '../../providers/media/index.ts';
import { plantLibrary, storePlantedFeatures, type PlantedLibrary } from '../helpers/planted-library.ts';
import { freshDatabase, releaseServices, scratchDir } from '../helpers/services.ts';
import { closeServedApps, serveApp } from '../helpers/web-app.ts';
import { testConfig } from '../helpers/worker.ts';
import { JellyfinStandin } from '../standins/jellyfin.ts';
import { chromium } from 'playwright-core';
import { requireOrSkip } from '../shared-paths.ts';

const TRACKS = 120;
let dir: string;
let pool: Pool;
let jellyfin: JellyfinStandin;
let lib: PlantedLibrary;
let base: string;
let cliEnv: NodeJS.ProcessEnv;
const users: Record<'alice' | 'bob' | 'carl', { ours: string; jellyfinId: string }> = {} as never;

type Song = { item_id: string; title: string; author: string; album: string; distance: number };
const call = async (method: string, url: string, body?: unknown) => {
  const res = await fetch(`${base}${url}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as any };
};
const fingerprint = async (query: string) => {
  const r = await call('GET', `/api/sonic_fingerprint/generate?${query}`);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body as Song[];
};
const groupsOf = (songs: Song[]) => songs.map((s) => lib.groupOf.get(s.title)!);
const share = (songs: Song[], group: number) => groupsOf(songs).filter((g) => g === group).length / songs.length;
const titlesOf = (group: number) => [...lib.groupOf].filter(([, g]) => g === group).map(([t]) => t);
/** The group's albums, each as its titles (an artist's songs are one album, of one group). */
const albumsOf = (group: number) =>
  lib.jellyfin.artists
    .flatMap((a) => a.albums.map((al) => al.tracks.map((t) => t.title)))
    .filter((titles) => lib.groupOf.get(titles[0]) === group);
/** Alice's played songs: three of each of three albums of group 0 (the per-album cap keeps them all as seeds). */
const alicePlayed = () =>
  albumsOf(0)
    .slice(0, 3)
    .flatMap((titles) => titles.slice(0, 3));

/** Inserts a user and their history, as the history sync stores it: [title, plays, days ago | null, favourite]. */
async function plantUser(name: string, jellyfinId: string, plays: [string, number, number | null, boolean?][]) {
  const {
    rows: [u],
  } = await pool.query(`INSERT INTO users (source, server_user_id, name) VALUES ('jellyfin', $1, $2) RETURNING id`, [
    jellyfinId,
    name,
  ]);
  for (const [title, count, days, favourite] of plays)
    await pool.query(
      `INSERT INTO listening_history (user_id, track_id, play_count, last_played, favourite)
       SELECT $1, id, $3, CASE WHEN $4::float8 IS NULL THEN NULL ELSE now() - make_interval(days => $4::int) END, $5
         FROM tracks WHERE source = 'jellyfin' AND title = $2`,
      [u.id, title, count, days, favourite ?? false],
    );
  return String(u.id);
}

before(async () => {
  dir = scratchDir('sonic-fingerprint');
  lib = plantLibrary(dir, { tracks: TRACKS, groups: 4, seed: 11 });
  const databaseUrl = await freshDatabase();
  pool = createPool(databaseUrl);
  await migrate(pool);
  jellyfin = new JellyfinStandin(lib.jellyfin, '10.11.11', {
    users: [
      { name: 'admin', admin: true },
      { name: 'alice' },
      { name: 'bob' },
      { name: 'carl' },
      { name: 'dave' },
      { name: 'erin' },
    ],
  });
  const url = await jellyfin.listen();
  const admin = jellyfin.user('admin');
  const env = {
    MEDIA_SERVER_TYPE: 'jellyfin',
    JELLYFIN_URL: url,
    JELLYFIN_USER_ID: admin.id,
    JELLYFIN_TOKEN: admin.token,
  };
  const config: Config = testConfig(env);
  cliEnv = { ...process.env, ...env, DATABASE_URL: databaseUrl };
  const media = await createMediaProvider(config);
  assert.equal(await storePlantedFeatures(pool, media, lib), TRACKS);

  // Alice plays group 0 (dated, recent), and has starred one song of group 1 she never played.
  const alice = jellyfin.user('alice').id;
  users.alice = {
    jellyfinId: alice,
    ours: await plantUser('alice', alice, [
      ...alicePlayed().map((t, k): [string, number, number] => [t, 12 - k, k]),
      [titlesOf(1)[0], 0, null, true],
    ]),
  };
  // Bob (no dates, #603): three songs of each of group 2's albums played 20 times each, and all of group 3 once
  // through, a "mix" of 30 songs.
  const bob = jellyfin.user('bob').id;
  users.bob = {
    jellyfinId: bob,
    ours: await plantUser('bob', bob, [
      ...albumsOf(2)
        .flatMap((titles) => titles.slice(0, 3))
        .map((t): [string, number, null] => [t, 20, null]),
      ...titlesOf(3).map((t): [string, number, null] => [t, 1, null]),
    ]),
  };
  const carl = jellyfin.user('carl').id;
  users.carl = { jellyfinId: carl, ours: await plantUser('carl', carl, []) };
  base = (await serveApp({ pool, config, temporalAddress: '127.0.0.1:1', media }, { keepAliveTimeout: 60_000 })).base;
});

after(async () => {
  closeServedApps();
  await jellyfin?.close();
  await pool?.end();
  fs.rmSync(dir, { recursive: true, force: true });
  await releaseServices();
});

test("two users get different fingerprints, each close to their own listening (Bob's one-play mix does not dominate)", async () => {
  const alice = await fingerprint('jellyfin_user_identifier=alice&n=30');
  const bob = await fingerprint(`jellyfin_user_identifier=${users.bob.jellyfinId}&n=30`);
  for (const songs of [alice, bob]) {
    assert.equal(songs.length, 30);
    assert.equal(new Set(songs.map((s) => s.item_id)).size, 30, 'no song twice');
    for (const s of songs) assert.deepEqual(Object.keys(s).sort(), ['album', 'author', 'distance', 'item_id', 'title']);
  }
  assert.ok(share(alice, 0) >= 0.8, `alice: ${groupsOf(alice).join(' ')}`);
  assert.ok(share(bob, 2) >= 0.8, `bob: ${groupsOf(bob).join(' ')}`);
  assert.ok(share(bob, 3) <= 0.2, `bob's mix: ${groupsOf(bob).join(' ')}`);
  assert.ok(!alice.some((s) => bob.some((b) => b.item_id === s.item_id)), 'no song in both');
  // The seeds come first, the most played (12 plays today) at the head.
  assert.equal(alice[0].title, alicePlayed()[0]);
});

test('the same user by our id, by Jellyfin id (POST, the original body) and by name in any case', async () => {
  const byName = await fingerprint('jellyfin_user_identifier=ALICE&n=15');
  assert.deepEqual(await fingerprint(`user_id=${users.alice.ours}&n=15`), byName);
  const post = await call('POST', '/api/sonic_fingerprint/generate', {
    n: 15,
    jellyfin_user_identifier: users.alice.jellyfinId,
    jellyfin_token: 'accepted',
  });
  assert.equal(post.status, 200, JSON.stringify(post.body));
  assert.deepEqual(post.body, byName);
  assert.deepEqual(
    (await call('POST', '/api/sonic_fingerprint/generate', { user_id: Number(users.alice.ours), n: 15 })).body,
    byName,
  );
});

test('include_seeds=false leaves out every seed and its other versions; filters hold', async () => {
  const played = new Set(alicePlayed());
  const withSeeds = await fingerprint('jellyfin_user_identifier=alice&n=25');
  // Her nine played songs and her favourite (as many plays as her median) open the list.
  assert.deepEqual(new Set(withSeeds.slice(0, 10).map((s) => s.title)), new Set([...played, titlesOf(1)[0]]));
  const without = await fingerprint('jellyfin_user_identifier=alice&n=25&include_seeds=false');
  assert.equal(without.length, 25);
  assert.ok(!without.some((s) => played.has(s.title)), without.map((s) => s.title).join(', '));
  assert.ok(share(without, 0) >= 0.6, `alice without seeds: ${groupsOf(without).join(' ')}`);
  const capped = await fingerprint('jellyfin_user_identifier=alice&n=25&include_seeds=false&max_songs_per_artist=2');
  const perArtist = new Map<string, number>();
  for (const s of capped) perArtist.set(s.author, (perArtist.get(s.author) ?? 0) + 1);
  assert.ok(Math.max(...perArtist.values()) <= 2, JSON.stringify([...perArtist]));
});

test('unknown user: 404 naming them and the field; no user or a bad id: 400 naming the field; no history: []', async () => {
  const unknown = await call('GET', '/api/sonic_fingerprint/generate?jellyfin_user_identifier=dora');
  assert.equal(unknown.status, 404);
  assert.equal(unknown.body.field, 'jellyfin_user_identifier');
  assert.match(unknown.body.error, /"dora"/);
  const unknownId = await call('GET', '/api/sonic_fingerprint/generate?user_id=99999');
  assert.equal(unknownId.status, 404);
  assert.equal(unknownId.body.field, 'user_id');
  const none = await call('GET', '/api/sonic_fingerprint/generate?n=5');
  assert.equal(none.status, 400);
  assert.equal(none.body.field, 'jellyfin_user_identifier');
  const bad = await call('GET', '/api/sonic_fingerprint/generate?user_id=abc');
  assert.equal(bad.status, 400);
  assert.equal(bad.body.field, 'user_id');
  const odd = await call('POST', '/api/sonic_fingerprint/generate', { user: 'alice' });
  assert.equal(odd.status, 400);
  assert.equal(odd.body.field, 'user');
  assert.deepEqual(await fingerprint('jellyfin_user_identifier=carl'), []);
});

test('audiomuse fingerprint <user> prints the same songs, and the centroids with their weights', async () => {
  const api = await fingerprint('jellyfin_user_identifier=bob&n=20&include_seeds=false');
  const { stdout, stderr } = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', 'cli/audiomuse.ts', 'fingerprint', 'bob', '--n', '20', '--no-seeds'],
    { env: cliEnv },
  );
  assert.deepEqual(
    stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).item_id),
    api.map((s) => s.item_id),
  );
  const fp = JSON.parse(stderr.trim().split('\n').at(-1)!);
  assert.equal(fp.user.name, 'bob');
  // Each centroid is one taste; the mix's (group 3) weighs what its single plays weigh.
  const groupOfItem = new Map(
    fp.seeds.map((x: { item_id: string; title: string }) => [x.item_id, lib.groupOf.get(x.title)]),
  );
  let mixWeight = 0;
  for (const c of fp.centroids as { weight: number; seeds: string[] }[]) {
    const groups = new Set(c.seeds.map((id) => groupOfItem.get(id)));
    assert.equal(groups.size, 1, JSON.stringify(fp.centroids));
    if (groups.has(3)) mixWeight += c.weight;
  }
  assert.ok(mixWeight > 0 && mixWeight < 0.05, `the mix weighs ${mixWeight}`);
});

test('from the server to the fingerprint: two users followed and synced from the Jellyfin stand-in get their own', async () => {
  // What the server knows: dave plays group 1 (dated), erin group 3 (undated counts) and stars one song of group 0.
  const itemOf = async (title: string) =>
    (await pool.query<{ item_id: string }>(`SELECT item_id FROM tracks WHERE title = $1`, [title])).rows[0].item_id;
  for (const [k, t] of titlesOf(1).slice(0, 9).entries())
    jellyfin.setUserData('dave', await itemOf(t), {
      playCount: 10 - k,
      lastPlayed: new Date(Date.now() - k * 86_400_000),
    });
  for (const t of titlesOf(3).slice(0, 9)) jellyfin.setUserData('erin', await itemOf(t), { playCount: 6 });
  jellyfin.setUserData('erin', await itemOf(titlesOf(0)[0]), { favourite: true });

  const server = await call('GET', '/api/users/server');
  const ids: Record<string, string> = {};
  for (const name of ['dave', 'erin']) {
    const serverUserId = server.body.users.find((u: { name: string }) => u.name === name).id;
    const added = await call('POST', '/api/users', { name, serverUserId });
    assert.equal(added.status, 200, JSON.stringify(added.body));
    ids[name] = String(added.body.id);
    const synced = await call('POST', `/api/users/${ids[name]}/sync`);
    assert.equal(synced.status, 200, JSON.stringify(synced.body));
  }
  const dave = await fingerprint(`user_id=${ids.dave}&n=20&include_seeds=false`);
  const erin = await fingerprint(`user_id=${ids.erin}&n=20&include_seeds=false`);
  assert.ok(share(dave, 1) >= 0.8, `dave: ${groupsOf(dave).join(' ')}`);
  assert.ok(share(erin, 3) >= 0.7, `erin: ${groupsOf(erin).join(' ')}`);
  assert.ok(!dave.some((s) => erin.some((e) => e.item_id === s.item_id)), 'different fingerprints');
});

test("the page: a person's Fingerprint button shows the API's songs, seeds first, with the save form", async (t) => {
  const CHROMIUM = '/usr/bin/chromium';
  if (!requireOrSkip(t, CHROMIUM, 'Debian package chromium')) return;
  const expected = (await fingerprint(`user_id=${users.alice.ours}&n=50`)).map((s) => s.title);
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  try {
    const page = await browser.newPage();
    page.setDefaultTimeout(60_000);
    await page.goto(base);
    await page
      .locator('#people-followed li', { hasText: /^alice:/ })
      .getByRole('button', { name: 'Fingerprint' })
      .click();
    const rows = page.locator('#people-fingerprint table.songs tbody tr');
    await rows.nth(expected.length - 1).waitFor();
    const shown = await rows.evaluateAll((trs) => trs.map((tr) => tr.querySelector('td.title')?.textContent ?? ''));
    assert.equal(shown.length, expected.length);
    expected.forEach((title, i) => assert.ok(shown[i].includes(title), `row ${i}: ${shown[i]} should be ${title}`));
    assert.ok(await page.locator('#people-fingerprint form').isVisible(), 'the save form is there');
  } finally {
    await browser.close();
  }
});
