// Radios on real Temporal and PostgreSQL: a planted library served by the Navidrome stand-in (and a local folder),
// radios made and run through the API, refreshed by their Temporal Schedule, a worker killed with -9 while its
// create of the playlist is on the wire, and a person's deletion taking their radios and schedules with it.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import type { Config } from '../../lib/config.ts';
import { createPool, migrate, type Pool } from '../../lib/db.ts';
import { createMediaProvider } from '../../providers/media/index.ts';
import { describeSchedule, triggerSchedule, UnknownSchedule } from '../../client/schedules.ts';
import { radioScheduleId, runRadio } from '../../client/radios.ts';
import { plantLibrary, storePlantedFeatures, type PlantedLibrary } from '../helpers/planted-library.ts';
import { freshDatabase, releaseServices, scratchDir, services } from '../helpers/services.ts';
import { closeServedApps, serveApp } from '../helpers/web-app.ts';
import { startTestWorker, testConfig } from '../helpers/worker.ts';
import { runCleanups, spawnWorker } from '../helpers/worker-process.ts';
import { waitFor } from '../helpers/wait.ts';
import { cliEnvironment, runCli } from '../helpers/cli.ts';
import { startNavidromeStandin, type NavidromeStandin } from '../standins/navidrome.ts';

const TRACKS = 60;
let dir: string;
let databaseUrl: string;
let pool: Pool;
let lib: PlantedLibrary;
let standin: NavidromeStandin;
let env: Record<string, string>;
let config: Config;
let base: string;
let worker: Awaited<ReturnType<typeof startTestWorker>>;

