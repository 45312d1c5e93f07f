// The Radios panel in headless Chromium against a real worker, Temporal and PostgreSQL, over a planted library
// served by the Navidrome stand-in: a radio made from a song found by typing, run (its counts shown as the run
// recorded them, its songs in the stand-in's playlist), edited (size and schedule, seen on Temporal), run again
// and deleted with its schedule, its playlist left on the server.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, test, type TestContext } from 'node:test';
import { chromium, type Browser } from 'playwright-core';
import { describeSchedule, UnknownSchedule } from '../../client/schedules.ts';
import { radioScheduleId } from '../../client/radios.ts';
import { createMediaProvider } from '../../providers/media/index.ts';
import { createPool, migrate, type Pool } from '../../lib/db.ts';
import { plantLibrary, storePlantedFeatures } from '../helpers/planted-library.ts';
import { freshDatabase, releaseServices, scratchDir, services } from '../helpers/services.ts';
import { closeServedApps, serveApp } from '../helpers/web-app.ts';
import { startTestWorker, testConfig } from '../helpers/worker.ts';
import { repoRoot, requireOrSkip } from '../shared-paths.ts';
import { startNavidromeStandin, type NavidromeStandin } from '../standins/navidrome.ts';

const CHROMIUM = '/usr/bin/chromium';
const SONGS = 40;
/** Generous: the suite may share a loaded 2-core machine. */
const STATE_MS = 60_000;

let dir: string | undefined;
let pool: Pool | undefined;
let browser: Browser | undefined;
let standin: NavidromeStandin | undefined;
let stopWorker: (() => Promise<void>) | undefined;
after(async () => {
  closeServedApps();
  await browser?.close();
  await stopWorker?.();
  await standin?.close();
  await pool?.end();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
  await releaseServices();
});

async function stack(t: TestContext) {
  if (!requireOrSkip(t, CHROMIUM, 'Debian package chromium')) return undefined;
  dir = scratchDir('web-radios');
  const lib = plantLibrary(dir, { tracks: SONGS, groups: 3, seed: 31 });
  const { temporalAddress } = await services();
  pool = createPool(await freshDatabase());
  await migrate(pool);
  standin = await startNavidromeStandin({ albums: lib.navidrome });
  const config = testConfig({
    MEDIA_SERVER_TYPE: 'navidrome',
    NAVIDROME_URL: standin.url,
    NAVIDROME_USER: 'admin',
    NAVIDROME_PASSWORD: 'sesame',
  });
  const media = await createMediaProvider(config);
  assert.equal(await storePlantedFeatures(pool, media, lib), SONGS);
  const worker = await startTestWorker({ address: temporalAddress, pool, config });
  stopWorker = worker.stop;
  const { base } = await serveApp({ pool, config, client: worker.client, temporalAddress, media });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  const schedules = { client: worker.client, taskQueue: config.temporal.taskQueue };
  return { base, pool, browser, standin, schedules, title: [...lib.groupOf.keys()][0] };
}

interface ApiRadio {
  id: string;
  recipe: unknown;
  size: number;
  serverPlaylistId: string | null;
  runs: { status: string; added: number; removed: number; kept: number }[];
}

