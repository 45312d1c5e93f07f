// The page in a real browser (Debian's headless Chromium driven by playwright-core) against the real stack: a
// Temporal dev server, PostgreSQL, the product's worker with a real analysis worker, and a small music folder of
// real audio. Analysis to 100 %, a clustering from the generated form, playlists with profile charts, the map,
// a cancelled run, the login form and the media advice; the listening panel over a planted library (a song found
// by typing, its similar songs, a path drawn on the map, a mix saved as a playlist); no console errors;
// screenshots in test-artifacts/.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, test, type TestContext } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createMediaProvider } from '../../providers/media/index.ts';
import { loadConfig, type Config } from '../../lib/config.ts';
import { createPool, migrate, type Pool } from '../../lib/db.ts';
import type { WebDeps } from '../../web/app.ts';
import { makeClipLibrary, SONGS_DIR } from '../helpers/analysis-library.ts';
import { plantLibrary, storePlantedFeatures } from '../helpers/planted-library.ts';
import { freshDatabase, freshNamespace, releaseServices, scratchDir, services } from '../helpers/services.ts';
import { closeServedApps, serveApp } from '../helpers/web-app.ts';
import { startTestWorker, testConfig } from '../helpers/worker.ts';
import { modelsDir, repoRoot, requireOrSkip } from '../shared-paths.ts';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = path.join(repoRoot, 'test-artifacts');
const TEMPORAL_UI = 'http://temporal.example:8233';
const ALBUMS = 6,
  TRACKS_PER_ALBUM = 3;
/** The map's inner margin in CSS pixels (web/ui/map.ts), to find a dot on the canvas from its coordinates. */
const MAP_PAD = 12;
/** How long a wait for a page state may take: generous, since the suite may run on a loaded 2-core machine. */
const STATE_MS = 60_000;

interface Stack {
  dir: string;
  pool: Pool;
  config: Config;
  temporalAddress: string;
  worker: Awaited<ReturnType<typeof startTestWorker>>;
  browser: Browser;
  base: string;
}

let stack: Promise<Stack> | undefined;

const serve = async (deps: WebDeps) => (await serveApp(deps)).base;

/** Skips (or fails under CI) without the audio, the models or the browser; else starts the stack once. */
function needStack(t: TestContext): Promise<Stack> | undefined {
  if (
    !requireOrSkip(t, SONGS_DIR, 'Debian packages fretsonfire-songs-*') ||
    !requireOrSkip(t, modelsDir, 'MusiCNN models') ||
    !requireOrSkip(t, CHROMIUM, 'Debian package chromium')
  )
    return undefined;
  stack ??= (async () => {
    const dir = scratchDir('web-browser');
    const library = await makeClipLibrary(path.join(dir, 'music'), {
      albums: ALBUMS,
      tracksPerAlbum: TRACKS_PER_ALBUM,
      seconds: 10,
    });
    const temporalAddress = (await services()).temporalAddress;
    const pool = createPool(await freshDatabase());
    await migrate(pool);
    const config = testConfig({
      // Its own namespace: another file's `analyze-library` in `default` would be this page's running analysis.
      TEMPORAL_NAMESPACE: await freshNamespace('web-browser'),
      MEDIA_SERVER_TYPE: 'local',
      MUSIC_DIR: library.musicDir,
      PLAYLIST_DIR: path.join(dir, 'playlists'),
      MODELS_DIR: modelsDir,
      TEMP_DIR: path.join(dir, 'tmp'),
      ANALYSIS_WORKERS: '0',
    });
    const worker = await startTestWorker({
      address: temporalAddress,
      pool,
      config,
      analysisTempDir: path.join(dir, 'tmp'),
    });
    const media = await createMediaProvider(config);
    const base = await serve({
      pool,
      config,
      client: worker.client,
      temporalAddress,
      media,
      temporalUiUrl: TEMPORAL_UI,
    });
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    return { dir, pool, config, temporalAddress, worker, browser, base };
  })();
  return stack;
}

after(async () => {
  closeServedApps();
  const s = await stack?.catch(() => undefined);
  await (await planted?.catch(() => undefined))?.pool.end();
  await s?.browser.close();
  await s?.worker.stop();
  await s?.pool.end();
  if (s) fs.rmSync(s.dir, { recursive: true, force: true });
  await releaseServices();
});

/** A page that records every console error and uncaught exception. */
async function openPage(
  browser: Browser,
  url: string,
  viewport = { width: 1280, height: 800 },
): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport });
  page.setDefaultTimeout(STATE_MS);
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
  await page.goto(url);
  return { page, errors };
}

