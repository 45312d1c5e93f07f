// A 100-song planted library clustered on the product's defaults from the page, in headless Chromium against
// a real worker, Temporal and PostgreSQL: the page says which settings were fitted to the small library and
// why songs are in no playlist, and lists exactly the songs in none; the CLI says the same
// (`audiomuse cluster status`, `audiomuse cluster left-out`). Also the analysis profile with its measured facts.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, test, type TestContext } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { ClusteringProgress } from '../../contracts/clustering.ts';
import { createMediaProvider } from '../../providers/media/index.ts';
import { createPool, migrate, type Pool } from '../../lib/db.ts';
import { profileFactsSentence } from '../../words/analysis-profile.ts';
import { fittedSentence, LEFT_OUT_LABEL, leftOutSentence } from '../../words/clustering-explained.ts';
import { plantLibrary, storePlantedFeatures } from '../helpers/planted-library.ts';
import { freshDatabase, releaseServices, scratchDir, services } from '../helpers/services.ts';
import { closeServedApps, serveApp } from '../helpers/web-app.ts';
import { cliEnvironment, runCli } from '../helpers/cli.ts';
import { startTestWorker, testConfig } from '../helpers/worker.ts';
import { repoRoot, requireOrSkip } from '../shared-paths.ts';

const CHROMIUM = '/usr/bin/chromium';
const SONGS = 100;
/** Generous: the suite may share a loaded 2-core machine. */
const STATE_MS = 60_000;

let dir: string | undefined;
let pool: Pool | undefined;
let browser: Browser | undefined;
let stopWorker: (() => Promise<void>) | undefined;
after(async () => {
  closeServedApps();
  await browser?.close();
  await stopWorker?.();
  await pool?.end();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
  await releaseServices();
});

async function stack(t: TestContext) {
  if (!requireOrSkip(t, CHROMIUM, 'Debian package chromium')) return undefined;
  dir = scratchDir('web-left-out');
  const lib = plantLibrary(dir, { tracks: SONGS, groups: 4, seed: 22 });
  const { temporalAddress } = await services();
  const databaseUrl = await freshDatabase();
  pool = createPool(databaseUrl);
  await migrate(pool);
  const env = {
    MEDIA_SERVER_TYPE: 'local',
    MUSIC_DIR: lib.musicDir,
    PLAYLIST_DIR: path.join(dir, 'playlists'),
    ANALYSIS_WORKERS: '0',
  };
  const config = testConfig(env);
  const media = await createMediaProvider(config);
  assert.equal(await storePlantedFeatures(pool, media, lib), SONGS);
  const worker = await startTestWorker({ address: temporalAddress, pool, config });
  stopWorker = worker.stop;
  const { base } = await serveApp({ pool, config, client: worker.client, temporalAddress, media });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  const cliEnv = cliEnvironment(env, {
    databaseUrl,
    temporalAddress,
    taskQueue: config.temporal.taskQueue,
  });
  const audiomuse = (...args: string[]) => runCli(cliEnv, 'cluster', ...args);
  return { base, pool, browser, audiomuse };
}

const text = (page: Page, selector: string) => page.locator(selector).innerText();

