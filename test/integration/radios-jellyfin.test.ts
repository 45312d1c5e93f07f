// Radios made for a person on the Jellyfin stand-in, on real Temporal and PostgreSQL: the playlist is created as
// that person (their UserId, they own it); with an API key (the usual JELLYFIN_TOKEN), which Jellyfin never lets
// change a playlist in place (jellyfin#15600), each refresh puts a whole new playlist in the old one's place; with
// the owner's own token the same playlist is changed in place; a worker killed with -9 in the middle of such a
// swap leaves one playlist, old or new, never two and never half.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { createPool, migrate, type Pool } from '../../lib/db.ts';
import { createRadio } from '../../lib/store/radios.ts';
import { createUser } from '../../lib/store/users.ts';
import { createMediaProvider } from '../../providers/media/index.ts';
import { runRadio } from '../../client/radios.ts';
import type { RefreshRadioResult } from '../../contracts/radios.ts';
import { plantLibrary, storePlantedFeatures, type PlantedLibrary } from '../helpers/planted-library.ts';
import { freshDatabase, releaseServices, scratchDir, services } from '../helpers/services.ts';
import { startTestWorker, testConfig } from '../helpers/worker.ts';
import { runCleanups, spawnWorker } from '../helpers/worker-process.ts';
import { waitFor } from '../helpers/wait.ts';
import { JellyfinStandin } from '../standins/jellyfin.ts';

const TRACKS = 40;
let pool: Pool;
let databaseUrl: string;
let lib: PlantedLibrary;
let jellyfin: JellyfinStandin;
let url: string;
/** Our user id of bob, whose radios these are. */
let bob: string;
const stops: (() => Promise<void>)[] = [];

const titlesOf = (group: number) => [...lib.groupOf].filter(([, g]) => g === group).map(([t]) => t);
async function itemId(title: string): Promise<string> {
  const { rows } = await pool.query(`SELECT item_id FROM tracks WHERE source = 'jellyfin' AND title = $1`, [title]);
  return rows[0].item_id;
}
const playlistsNamed = (name: string) => jellyfin.playlists().filter((p) => p.name === name);
const runsOf = async (id: string) =>
  (await pool.query(`SELECT * FROM radio_runs WHERE radio_id = $1 ORDER BY id`, [id])).rows;
const radioPlaylist = async (id: string) =>
  (await pool.query(`SELECT server_playlist_id FROM radios WHERE id = $1`, [id])).rows[0].server_playlist_id;
/** Points the radio at other seeds, so its next refresh has other songs. */
const reseed = async (id: string, group: number) =>
  pool.query(`UPDATE radios SET recipe = $2 WHERE id = $1`, [
    id,
    JSON.stringify({ kind: 'instantMix', seeds: [await itemId(titlesOf(group)[0])] }),
  ]);

/** A worker of the product in this process with this token, and a runner of radios on its task queue. */
async function workerWith(token: string) {
  const env = { MEDIA_SERVER_TYPE: 'jellyfin', JELLYFIN_URL: url, JELLYFIN_USER_ID: jellyfin.user('admin').id };
  const config = testConfig({ ...env, JELLYFIN_TOKEN: token });
  const { temporalAddress } = await services();
  const w = await startTestWorker({ address: temporalAddress, pool, config });
  stops.push(w.stop);
  const control = { pool, source: 'jellyfin', client: w.client, taskQueue: config.temporal.taskQueue };
  return (radioId: string): Promise<RefreshRadioResult> => runRadio(control, radioId);
}

async function bobsRadio(name: string, group: number): Promise<string> {
  const radio = await createRadio(pool, {
    source: 'jellyfin',
    name,
    userId: bob,
    recipe: { kind: 'instantMix', seeds: [await itemId(titlesOf(group)[0])] },
    size: 8,
  });
  return radio!.id;
}

before(async () => {
  lib = plantLibrary(scratchDir('radios-jellyfin'), { tracks: TRACKS, groups: 2, seed: 5 });
  databaseUrl = await freshDatabase();
  pool = createPool(databaseUrl);
  await migrate(pool);
  jellyfin = new JellyfinStandin(lib.jellyfin, '10.11.11', {
    users: [{ name: 'admin', admin: true }, { name: 'bob' }],
  });
  url = await jellyfin.listen();
  const media = await createMediaProvider(
    testConfig({
      MEDIA_SERVER_TYPE: 'jellyfin',
      JELLYFIN_URL: url,
      JELLYFIN_USER_ID: jellyfin.user('admin').id,
      JELLYFIN_TOKEN: jellyfin.apiKey,
    }),
  );
  assert.equal(await storePlantedFeatures(pool, media, lib), TRACKS);
  bob = (await createUser(pool, { source: 'jellyfin', name: 'bob', serverUserId: jellyfin.user('bob').id }, undefined))!
    .id;
});