const text = (page: Page, selector: string) => page.locator(selector).innerText();

test(
  'analysis to 100 %, a clustering from the form, playlists with profiles, the map, a cancelled run; no console errors',
  { timeout: 540_000 },
  async (t) => {
    const s = await needStack(t);
    if (!s) return;
    const { page, errors } = await openPage(s.browser, s.base);
    fs.mkdirSync(ARTIFACTS, { recursive: true });

    // Health strip: every part the system needs is up.
    for (const part of ['postgres', 'temporal', 'worker', 'mediaServer'])
      await page.locator(`#health [data-part=${part}].ok`).waitFor();
    assert.equal(await page.locator('#banner').isHidden(), true, 'no banner while everything is up');
    assert.equal(await page.locator('#temporal-web').getAttribute('href'), TEMPORAL_UI);
    assert.equal(await page.locator('#media').isHidden(), true, 'a working music folder needs no advice');

    // The form comes from the OpenAPI document: every parameter, with the configured defaults and ranges.
    await page.locator('#cf-runs').waitFor();
    const doc = (await (await fetch(`${s.base}/api/openapi.json`)).json()) as {
      components: {
        schemas: {
          startClusteringBody: {
            properties: Record<
              string,
              { default?: unknown; minimum?: number; maximum?: number; properties?: Record<string, unknown> }
            >;
          };
        };
      };
    };
    const props = doc.components.schemas.startClusteringBody.properties;
    const expectedFields = Object.entries(props).flatMap(([k, v]) =>
      v.properties ? Object.keys(v.properties).map((sub) => `${k}.${sub}`) : [k],
    );
    const formFields = await page
      .locator('#cluster-form [name]')
      .evaluateAll((els) => els.map((e) => e.getAttribute('name')));
    assert.deepEqual(formFields.sort(), expectedFields.sort());
    assert.equal(await page.locator('#cf-runs').inputValue(), String(s.config.clustering.runs));
    assert.equal(await page.locator('#cf-runs').getAttribute('max'), String(props.runs.maximum));
    assert.match(await text(page, '#cf-numClustersMin-help'), /K-Means: fewest clusters tried/);

    // Keyboard: the buttons and fields are reached with Tab (a disabled button is not: wait until it is enabled).
    await page.locator('#analysis-start:enabled').waitFor();
    const reached = new Set<string>();
    await page.locator('body').focus();
    for (let i = 0; i < 30; i++) {
      await page.keyboard.press('Tab');
      reached.add(await page.evaluate<string>('document.activeElement?.id ?? ""'));
    }
    for (const id of ['analysis-start', 'cf-algorithm', 'cf-runs'])
      assert.ok(reached.has(id), `${id} is reachable with Tab (${[...reached].join(' ')})`);

    // Analysis: the bar moves through intermediate values and reaches 100 %.
    // Browser-side code as strings: this file is type-checked without the DOM library.
    await page.evaluate(`{
    const el = document.getElementById('analysis-percent');
    window.seenPercent = [];
    new MutationObserver(() => window.seenPercent.push(el.textContent)).observe(el, { childList: true, characterData: true, subtree: true });
  }`);
    await page.click('#analysis-start');
    await page.locator('#analysis-percent', { hasText: /^100 %$/ }).waitFor({ timeout: 300_000 });
    await page.locator('#analysis-state', { hasText: /^finished$/ }).waitFor();
    assert.equal(await text(page, '#analysis-percent'), '100 %');
    const seen = await page.evaluate<string[]>('window.seenPercent');
    assert.ok(
      seen.some((p) => parseFloat(p) > 0 && parseFloat(p) < 100),
      `the bar showed progress on the way: ${seen.join(', ')}`,
    );
    assert.equal(await page.locator('#analysis-bar').getAttribute('value'), '100');
    const analysisStats = await text(page, '#analysis-stats');
    assert.match(analysisStats, new RegExp(`albums ${ALBUMS} / ${ALBUMS}`));
    assert.match(analysisStats, new RegExp(`tracks ${ALBUMS * TRACKS_PER_ALBUM} analysed, 0 skipped, 0 failed`));
    assert.match(analysisStats, /tracks\/h/);
    assert.match(analysisStats, /ETA/);
    await page.locator('#map-summary', { hasText: `${ALBUMS * TRACKS_PER_ALBUM} tracks` }).waitFor();
    const runRow = page.locator('#runs-body tr[data-run="analysis-1"]');
    await runRow.locator('td.status.completed').waitFor();
    assert.equal(
      await runRow.locator('a').getAttribute('href'),
      `${TEMPORAL_UI}/namespaces/${s.config.temporal.namespace}/workflows/analyze-library`,
    );

    // The browser checks the form before anything is sent: ranges and min ≤ max.
    await page.fill('#cf-runs', '0');
    await page.fill('#cf-numClustersMin', '5');
    await page.fill('#cf-numClustersMax', '4');
    await page.click('#clustering-start');
    assert.match(await text(page, '#cf-runs-error'), /at least 1/);
    assert.match(await text(page, '#cf-numClustersMin-error'), /must not exceed .*\(4\)/);
    assert.equal(await page.locator('#cf-runs').getAttribute('aria-invalid'), 'true');
    const {
      rows: [none],
    } = await s.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM clustering_runs');
    assert.equal(none.n, 0, 'an invalid form starts nothing');

    // A small clustering: 30 runs, 2–4 clusters, small playlists.
    await page.fill('#cf-runs', '30');
    await page.fill('#cf-numClustersMin', '2');
    await page.fill('#cf-minPlaylistSize', '2');
    await page.click('details.more summary');
    await page.fill('#cf-maxSongsPerArtist', '100');
    await page.fill('#cf-pcaComponentsMax', '0');
    await page.fill('#cf-earlyStopGenerations', '0');
    await page.click('#clustering-start');
    await page.locator('#clustering-state', { hasText: /^finished$/ }).waitFor({ timeout: 180_000 });
    assert.equal(await text(page, '#clustering-percent'), '100 %');
    assert.equal(await text(page, '#cf-runs-error'), '', 'the errors are gone once the values are right');
    assert.match(await text(page, '#clustering-stats'), /runs 30 \/ 30/);
    const {
      rows: [run],
    } = await s.pool.query<{ plan: { search: { runs: number; minPlaylistSize: number } }; best: number }>(
      'SELECT params AS plan, best_score AS best FROM clustering_runs',
    );
    assert.match(
      await text(page, '#clustering-stats'),
      new RegExp(`best score ${run.best.toFixed(3)}`),
      'the score the run recorded',
    );
    assert.equal(run.plan.search.runs, 30, "the form's values reached the workflow");
    assert.equal(run.plan.search.minPlaylistSize, 2);

    // Playlists: one card per playlist with its profile chart, as the API reports them.
    const api = (await (await fetch(`${s.base}/api/playlists`)).json()) as {
      playlists: {
        id: string;
        name: string;
        profile: { tempo: number; energy: number; moods: Record<string, number> };
        size: number;
      }[];
    };
    assert.ok(api.playlists.length >= 2, `${api.playlists.length} playlists`);
    await page
      .locator('.playlist')
      .nth(api.playlists.length - 1)
      .waitFor();
    assert.equal(await page.locator('.playlist').count(), api.playlists.length);
    for (const p of api.playlists) {
      const cardEl = page.locator(`.playlist[data-playlist="${p.id}"]`);
      assert.equal(await cardEl.locator('h3').innerText(), p.name);
      const chart = cardEl.locator('svg.profile');
      assert.equal(
        await chart.locator('g').count(),
        Math.min(3, Object.keys(p.profile.moods).length) + 2,
        'top moods, tempo and energy',
      );
      const label = (await chart.getAttribute('aria-label'))!;
      assert.match(label, new RegExp(`tempo ${p.profile.tempo.toFixed(2)}`));
      assert.match(label, new RegExp(`energy ${p.profile.energy.toFixed(2)}`));
      const top = Object.entries(p.profile.moods).sort((a, b) => b[1] - a[1])[0];
      assert.match(label, new RegExp(`^Profile: ${top[0]} ${top[1].toFixed(2)}`), 'the strongest mood first');
    }

    // Open a playlist: its tracks, in order, fetched when it is opened (the list carries only its size).
    const first = api.playlists[0];
    const { tracks: firstTracks } = (await (await fetch(`${s.base}/api/playlists/${first.id}`)).json()) as {
      tracks: { title: string }[];
    };
    assert.equal(firstTracks.length, first.size);
    const card = page.locator(`.playlist[data-playlist="${first.id}"]`);
    assert.match(await card.locator('.meta').first().innerText(), new RegExp(`^${first.size} tracks`));
    assert.equal(await card.locator('ol.tracks').isHidden(), true);
    await card.locator('button').click();
    assert.equal(await card.locator('button').getAttribute('aria-expanded'), 'true');
    await card
      .locator('ol.tracks .title')
      .nth(firstTracks.length - 1)
      .waitFor();
    assert.deepEqual(
      await card.locator('ol.tracks .title').allInnerTexts(),
      firstTracks.map((tr) => tr.title),
    );

    // The map: coloured by playlist; hovering a dot names its track.
    const map = (await (await fetch(`${s.base}/api/map`)).json()) as {
      playlists: { name: string }[];
      points: { x: number[]; y: number[]; titles: string[]; artists: string[]; playlist: (number | null)[] };
    };
    await page
      .locator('#map-legend li')
      .nth(map.playlists.length - 1)
      .waitFor();
    assert.deepEqual(
      await page.locator('#map-legend li').allInnerTexts(),
      map.playlists.map((p) => p.name),
    );
    await page.locator('#map').scrollIntoViewIfNeeded();
    const box = (await page.locator('#map').boundingBox())!;
    const at = (i: number) => ({
      x: box.x + MAP_PAD + ((map.points.x[i] + 1) / 2) * (box.width - 2 * MAP_PAD),
      y: box.y + MAP_PAD + ((1 - map.points.y[i]) / 2) * (box.height - 2 * MAP_PAD),
    });
    const dist = (a: { x: number; y: number }, b: { x: number; y: number }) => Math.hypot(a.x - b.x, a.y - b.y);
    const loneDot = map.points.x
      .map((_, i) => i)
      .find((i) => map.points.playlist[i] !== null && map.points.x.every((_, j) => j === i || dist(at(i), at(j)) > 12));
    assert.ok(loneDot !== undefined, 'a dot in a playlist with no neighbour within 12 px');
    await page.mouse.move(at(loneDot).x, at(loneDot).y);
    await page.locator('.map-tip:not([hidden])').waitFor();
    const tip = await text(page, '.map-tip');
    assert.ok(tip.includes(map.points.titles[loneDot]) && tip.includes(map.points.artists[loneDot]), tip);
    assert.ok(tip.includes(map.playlists[map.points.playlist[loneDot]!].name), tip);
    const dot = at(loneDot);
    const pixel = await page.evaluate<number[]>(`{
    const canvas = document.getElementById('map');
    const r = canvas.getBoundingClientRect();
    const k = canvas.width / r.width;
    [...canvas.getContext('2d').getImageData(Math.round((${dot.x} - r.left) * k), Math.round((${dot.y} - r.top) * k), 1, 1).data];
  }`);
    assert.ok(
      pixel[3] > 0 && !(pixel[0] === pixel[1] && pixel[1] === pixel[2]),
      `the dot is drawn in its playlist's colour: rgba(${pixel.join(',')})`,
    );

    await page.mouse.move(0, 0);
    await page.click('details.more summary'); // folded again: the screenshot shows the page as it opens
    await page.screenshot({ path: path.join(ARTIFACTS, 'web-desktop.png'), fullPage: true });

    // A second, long clustering, cancelled from the page.
    await page.fill('#cf-runs', '1000000');
    await page.click('#clustering-start');
    await page.locator('#clustering-state', { hasText: /^running$/ }).waitFor();
    assert.equal(await page.locator('#clustering-cancel').isEnabled(), true);
    await page.click('#clustering-cancel');
    await page.locator('#clustering-state', { hasText: /^cancelled$/ }).waitFor();
    assert.equal(await page.locator('#clustering-start').isEnabled(), true, 'a new run can be started again');
    await page.locator('#runs-body tr[data-run="clustering-2"] td.status.cancelled').waitFor();
    assert.equal(
      await page.locator('.playlist').count(),
      api.playlists.length,
      'the cancelled run left the playlists alone',
    );

    // A phone: one column, nothing wider than the screen, even for the longest automatic names (no spaces).
    await page.evaluate(`document.getElementById('map-legend').insertAdjacentHTML('beforeend',
      '<li><span class="swatch"></span>Metal_Experimental_Heavy_Metal_Medium_Aggressive_Electronic_automatic</li>')`);
    await page.setViewportSize({ width: 390, height: 844 });
    await page.waitForFunction('window.innerWidth === 390');
    await page.evaluate('new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))'); // map redrawn
    const overflow = await page.evaluate<number>(
      'document.documentElement.scrollWidth - document.documentElement.clientWidth',
    );
    const wide = await page.evaluate<
      string[]
    >(`[...document.querySelectorAll('body *')].filter((e) => e.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5)
    .slice(0, 5).map((e) => e.tagName + (e.id ? '#' + e.id : '') + '.' + e.className)`);
    assert.ok(overflow <= 0, `the page is ${overflow} px wider than a phone's screen: ${wide.join(', ')}`);
    await page.screenshot({ path: path.join(ARTIFACTS, 'web-phone.png'), fullPage: true });

    assert.deepEqual(errors, [], 'no console errors or page errors');
    await page.close();
  },
);