test('the Radios panel: create a radio from a found song, run it, edit it, run it again, delete it', async (t) => {
  const s = await stack(t);
  if (!s) return;
  const radios = async () => ((await (await fetch(`${s.base}/api/radios`)).json()) as { radios: ApiRadio[] }).radios;
  const page = await s.browser.newPage({ viewport: { width: 1280, height: 900 }, timezoneId: 'UTC' });
  page.setDefaultTimeout(STATE_MS);
  const errors: string[] = [];
  // Failed requests are told by their answers: the People panel's /api/users/server is a 502 on the stand-in,
  // which has no getUsers; any other refusal is an error here.
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) errors.push(`console: ${m.text()}`);
  });
  page.on('response', (r) => {
    if (r.status() >= 400 && new URL(r.url()).pathname !== '/api/users/server')
      errors.push(`${r.status()} ${r.request().method()} ${r.url()}`);
  });
  page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
  await page.goto(s.base);
  await page.locator('#radios-body', { hasText: 'No radios yet.' }).waitFor();

  // A mix of one song found by typing its title.
  const {
    rows: [seed],
  } = await s.pool.query<{ itemId: string; artist: string }>(
    `SELECT item_id AS "itemId", artist FROM tracks WHERE title = $1`,
    [s.title],
  );
  await page.fill('#radio-name', 'Panel Radio');
  await page.fill('#radio-size', '6');
  await page.fill('#radio-song-search', s.title);
  await page.getByRole('button', { name: `Add: ${s.title} — ${seed.artist}` }).click();
  assert.equal(await page.locator('#radio-seeds li').getAttribute('data-item'), seed.itemId);
  await page.click('#radio-create');
  const row = page.locator('#radios-body tr', { hasText: 'Panel Radio' });
  await row.waitFor();
  const [made] = await radios();
  assert.deepEqual([made.recipe, made.size], [{ kind: 'instantMix', seeds: [seed.itemId] }, 6]);
  assert.equal(await row.locator('.recipe').innerText(), `Instant mix of ${s.title} — ${seed.artist}`);
  assert.equal(await row.locator('.last-run').innerText(), 'not run yet');

  // Run: the counts the run recorded, and the playlist on the server holds its songs.
  await page.getByRole('button', { name: 'Run Panel Radio' }).click();
  await row.locator('.last-run', { hasText: /^published/ }).waitFor();
  const [ran] = await radios();
  assert.equal(ran.runs[0].added, 6);
  assert.match(await row.locator('.last-run').innerText(), /^published: 6 added, 0 removed, 0 kept\n/);
  assert.match(await row.innerText(), new RegExp(`playlist ${ran.serverPlaylistId}`));
  assert.equal(s.standin.playlists.get(ran.serverPlaylistId!)!.songIds.length, 6);

  // Edit: 4 songs, refreshed at 06:00; the schedule is on Temporal; the next run shows what changed.
  await row.getByRole('button', { name: 'Edit Panel Radio' }).click();
  await page.fill('#radio-edit-size', '4');
  await page.fill('#radio-edit-schedule', '0 6 * * *');
  await page.click('#radio-edit-save');
  await row.locator('.schedule', { hasText: '0 6 * * *' }).waitFor();
  assert.equal((await describeSchedule(s.schedules, radioScheduleId(ran.id))).when, '0 6 * * *');
  assert.match(await row.locator('.schedule').innerText(), /next \d\d\/\d\d\/\d{4}, 06:00:00/);
  await page.getByRole('button', { name: 'Run Panel Radio' }).click();
  await page.locator('#radios-message', { hasText: /^Panel Radio: published/ }).waitFor();
  const [again] = await radios();
  const r = again.runs[0];
  assert.equal(r.added + r.kept, 4, 'the new size');
  assert.equal(r.removed + r.kept, 6);
  await row
    .locator('.last-run', { hasText: new RegExp(`^published: ${r.added} added, ${r.removed} removed, ${r.kept} kept`) })
    .waitFor();
  fs.mkdirSync(path.join(repoRoot, 'test-artifacts'), { recursive: true });
  await page.screenshot({ path: path.join(repoRoot, 'test-artifacts', 'web-radios.png'), fullPage: true });

  // Delete: the radio and its schedule go; its playlist stays on the server.
  page.once('dialog', (d) => void d.accept());
  await page.getByRole('button', { name: 'Delete Panel Radio' }).click();
  await page.locator('#radios-body', { hasText: 'No radios yet.' }).waitFor();
  assert.deepEqual(await radios(), []);
  await assert.rejects(describeSchedule(s.schedules, radioScheduleId(ran.id)), UnknownSchedule);
  assert.ok(s.standin.playlists.has(ran.serverPlaylistId!), 'its playlist stays on the server');
  assert.deepEqual(errors, [], 'no console errors');
  await page.close();
});