const call = async (method: string, url: string, body?: unknown) => {
  const res = await fetch(`${base}${url}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as any };
};
const titlesOf = (group: number) => [...lib.groupOf].filter(([, g]) => g === group).map(([t]) => t);
async function itemId(source: string, title: string): Promise<string> {
  const { rows } = await pool.query(`SELECT item_id FROM tracks WHERE source = $1 AND title = $2`, [source, title]);
  return rows[0].item_id;
}
const radioRow = async (id: string) =>
  (await pool.query(`SELECT server_playlist_id, publish_started_at FROM radios WHERE id = $1`, [id])).rows[0];
const runsOf = async (id: string) =>
  (await pool.query(`SELECT * FROM radio_runs WHERE radio_id = $1 ORDER BY id`, [id])).rows;

before(async () => {
  dir = scratchDir('radios');
  lib = plantLibrary(dir, { tracks: TRACKS, groups: 3, seed: 7 });
  databaseUrl = await freshDatabase();
  pool = createPool(databaseUrl);
  await migrate(pool);
  standin = await startNavidromeStandin({ albums: lib.navidrome, otherUsers: [{ user: 'dora', password: 'dora-pw' }] });
  env = {
    MEDIA_SERVER_TYPE: 'navidrome',
    NAVIDROME_URL: standin.url,
    NAVIDROME_USER: 'admin',
    NAVIDROME_PASSWORD: 'sesame',
    USER_CREDENTIALS_KEY: randomBytes(32).toString('base64'),
  };
  config = testConfig(env);
  const media = await createMediaProvider(config);
  assert.equal(await storePlantedFeatures(pool, media, lib), TRACKS);
  const { temporalAddress } = await services();
  worker = await startTestWorker({ address: temporalAddress, pool, config });
  base = (await serveApp({ pool, config, client: worker.client, temporalAddress, media })).base;
});

after(async () => {
  closeServedApps();
  await runCleanups();
  await worker?.stop();
  await standin?.close();
  await pool?.end();
  await releaseServices();
});

test('bad input names its field', async () => {
  const bad = [
    [{ name: 'x', recipe: { kind: 'mix' } }, 'recipe.kind'],
    [{ name: 'x', recipe: { kind: 'instantMix', seeds: [] } }, 'recipe.seeds'],
    [{ name: 'x', recipe: { kind: 'path', startId: 'a' } }, 'recipe.endId'],
    [{ name: 'x', recipe: { kind: 'fingerprint', userId: '999' } }, 'recipe.userId'],
    [{ name: 'x', recipe: { kind: 'instantMix', seeds: ['a'] }, size: 0 }, 'size'],
    [{ name: 'x', recipe: { kind: 'instantMix', seeds: ['a'] }, cron: '99 * * * *' }, 'cron'],
  ] as const;
  for (const [body, field] of bad) {
    const r = await call('POST', '/api/radios', body);
    assert.equal(r.status, 400, JSON.stringify(r.body));
    assert.match(JSON.stringify(r.body), new RegExp(field.replace('.', '\\.')), JSON.stringify(r.body));
  }
  assert.equal((await call('GET', '/api/radios')).body.radios.length, 0, 'a refused schedule leaves no radio');
});

test('a radio refreshes into the same playlist, exactly the new songs; an empty result keeps the old content', async () => {
  const g0 = await itemId('navidrome', titlesOf(0)[0]);
  const created = await call('POST', '/api/radios', {
    name: 'Radio Zero',
    recipe: { kind: 'instantMix', seeds: [g0] },
    size: 8,
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const id = created.body.id as string;

  const first = await call('POST', `/api/radios/${id}/run`);
  assert.equal(first.status, 200, JSON.stringify(first.body));
  assert.equal(first.body.status, 'published');
  assert.equal(first.body.added, 8);
  const playlistId = first.body.playlistId as string;
  const pl = standin.playlists.get(playlistId)!;
  assert.equal(pl.name, 'Radio Zero');
  const firstSongs = [...pl.songIds];
  assert.deepEqual(firstSongs, (await runsOf(id))[0].track_ids);
  assert.ok(!firstSongs.includes(g0), 'the seed is not among its mix');

  // A new recipe: songs like a song of group 1; the same playlist holds exactly them now.
  const g1 = await itemId('navidrome', titlesOf(1)[0]);
  await pool.query(`UPDATE radios SET recipe = $2 WHERE id = $1`, [id, { kind: 'instantMix', seeds: [g1] }]);
  const second = await call('POST', '/api/radios/run', { radio_id: id });
  assert.equal(second.status, 200, JSON.stringify(second.body));
  const r2 = second.body.runs[0];
  assert.equal(r2.playlistId, playlistId, 'same playlist id');
  const now = standin.playlists.get(playlistId)!.songIds;
  assert.deepEqual(now, (await runsOf(id))[1].track_ids);
  assert.deepEqual(
    [r2.added, r2.removed, r2.kept],
    [
      now.filter((s) => !firstSongs.includes(s)).length,
      firstSongs.filter((s) => !now.includes(s)).length,
      now.filter((s) => firstSongs.includes(s)).length,
    ],
  );
  assert.equal(
    [...standin.playlists.values()].filter((p) => p.name === 'Radio Zero').length,
    1,
    'one playlist of that name',
  );

  // Seeds the library does not know: nothing published, the old songs stay, the run says why.
  await pool.query(`UPDATE radios SET recipe = $2 WHERE id = $1`, [id, { kind: 'instantMix', seeds: ['nope'] }]);
  const empty = await call('POST', `/api/radios/${id}/run`);
  assert.equal(empty.body.status, 'skipped', JSON.stringify(empty.body));
  assert.match(empty.body.reason, /nope/);
  assert.deepEqual(standin.playlists.get(playlistId)!.songIds, now, 'old content kept');
  const runs = await runsOf(id);
  assert.equal(runs.at(-1).status, 'skipped');
  assert.match(runs.at(-1).reason, /nope/);

  // The user deleted the playlist on the server: the next run makes it anew and stores its new id.
  await pool.query(`UPDATE radios SET recipe = $2 WHERE id = $1`, [id, { kind: 'instantMix', seeds: [g1] }]);
  standin.playlists.delete(playlistId);
  const again = await call('POST', `/api/radios/${id}/run`);
  assert.equal(again.body.status, 'published');
  assert.notEqual(again.body.playlistId, playlistId);
  assert.equal((await radioRow(id)).server_playlist_id, again.body.playlistId);
});

test('a scheduled radio refreshes when its schedule fires, into the same playlist; deleting it deletes the schedule', async () => {
  const seed = await itemId('navidrome', titlesOf(2)[0]);
  const created = await call('POST', '/api/radios', {
    name: 'Radio Two',
    recipe: { kind: 'path', startId: seed, endId: await itemId('navidrome', titlesOf(2)[1]) },
    size: 6,
    every: '1d',
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const id = created.body.id as string;
  assert.equal(created.body.scheduleId, radioScheduleId(id));
  const c = { client: worker.client, taskQueue: config.temporal.taskQueue };
  const scheduled = async (n: number) => {
    await triggerSchedule(c, radioScheduleId(id));
    return waitFor(
      `scheduled run ${n}`,
      async () => ((await runsOf(id)).length >= n ? await runsOf(id) : undefined),
      60_000,
    );
  };
  const [one] = await scheduled(1);
  assert.equal(one.status, 'published');
  const playlistId = (await radioRow(id)).server_playlist_id;
  assert.deepEqual(standin.playlists.get(playlistId)!.songIds, one.track_ids);
  await waitFor('first scheduled run completed', async () =>
    (await describeSchedule(c, radioScheduleId(id))).lastRun?.status === 'completed' ? 1 : undefined,
  );
  const runs = await scheduled(2);
  assert.equal(runs[1].status, 'published');
  assert.equal((await radioRow(id)).server_playlist_id, playlistId, 'same playlist id');
  assert.equal(runs[1].kept, 6, 'the same path again: every song kept');

  assert.equal((await call('DELETE', `/api/radios/${id}`)).status, 200);
  await assert.rejects(describeSchedule(c, radioScheduleId(id)), UnknownSchedule);
  assert.ok(standin.playlists.has(playlistId), 'its playlist on the server stays');
});

test('PUT edits a radio: its schedule appears, changes and goes; a renamed radio keeps its playlist id; bad fields, 404, 409', async () => {
  const created = await call('POST', '/api/radios', {
    name: 'Radio Edit',
    recipe: { kind: 'instantMix', seeds: [await itemId('navidrome', titlesOf(0)[2])] },
    size: 5,
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const id = created.body.id as string;
  const c = { client: worker.client, taskQueue: config.temporal.taskQueue };
  const first = await call('POST', `/api/radios/${id}/run`);
  assert.equal(first.body.added, 5, JSON.stringify(first.body));
  const playlistId = first.body.playlistId as string;

  const sized = await call('PUT', `/api/radios/${id}`, { size: 7, cron: '0 6 * * *' });
  assert.equal(sized.status, 200, JSON.stringify(sized.body));
  assert.equal(sized.body.size, 7);
  assert.equal(sized.body.scheduleId, radioScheduleId(id));
  assert.equal((await describeSchedule(c, radioScheduleId(id))).when, '0 6 * * *', 'the schedule appears');

  const moved = await call('PUT', `/api/radios/${id}`, { cron: '30 7 * * 1' });
  assert.equal(moved.status, 200, JSON.stringify(moved.body));
  const monday = await describeSchedule(c, radioScheduleId(id));
  assert.equal(monday.when, '30 7 * * 1', 'the schedule changes');
  assert.deepEqual(
    monday.nextRuns.map((t) => [new Date(t).getUTCDay(), new Date(t).getUTCHours(), new Date(t).getUTCMinutes()]),
    monday.nextRuns.map(() => [1, 7, 30]),
  );
  // Temporal refuses the minute 99 (the shape passes our check): the old schedule is put back.
  const refused = await call('PUT', `/api/radios/${id}`, { cron: '99 * * * *' });
  assert.equal(refused.status, 400, JSON.stringify(refused.body));
  assert.equal(refused.body.field, 'cron');
  assert.equal((await describeSchedule(c, radioScheduleId(id))).when, '30 7 * * 1', 'a refused cron keeps the old');

  const unscheduled = await call('PUT', `/api/radios/${id}`, { cron: null });
  assert.equal(unscheduled.status, 200, JSON.stringify(unscheduled.body));
  assert.equal(unscheduled.body.scheduleId, null);
  await assert.rejects(describeSchedule(c, radioScheduleId(id)), UnknownSchedule, 'the schedule goes');

  const renamed = await call('PUT', `/api/radios/${id}`, { name: 'Radio Edited' });
  assert.equal(renamed.status, 200, JSON.stringify(renamed.body));
  assert.equal(renamed.body.name, 'Radio Edited');
  assert.equal(renamed.body.serverPlaylistId, playlistId, 'the playlist id stays with the radio');
  const second = await call('POST', `/api/radios/${id}/run`);
  assert.equal(second.body.playlistId, playlistId, 'the same playlist');
  assert.equal(standin.playlists.get(playlistId)!.songIds.length, 7, 'the new size');

  const bad = [
    [{ size: 0 }, 'size'],
    [{ recipe: { kind: 'instantMix', seeds: [] } }, 'recipe.seeds'],
    [{ recipe: { kind: 'fingerprint', userId: '999' } }, 'recipe.userId'],
    [{ name: '' }, 'name'],
    [{ cron: '0 6 * * *', every: '1d' }, 'cron'],
    [{ every: 'daily' }, 'every'],
    [{ user_id: '1' }, 'userId'],
  ] as const;
  for (const [body, field] of bad) {
    const r = await call('PUT', `/api/radios/${id}`, body);
    assert.equal(r.status, 400, JSON.stringify(r.body));
    assert.match(JSON.stringify(r.body), new RegExp(field.replace('.', '\\.')), JSON.stringify(r.body));
  }
  assert.equal((await call('PUT', '/api/radios/999999', { size: 3 })).status, 404);
  const other = await call('POST', '/api/radios', {
    name: 'Radio Other',
    recipe: { kind: 'instantMix', seeds: ['x'] },
  });
  const taken = await call('PUT', `/api/radios/${id}`, { name: 'Radio Other' });
  assert.equal(taken.status, 409, JSON.stringify(taken.body));
  assert.equal(taken.body.field, 'name');
  assert.equal((await call('GET', `/api/radios/${id}`)).body.name, 'Radio Edited', 'a refused edit changes nothing');
  for (const r of [id, other.body.id]) assert.equal((await call('DELETE', `/api/radios/${r}`)).status, 200);
});

test('the CLI: radio create, update (name, size, schedule on and off), run, list, delete', async () => {
  const { temporalAddress } = await services();
  const cliEnv = cliEnvironment(env, {
    databaseUrl,
    temporalAddress,
    taskQueue: config.temporal.taskQueue,
  });
  const cli = async (...args: string[]) => {
    const r = await runCli(cliEnv, 'radio', ...args);
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout);
  };
  const seed = await itemId('navidrome', titlesOf(2)[0]);
  const made = await cli(
    'create',
    'CLI Radio',
    '--recipe',
    JSON.stringify({ kind: 'instantMix', seeds: [seed] }),
    '--size',
    '4',
  );
  const c = { client: worker.client, taskQueue: config.temporal.taskQueue };
  const updated = await cli('update', 'CLI Radio', '--name', 'CLI Radio 2', '--size', '6', '--cron', '15 5 * * *');
  assert.deepEqual([updated.id, updated.name, updated.size], [made.id, 'CLI Radio 2', 6]);
  assert.equal((await describeSchedule(c, radioScheduleId(made.id))).when, '15 5 * * *');
  const ran = await cli('run', made.id);
  assert.equal(ran.status, 'published');
  assert.equal(standin.playlists.get(ran.playlistId)!.songIds.length, 6);
  assert.equal(standin.playlists.get(ran.playlistId)!.name, 'CLI Radio 2');
  await cli('update', made.id, '--no-cron');
  await assert.rejects(describeSchedule(c, radioScheduleId(made.id)), UnknownSchedule);
  const bad = await runCli(cliEnv, 'radio', 'update', made.id, '--size', '0');
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /size/);
  assert.ok((await cli('list')).radios.some((r: { id: string; size: number }) => r.id === made.id && r.size === 6));
  assert.equal((await cli('delete', made.id)).deleted, made.id);
});

test("a renamed radio's next run writes the new name into the same Navidrome playlist", async () => {
  const created = await call('POST', '/api/radios', {
    name: 'Radio Old Name',
    recipe: { kind: 'instantMix', seeds: [await itemId('navidrome', titlesOf(1)[3])] },
    size: 4,
  });
  const id = created.body.id as string;
  const { playlistId } = (await call('POST', `/api/radios/${id}/run`)).body;
  assert.equal((await call('PUT', `/api/radios/${id}`, { name: 'Radio New Name' })).status, 200);
  const again = await call('POST', `/api/radios/${id}/run`);
  assert.equal(again.body.playlistId, playlistId, 'the same playlist');
  assert.equal(standin.playlists.get(playlistId)!.name, 'Radio New Name', 'the playlist takes the new name');
});

test("a person's radio is published as them (their stored login); deleting them deletes their radios and schedules, their playlists stay", async () => {
  const added = await call('POST', '/api/users', { name: 'dora', password: 'dora-pw' });
  assert.equal(added.status, 200, JSON.stringify(added.body));
  const u = added.body as { id: string };
  const seed = await itemId('navidrome', titlesOf(0)[1]);
  const ids: string[] = [];
  for (const name of ['Dora A', 'Dora B']) {
    const r = await call('POST', '/api/radios', {
      name,
      recipe: { kind: 'instantMix', seeds: [seed] },
      size: 5,
      user_id: u.id,
      cron: '0 6 * * *',
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    ids.push(r.body.id);
  }
  await runRadio({ pool, source: 'navidrome', client: worker.client, taskQueue: config.temporal.taskQueue }, ids[0]);
  const playlistId = (await radioRow(ids[0])).server_playlist_id;
  assert.equal(standin.playlists.get(playlistId)!.owner, 'dora', "hers, made with her login, not the admin's");
  const c = { client: worker.client, taskQueue: config.temporal.taskQueue };
  for (const id of ids) await describeSchedule(c, radioScheduleId(id));

  assert.equal((await call('DELETE', `/api/users/${u.id}`)).status, 200);
  assert.equal((await pool.query(`SELECT 1 FROM radios WHERE id = ANY($1)`, [ids])).rowCount, 0);
  for (const id of ids) await assert.rejects(describeSchedule(c, radioScheduleId(id)), UnknownSchedule);
  assert.ok(standin.playlists.has(playlistId), 'their playlist on the server stays');
});

test("a worker killed with -9 while its create is on the wire: the retry adopts that playlist, no second one, and never a person's own of the same name", async () => {
  const { temporalAddress } = await services();
  const taskQueue = `test-${randomUUID()}`;
  const proc = spawnWorker({
    ...env,
    DATABASE_URL: databaseUrl,
    TEMPORAL_ADDRESS: temporalAddress,
    TEMPORAL_TASK_QUEUE: taskQueue,
  });
  // A person's own playlist, named like the radio before the radio ever ran: never adopted, never rewritten.
  const media = await createMediaProvider(config);
  const theirs = await media.createPlaylist('Radio Killed', [await itemId('navidrome', titlesOf(0)[0])]);
  const theirSongs = [...standin.playlists.get(theirs.id)!.songIds];
  const r = await call('POST', '/api/radios', {
    name: 'Radio Killed',
    recipe: { kind: 'instantMix', seeds: [await itemId('navidrome', titlesOf(1)[2])] },
    size: 7,
  });
  const id = r.body.id as string;
  let arrived!: () => void;
  const atCreate = new Promise<void>((res) => (arrived = res));
  let release!: () => void;
  const held = new Promise<void>((res) => (release = res));
  standin.hold = (endpoint, params) => {
    if (endpoint !== 'createPlaylist' || params.get('name') !== 'Radio Killed') return undefined;
    arrived();
    return held;
  };
  const connection = await Connection.connect({ address: temporalAddress });
  const client = new Client({ connection, namespace: config.temporal.namespace });
  try {
    const handle = await client.workflow.start('refreshRadio', {
      workflowId: `refresh-radio-${id}`,
      taskQueue,
      args: [{ radioId: id }],
    });
    await atCreate;
    await proc.killGroup();
    // The server carries the create out; its answer goes nowhere.
    standin.hold = undefined;
    release();
    await waitFor('the create carried out', () =>
      [...standin.playlists.values()].some((p) => p.name === 'Radio Killed' && p.id !== theirs.id),
    );
    assert.equal((await radioRow(id)).server_playlist_id, null, 'its id never reached the store');
    spawnWorker({
      ...env,
      DATABASE_URL: databaseUrl,
      TEMPORAL_ADDRESS: temporalAddress,
      TEMPORAL_TASK_QUEUE: taskQueue,
    });
    const result = await handle.result();
    assert.equal(result.status, 'published');
    const mine = [...standin.playlists.values()].filter((p) => p.name === 'Radio Killed' && p.id !== theirs.id);
    assert.equal(mine.length, 1, 'one playlist, not two');
    assert.deepEqual(standin.playlists.get(theirs.id)!.songIds, theirSongs, 'their playlist is untouched');
    assert.equal(result.playlistId, mine[0].id);
    assert.equal((await radioRow(id)).server_playlist_id, mine[0].id);
    assert.deepEqual(mine[0].songIds, (await runsOf(id))[0].track_ids);
    assert.equal((await runsOf(id)).length, 1);
  } finally {
    standin.hold = undefined;
    await connection.close();
  }
});

test('local folder: the radio rewrites its own file in place (same id), exactly the new songs', async () => {
  const playlistDir = path.join(dir, 'playlists');
  const local = testConfig({ MEDIA_SERVER_TYPE: 'local', MUSIC_DIR: lib.musicDir, PLAYLIST_DIR: playlistDir });
  const media = await createMediaProvider(local);
  await storePlantedFeatures(pool, media, lib);
  const { temporalAddress } = await services();
  const w = await startTestWorker({ address: temporalAddress, pool, config: local });
  try {
    const rc = { pool, source: 'local', client: w.client, taskQueue: local.temporal.taskQueue };
    const {
      rows: [row],
    } = await pool.query(
      `INSERT INTO radios (source, name, recipe, size) VALUES ('local', 'Folder Radio', $1, 5) RETURNING id::text AS id`,
      [{ kind: 'instantMix', seeds: [await itemId('local', titlesOf(0)[0])] }],
    );
    const one = await runRadio(rc, row.id);
    await pool.query(`UPDATE radios SET recipe = $2 WHERE id = $1`, [
      row.id,
      { kind: 'instantMix', seeds: [await itemId('local', titlesOf(2)[0])] },
    ]);
    const two = await runRadio(rc, row.id);
    assert.equal(two.playlistId, one.playlistId, 'same id');
    const files = fs.readdirSync(playlistDir).filter((f) => f.startsWith('Folder Radio'));
    assert.deepEqual(files, ['Folder Radio.m3u8']);
    const listed = (await media.listPlaylists()).find((p) => p.id === two.playlistId)!;
    const runs = await runsOf(row.id);
    assert.equal(listed.trackCount, runs[1].track_ids.length);
    const text = fs.readFileSync(path.join(playlistDir, files[0]), 'utf8');
    const titles = (
      await pool.query(`SELECT title FROM tracks WHERE source = 'local' AND item_id = ANY($1)`, [runs[1].track_ids])
    ).rows;
    for (const { title } of titles) assert.ok(text.includes(title), `${title} in the file`);
    assert.ok(
      titles.every(({ title }) => lib.groupOf.get(title) === 2),
      'only the new songs (group 2)',
    );
  } finally {
    await w.stop();
  }
});