test(
  'with API_TOKEN set, the page asks for the token and then works with the session cookie',
  { timeout: 300_000 },
  async (t) => {
    const s = await needStack(t);
    if (!s) return;
    const base = await serve({
      pool: s.pool,
      config: { ...s.config, apiToken: 'browser secret token' },
      client: s.worker.client,
      temporalAddress: s.temporalAddress,
    });
    const { page, errors } = await openPage(s.browser, base);
    await page.locator('#login-token').waitFor();
    assert.equal(await page.locator('#app').isHidden(), true, 'nothing but the login form before the login');
    await page.fill('#login-token', 'a guess');
    await page.click('#login button[type=submit]');
    await page.locator('#login-error', { hasText: 'Wrong token.' }).waitFor();
    assert.equal(errors.length, 1, errors.join('\n'));
    assert.match(errors[0], /status of 401/, 'the only console message is the refused login');

    await page.fill('#login-token', 'browser secret token');
    await page.keyboard.press('Enter');
    await page.locator('#cf-runs').waitFor(); // the form needs the protected OpenAPI document
    assert.equal(await page.locator('#login').isHidden(), true);
    await page.locator('#health [data-part=temporal].ok').waitFor();
    // The protected run list answered: its rows, or "No runs yet" when this test runs alone (not the page's
    // "Loading…"; a refusal shows td.error): it does not depend on the runs the first test made.
    await page.locator('#runs-body tr[data-run], #runs-body td.empty:has-text("No runs yet")').first().waitFor();
    assert.equal(
      await page.evaluate<boolean>('document.cookie.includes("audiomuse_session")'),
      false,
      'the session cookie is HttpOnly',
    );
    assert.equal(errors.length, 1, errors.join('\n'));
    await page.close();
  },
);