test(
  'a 100-song library on defaults: the page and the CLI say what was fitted and why each song in no playlist is there',
  { timeout: 540_000 },
  async (t) => {
    const s = await stack(t);
    if (!s) return;
    const page = await s.browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.setDefaultTimeout(STATE_MS);
    const errors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(`console: ${m.text()}`);
    });
    page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
    await page.goto(s.base);

    // The analysis profile: the configured one, its measured facts, and how to switch.
    await page.locator('#analysis-profile [data-profile=exact]').waitFor();
    const profile = await text(page, '#analysis-profile');
    assert.ok(profile.includes(profileFactsSentence()), profile);
    assert.match(profile, /set ANALYSIS_PROFILE=fast for the worker/);

    // A clustering on the form's defaults (20–60 clusters of at least 20 songs: made for thousands of songs).
    await page.locator('#cf-runs').waitFor();
    await page.click('#clustering-start');
    await page.locator('#clustering-state', { hasText: /^finished$/ }).waitFor({ timeout: 420_000 });
    const {
      rows: [run],
    } = await s.pool.query<{ id: string; progress: ClusteringProgress }>(
      `SELECT 'clustering-' || id AS id, progress FROM clustering_runs`,
    );
    assert.equal(run.progress.trackCount, SONGS);
    assert.equal(await page.locator('#clustering-fitted').isVisible(), true, 'the fitted settings are shown');
    const fitted = await text(page, '#clustering-fitted');
    assert.equal(fitted, fittedSentence(SONGS, run.progress.sizeChanges));
    assert.match(
      fitted,
      /^Fitted to your 100 songs: playlists of at least 10 songs \(was 20\), \d+–\d+ clusters \(was 20–60\)/,
    );

    // The songs in playlists and those listed as in none are the whole library, each once.
    const { playlists } = (await (await fetch(`${s.base}/api/playlists?include=tracks`)).json()) as {
      playlists: { tracks: { id: string }[] }[];
    };
    const inPlaylists = playlists.flatMap((p) => p.tracks.map((tr) => tr.id));
    const counts = run.progress.outcome!.leftOut!;
    const leftOut = Object.values(counts).reduce((a, n) => a + n, 0);
    assert.ok(leftOut > 0, 'the artist cap (3 per playlist) leaves some of the ~6 songs per artist out');
    assert.equal(await page.locator('#clustering-left-out').isVisible(), true, 'the left-out line is shown');
    assert.equal(await text(page, '#clustering-left-out'), leftOutSentence(SONGS, counts));
    assert.match(await text(page, '#clustering-left-out'), new RegExp(`^${leftOut} of 100 songs are in no playlist: `));
    await page.getByText('The songs in no playlist').click();
    await page.locator('#left-out-rows tr').first().waitFor(); // a page of rows arrives at once
    const rows = await page
      .locator('#left-out-rows tr')
      .evaluateAll((trs) => trs.map((tr) => [tr.getAttribute('data-track'), tr.lastElementChild!.textContent]));
    assert.equal(rows.length, SONGS - inPlaylists.length, 'listed = library − songs in playlists');
    assert.equal(await page.locator('#left-out-more').isHidden(), true, 'every song on the first page');
    assert.deepEqual(
      [...rows.map((r) => r[0]!), ...inPlaylists].sort(),
      (await s.pool.query<{ id: string }>('SELECT id::text AS id FROM tracks')).rows.map((r) => r.id).sort(),
      'each song of the library is in a playlist or in the list, once',
    );
    for (const [, why] of rows) assert.ok(Object.values(LEFT_OUT_LABEL).includes(why!), `reason "${why}"`);
    t.diagnostic(`${fitted} | ${await text(page, '#clustering-left-out')}`);
    fs.mkdirSync(path.join(repoRoot, 'test-artifacts'), { recursive: true });
    await page.screenshot({ path: path.join(repoRoot, 'test-artifacts', 'web-left-out.png'), fullPage: true });
    assert.deepEqual(errors, [], 'no console errors');
    await page.close();

    // The CLI: the same sentences on `status`, and the songs on `left-out`.
    const status = await s.audiomuse('status');
    assert.equal(status.code, 0, status.stderr);
    assert.ok(status.stderr.includes(fitted), `status says what was fitted: ${status.stderr}`);
    assert.ok(status.stderr.includes(leftOutSentence(SONGS, counts)), `status says why: ${status.stderr}`);
    const all = await s.audiomuse('left-out');
    assert.equal(all.code, 0, all.stderr);
    assert.equal(all.stdout.trim().split('\n').length, leftOut, all.stdout);
    assert.match(all.stderr, new RegExp(`^${run.id}: ${leftOut} of 100 songs are in no playlist`));
    for (const line of all.stdout.trim().split('\n'))
      assert.match(line, /^Artist \d+-\d+ – Song \d+ – (farther|cut|a duplicate|in a cluster|in no cluster)/);
    const [reason, n] = Object.entries(counts).sort((a, b) => b[1] - a[1])[0];
    const some = await s.audiomuse('left-out', run.id, '--reason', reason, '--limit', '2');
    assert.equal(some.code, 0, some.stderr);
    const lines = some.stdout.trim().split('\n');
    assert.equal(lines.length, Math.min(2, n));
    const label = LEFT_OUT_LABEL[reason as keyof typeof LEFT_OUT_LABEL];
    for (const line of lines)
      assert.ok(line.endsWith(` – ${label}`), `--reason ${reason} lists only "${label}": ${line}`);
    if (n > 2) assert.match(some.stderr, new RegExp(`… ${n - 2} more`));
    const bad = await s.audiomuse('left-out', '--reason', 'boring');
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--reason must be one of noise, distance, artistCap, duplicate, smallCluster/);
  },
);