after(async () => {
  await runCleanups();
  for (const stop of stops) await stop();
  await jellyfin?.close();
  await pool?.end();
  await releaseServices();
});

test("an API key: bob's radio is created as bob, and each refresh puts a whole new playlist in the old one's place", async () => {
  const run = await workerWith(jellyfin.apiKey);
  const id = await bobsRadio('Bob Radio', 0);
  const first = await run(id);
  assert.equal(first.status, 'published');
  const [made] = playlistsNamed('Bob Radio');
  assert.equal(made.ownerId, jellyfin.user('bob').id, 'created as bob, not as the configured admin');
  assert.deepEqual(made.entries, (await runsOf(id))[0].track_ids);

  await reseed(id, 1);
  const second = await run(id);
  assert.equal(second.status, 'published');
  assert.notEqual(second.playlistId, first.playlistId, 'an API key cannot change it in place: a new one');
  const now = playlistsNamed('Bob Radio');
  assert.equal(now.length, 1, 'the old one is gone');
  assert.equal(now[0].id, second.playlistId);
  assert.equal(now[0].ownerId, jellyfin.user('bob').id);
  const runs = await runsOf(id);
  assert.deepEqual(now[0].entries, runs[1].track_ids, 'exactly the new songs');
  assert.notDeepEqual(runs[1].track_ids, runs[0].track_ids);
  assert.equal(await radioPlaylist(id), second.playlistId);
  assert.equal(
    jellyfin.requests.filter((r) => r.method === 'POST' && /^\/playlists\/[^/]+$/i.test(r.path)).length,
    0,
    'UpdatePlaylist is never tried with an API key (Jellyfin answers 400)',
  );
});

test("bob's own token: his radio's playlist is changed in place, same id, exactly the new songs", async () => {
  const run = await workerWith(jellyfin.user('bob').token);
  const id = await bobsRadio('Bob Own Token', 0);
  const first = await run(id);
  await reseed(id, 1);
  const second = await run(id);
  assert.equal(second.playlistId, first.playlistId, 'the same playlist');
  const [pl] = playlistsNamed('Bob Own Token');
  assert.equal(pl.ownerId, jellyfin.user('bob').id);
  assert.deepEqual(pl.entries, (await runsOf(id))[1].track_ids);
  assert.deepEqual([second.added > 0, second.removed > 0], [true, true]);
});

test('a worker killed with -9 while the new playlist is being made: one playlist of the name, the new one, whole', async () => {
  const { temporalAddress } = await services();
  const taskQueue = `test-${randomUUID()}`;
  const env = {
    MEDIA_SERVER_TYPE: 'jellyfin',
    JELLYFIN_URL: url,
    JELLYFIN_USER_ID: jellyfin.user('admin').id,
    JELLYFIN_TOKEN: jellyfin.apiKey,
    DATABASE_URL: databaseUrl,
    TEMPORAL_ADDRESS: temporalAddress,
    TEMPORAL_TASK_QUEUE: taskQueue,
  };
  const run = await workerWith(jellyfin.apiKey);
  const id = await bobsRadio('Bob Killed', 0);
  const first = await run(id);
  await reseed(id, 1);

  let arrived!: () => void;
  const atCreate = new Promise<void>((res) => (arrived = res));
  let release!: () => void;
  const held = new Promise<void>((res) => (release = res));
  jellyfin.hold = (method, path) => {
    if (method !== 'POST' || path !== '/playlists') return undefined;
    arrived();
    return held;
  };
  const proc = spawnWorker(env);
  const connection = await Connection.connect({ address: temporalAddress });
  const client = new Client({ connection, namespace: 'default' });
  try {
    const handle = await client.workflow.start('refreshRadio', {
      workflowId: `refresh-radio-${id}`,
      taskQueue,
      args: [{ radioId: id }],
    });
    await atCreate;
    await proc.killGroup();
    jellyfin.hold = undefined;
    release(); // the server carries the create out; its answer goes nowhere
    await waitFor('the new playlist made', () => playlistsNamed('Bob Killed').length === 2);
    assert.equal(await radioPlaylist(id), first.playlistId, 'the new id never reached the store');
    spawnWorker(env);
    const result = await handle.result();
    assert.equal(result.status, 'published');
    const now = playlistsNamed('Bob Killed');
    assert.equal(now.length, 1, 'one playlist, not two');
    assert.notEqual(now[0].id, first.playlistId, 'the old one was deleted by the retry');
    assert.equal(now[0].id, result.playlistId);
    assert.equal(await radioPlaylist(id), now[0].id);
    const runs = await runsOf(id);
    assert.equal(runs.length, 2, 'the run recorded once');
    assert.deepEqual(now[0].entries, runs[1].track_ids, 'whole: exactly the run’s songs');
  } finally {
    jellyfin.hold = undefined;
    await connection.close();
  }
});