test(
  'a missing MUSIC_DIR: the page says what to set, and "Check connection" answers in one line',
  { timeout: 300_000 },
  async (t) => {
    const s = await needStack(t);
    if (!s) return;
    const musicDir = path.join(s.dir, 'not-yet');
    const config = loadConfig({
      TEMPORAL_TASK_QUEUE: s.config.temporal.taskQueue,
      MEDIA_SERVER_TYPE: 'local',
      MUSIC_DIR: musicDir,
    });
    const base = await serve({
      pool: s.pool,
      config,
      client: s.worker.client,
      temporalAddress: s.temporalAddress,
      media: await createMediaProvider(config),
    });
    const { page, errors } = await openPage(s.browser, base, { width: 390, height: 844 });
    const panel = page.locator('#media');
    await panel.waitFor();
    await page.locator('#health [data-part=mediaServer].down').waitFor();
    assert.match(await panel.locator('.problem').innerText(), new RegExp(`MUSIC_DIR ${musicDir} does not exist`));
    assert.match(await panel.innerText(), /Set MUSIC_DIR to a readable folder/);
    for (const [type, variable] of [
      ['jellyfin', 'JELLYFIN_URL'],
      ['navidrome', 'NAVIDROME_URL'],
      ['local', 'MUSIC_DIR'],
    ]) {
      assert.match(
        await panel.locator(`[data-source=${type}]`).innerText(),
        new RegExp(variable),
        `${type} advice names ${variable}`,
      );
    }
    assert.match(
      await panel.locator('[data-source=jellyfin] pre').innerText(),
      /^MEDIA_SERVER_TYPE=jellyfin JELLYFIN_URL=http/,
    );

    await page.getByRole('button', { name: 'Check connection' }).click();
    await page.locator('.check-result.down').waitFor();
    assert.match(await text(page, '.check-result'), /does not exist/);
    fs.mkdirSync(musicDir);
    await page.getByRole('button', { name: 'Check connection' }).click();
    await page.locator('.check-result.ok').waitFor();
    assert.match(await text(page, '.check-result'), /^Connected to /);
    await page.screenshot({ path: path.join(ARTIFACTS, 'web-media-advice-phone.png'), fullPage: true });
    assert.deepEqual(errors, []);
    await page.close();
  },
);

/** The map's path colour (PATH_COLOUR in web/ui/map.ts); the canvas may hold a channel one off. */
const PATH_RGB = [0xe8, 0x59, 0x0c];
const isPathColour = (rgba: number[]) => PATH_RGB.every((v, c) => Math.abs(rgba[c] - v) <= 2);
const PLANTED_TRACKS = 48;

interface PlantedApp {
  base: string;
  pool: Pool;
  media: Awaited<ReturnType<typeof createMediaProvider>>;
  /** Planted group by title. */
  groupOf: Map<string, number>;
}
let planted: Promise<PlantedApp> | undefined;

/** A planted analysed library (4 groups of songs, each artist in one group) in its own database, served by the
 *  page; the stack's worker answers its health. Independent of the analysis the first test runs. */
function plantedApp(s: Stack): Promise<PlantedApp> {
  planted ??= (async () => {
    const dir = path.join(s.dir, 'planted');
    const lib = plantLibrary(dir, { tracks: PLANTED_TRACKS, groups: 4, seed: 21 });
    const pool = createPool(await freshDatabase());
    await migrate(pool);
    const config = testConfig({
      TEMPORAL_NAMESPACE: s.config.temporal.namespace,
      TEMPORAL_TASK_QUEUE: s.config.temporal.taskQueue,
      MEDIA_SERVER_TYPE: 'local',
      MUSIC_DIR: lib.musicDir,
      PLAYLIST_DIR: path.join(dir, 'playlists'),
    });
    const media = await createMediaProvider(config);
    assert.equal(await storePlantedFeatures(pool, media, lib), PLANTED_TRACKS);
    const base = await serve({ pool, config, client: s.worker.client, temporalAddress: s.temporalAddress, media });
    return { base, pool, media, groupOf: lib.groupOf };
  })();
  return planted;
}

interface ApiSong {
  item_id: string;
  title: string;
  author: string;
  album: string;
  distance: number;
}

/** A distance as the page shows it (a song's distance to itself may come as -0.000…1). */
const shownDistance = (d: number) => Math.max(0, d).toFixed(3);

const getJson = async <T>(base: string, url: string): Promise<T> => (await fetch(`${base}${url}`)).json() as Promise<T>;

/** Two songs of different planted groups whose titles match no other song ("Song 23" but not "Song 230"). */
function twoSongs(groupOf: Map<string, number>): [string, string] {
  const titles = [...groupOf.keys()].filter((t) => /^Song \d\d$/.test(t));
  const a = titles[0];
  return [a, titles.find((t) => groupOf.get(t) !== groupOf.get(a))!];
}

/** Types into the search box as a user does and waits for the list of the last text typed. */
async function findSong(page: Page, typed: string): Promise<void> {
  await page.fill('#song-search', '');
  await page.locator('#song-search').pressSequentially(typed, { delay: 30 });
  await page.locator('#song-search-status', { hasText: `found for “${typed}”` }).waitFor();
}

const songRow = (page: Page, title: string) =>
  page.locator('#song-results li').filter({ has: page.locator('.song', { hasText: new RegExp(`^${title} — `) }) });

/** The rows of a result table: title, artist and distance as shown. */
const tableRows = (page: Page, result: string) =>
  page
    .locator(`${result} tbody tr`)
    .evaluateAll((rows) =>
      rows.map((r) =>
        [...r.querySelectorAll('td')].filter((_, i) => i === 1 || i === 2 || i === 4).map((td) => td.textContent),
      ),
    );

/** The page on a planted library's app, the map drawn, and two songs of different groups to work with. */
async function openListening(s: NonNullable<Awaited<ReturnType<typeof needStack>>>) {
  const app = await plantedApp(s);
  const [titleA, titleB] = twoSongs(app.groupOf);
  const { page, errors } = await openPage(s.browser, app.base);
  await page.locator('#map-summary', { hasText: `${PLANTED_TRACKS} tracks` }).waitFor();
  return { app, titleA, titleB, page, errors };
}

test(
  'the listening panel: a song found by typing, its similar songs with distances, a path from A to B drawn on the map',
  { timeout: 300_000 },
  async (t) => {
    const s = await needStack(t);
    if (!s) return;
    const { app, titleA, titleB, page, errors } = await openListening(s);

    // One box finds songs by title or by artist, as the search API answers each.
    await findSong(page, titleA);
    assert.deepEqual(
      await page.locator('#song-results .song').allInnerTexts(),
      (await getJson<ApiSong[]>(app.base, `/api/search_tracks?title=${encodeURIComponent(titleA)}`)).map(
        (x) => `${x.title} — ${x.author} · ${x.album}`,
      ),
    );
    const a = (await getJson<ApiSong[]>(app.base, `/api/search_tracks?title=${encodeURIComponent(titleA)}`))[0];
    await findSong(page, a.author);
    const byArtist = await getJson<ApiSong[]>(app.base, `/api/search_tracks?artist=${encodeURIComponent(a.author)}`);
    assert.ok(byArtist.length > 1, 'the artist has several songs');
    assert.deepEqual(
      (await page.locator('#song-results li').evaluateAll((els) => els.map((e) => e.getAttribute('data-item')))).sort(),
      byArtist.map((x) => x.item_id).sort(),
      'typing an artist lists their songs',
    );

    // Its similar songs with distances: the radius walk the API answers, distances to three decimals.
    await findSong(page, titleA);
    await songRow(page, titleA)
      .getByRole('button', { name: `Similar: ${titleA} — ${a.author}` })
      .click();
    await page.locator('#similar-status', { hasText: /^20 songs similar to / }).waitFor();
    const similar = await getJson<ApiSong[]>(
      app.base,
      `/api/similar_tracks?item_id=${encodeURIComponent(a.item_id)}&n=20`,
    );
    assert.deepEqual(
      await tableRows(page, '#similar-result'),
      similar.map((x) => [x.title, x.author, shownDistance(x.distance)]),
    );
    const dedupe = page.waitForRequest((r) => r.url().includes('eliminate_duplicates=true'));
    await page.getByLabel('Leave out other versions').check();
    await dedupe;

    // A path from A to B: the list starts with A and ends with B, and its songs are drawn over the map.
    await songRow(page, titleA)
      .getByRole('button', { name: /^Path from/ })
      .click();
    await findSong(page, titleB);
    await songRow(page, titleB)
      .getByRole('button', { name: /^Path to/ })
      .click();
    assert.equal(await text(page, '#path-from'), `${titleA} — ${a.author}`);
    await page.fill('#path-steps', '8');
    await page.click('#path-run');
    await page.locator('#path-status', { hasText: /drawn on the map$/ }).waitFor();
    const b = (await getJson<ApiSong[]>(app.base, `/api/search_tracks?title=${encodeURIComponent(titleB)}`))[0];
    const found = await getJson<{ path: ApiSong[] }>(
      app.base,
      `/api/find_path?start_song_id=${encodeURIComponent(a.item_id)}&end_song_id=${encodeURIComponent(b.item_id)}&max_steps=8`,
    );
    const shown = await tableRows(page, '#path-result');
    assert.equal(shown[0][0], titleA, 'the path starts with A');
    assert.equal(shown[shown.length - 1][0], titleB, 'the path ends with B');
    assert.deepEqual(
      shown,
      found.path.map((x) => [x.title, x.author, shownDistance(x.distance)]),
    );

    const map = await getJson<{ points: { item_ids: string[]; x: number[]; y: number[] } }>(app.base, '/api/map');
    assert.match((await page.locator('#map').getAttribute('aria-label'))!, /a path of 8 songs drawn over it$/);
    await page.locator('#map').scrollIntoViewIfNeeded();
    const box = (await page.locator('#map').boundingBox())!;
    const at = (i: number) => ({
      x: box.x + MAP_PAD + ((map.points.x[i] + 1) / 2) * (box.width - 2 * MAP_PAD),
      y: box.y + MAP_PAD + ((1 - map.points.y[i]) / 2) * (box.height - 2 * MAP_PAD),
    });
    const pixel = (p: { x: number; y: number }) =>
      page.evaluate<number[]>(`{
    const canvas = document.getElementById('map');
    const r = canvas.getBoundingClientRect();
    const k = canvas.width / r.width;
    [...canvas.getContext('2d').getImageData(Math.round((${p.x} - r.left) * k), Math.round((${p.y} - r.top) * k), 1, 1).data];
  }`);
    const onPath = found.path.map((x) => at(map.points.item_ids.indexOf(x.item_id)));
    for (const [k, p] of onPath.entries()) {
      const rgba = await pixel(p);
      assert.ok(isPathColour(rgba), `path song ${k + 1} is highlighted on the map: rgba(${rgba.join(',')})`);
    }
    // A dot far from every step of the path keeps its own colour.
    const toSegment = (p: { x: number; y: number }, u: { x: number; y: number }, v: { x: number; y: number }) => {
      const len = (v.x - u.x) ** 2 + (v.y - u.y) ** 2;
      const f = len ? Math.max(0, Math.min(1, ((p.x - u.x) * (v.x - u.x) + (p.y - u.y) * (v.y - u.y)) / len)) : 0;
      return Math.hypot(p.x - u.x - f * (v.x - u.x), p.y - u.y - f * (v.y - u.y));
    };
    const far = map.points.item_ids
      .map((_, i) => at(i))
      .find((p) => onPath.every((u, k) => toSegment(p, u, onPath[Math.min(k + 1, onPath.length - 1)]) > 12));
    assert.ok(far, 'a dot away from the path');
    const offPath = await pixel(far);
    assert.ok(!isPathColour(offPath), `a dot off the path is not highlighted: rgba(${offPath.join(',')})`);

    // A refusal shows the API's own message.
    await page.fill('#path-steps', '1');
    await page.click('#path-run');
    await page.locator('#path-status.error').waitFor();
    const refusal = await fetch(
      `${app.base}/api/find_path?start_song_id=${encodeURIComponent(a.item_id)}&end_song_id=${encodeURIComponent(b.item_id)}&max_steps=1`,
    );
    assert.equal(refusal.status, 400);
    assert.equal(await text(page, '#path-status'), ((await refusal.json()) as { error: string }).error);

    await page.screenshot({ path: path.join(ARTIFACTS, 'web-listening.png'), fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.waitForFunction('window.innerWidth === 390');
    const overflow = await page.evaluate<number>(
      'document.documentElement.scrollWidth - document.documentElement.clientWidth',
    );
    assert.ok(overflow <= 0, `the listening panel is ${overflow} px wider than a phone's screen`);
    assert.deepEqual(
      errors.filter((e) => !/status of 400/.test(e)),
      [],
      'no console errors besides the refusal',
    );
    assert.equal(errors.length, 1, errors.join('\n'));
    await page.close();
  },
);

test(
  'the listening panel: a mix of several songs with alchemy, saved as a playlist on the media server',
  { timeout: 300_000 },
  async (t) => {
    const s = await needStack(t);
    if (!s) return;
    const { app, titleA, titleB, page, errors } = await openListening(s);

    // Two seeds: A added, B subtracted; the page sends them as the plugins do and shows what the API answers.
    await findSong(page, titleA);
    await songRow(page, titleA)
      .getByRole('button', { name: /^Add to mix/ })
      .click();
    await findSong(page, titleB);
    await songRow(page, titleB)
      .getByRole('button', { name: /^Add to mix/ })
      .click();
    await page.getByLabel(`Add or subtract ${titleB} — `, { exact: false }).selectOption('SUBTRACT');
    await page.fill('#mix-n', '10');
    const [a, b] = await Promise.all(
      [titleA, titleB].map(
        async (title) =>
          (await getJson<ApiSong[]>(app.base, `/api/search_tracks?title=${encodeURIComponent(title)}`))[0],
      ),
    );
    const answered = page.waitForResponse((r) => r.url().endsWith('/api/alchemy'));
    await page.click('#mix-run');
    const response = await answered;
    assert.deepEqual(response.request().postDataJSON(), {
      items: [
        { id: a.item_id, op: 'ADD', type: 'song' },
        { id: b.item_id, op: 'SUBTRACT', type: 'song' },
      ],
      n: 10,
      temperature: 1,
    });
    assert.equal(response.status(), 200, 'POST /api/alchemy answers');
    const mix = (await response.json()) as { results: ApiSong[] };
    await page.locator('#mix-result tbody tr').first().waitFor();
    assert.ok(mix.results.length > 0, 'the mix has songs');
    assert.deepEqual(
      await tableRows(page, '#mix-result'),
      mix.results.map((x) => [x.title, x.author, shownDistance(x.distance)]),
    );

    // Saved as a playlist on the media server under the name given; an empty name is refused with the API's message.
    await page.fill('#mix-save-name', '');
    await page.click('#mix-save');
    await page.locator('#mix-save-status.error').waitFor();
    assert.match(await text(page, '#mix-save-status'), /playlist_name/);
    await page.fill('#mix-save-name', 'Browser mix');
    await page.click('#mix-save');
    await page
      .locator('#mix-save-status', { hasText: /^Saved “Browser mix(_instant)?” on the media server/ })
      .waitFor();
    // The server may decorate the name (the original saves "<name>_instant").
    const saved = (await app.media.listPlaylists()).find((p) => p.name.startsWith('Browser mix'));
    assert.ok(saved, 'the playlist is on the media server');
    assert.equal(saved.trackCount, mix.results.length);

    // Similar songs save the same way.
    await findSong(page, titleA);
    await songRow(page, titleA)
      .getByRole('button', { name: /^Similar/ })
      .click();
    await page.locator('#similar-save').click();
    await page.locator('#similar-save-status', { hasText: `Saved “Similar to ${titleA}` }).waitFor();
    assert.ok((await app.media.listPlaylists()).some((p) => p.name.startsWith(`Similar to ${titleA}`)));
    assert.deepEqual(
      errors.filter((e) => !/status of 400/.test(e)),
      [],
    );
    await page.close();
  },
);
