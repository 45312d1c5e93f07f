// bench:map-draw — the library map at scale: a generated library (bench/big-library-generate.ts) in an embedded
// PostgreSQL, the web process, the map computed by its first request, then the page in headless Chromium: bytes
// of GET /api/map?format=bin, fetch+decode, first draw, a pan redraw and a zoom redraw (the page's performance
// marks), with the CPU and the load average. `--tracks N` (default 300,000), `--database-url` to reuse a library.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { loadConfig } from '../lib/config.ts';
import { createPool, migrate } from '../lib/db.ts';
import { installRuntime } from '../lib/runtime.ts';
import { analysisVersion } from '../engines/analysis/version.ts';
import { arg } from './args.ts';
import { benchDatabase } from './services.ts';
import { loadHeads, testMusicSeeds } from './big-library-features.ts';
import { generateBigLibrary } from './big-library-generate.ts';
import { beginSnapshotRun, storePlaylists } from './big-library-measure.ts';
import { startWeb } from './big-library-web.ts';

const tracks = Number(arg('tracks', '300000'));
const databaseUrlArg = arg('database-url', '');
const modelsDir = path.resolve(process.cwd(), process.env.MODELS_DIR ?? '../shared/models');
const loadavg = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
const ms = (x: number) => `${x.toFixed(0)} ms`;

/** Polls a page expression from Node: the page's CSP refuses waitForFunction's string predicates. */
async function until(page: Page, expression: string): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (!(await page.evaluate<boolean>(expression))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${expression}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function main(): Promise<void> {
  installRuntime();
  console.log(
    `bench:map-draw — ${tracks} tracks; ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'}); load ${loadavg()}`,
  );
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'audiomuse-bench-map-'));
  fs.chmodSync(scratch, 0o755);
  const { url: databaseUrl, embedded: pg } = await benchDatabase(databaseUrlArg, path.join(scratch, 'pg'));
  const pool = createPool(databaseUrl);
  let web: Awaited<ReturnType<typeof startWeb>> | undefined;
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu'],
  });
  try {
    await migrate(pool);
    const source = 'local';
    const version = analysisVersion(loadConfig().analysis);
    if (!databaseUrlArg) {
      const heads = await loadHeads(modelsDir);
      const g = await generateBigLibrary(pool, {
        tracks,
        source,
        analysisVersion: version,
        seeds: await testMusicSeeds(2),
        heads,
      });
      await heads.release();
      console.log(`generated ${g.tracks} tracks in ${g.seconds.toFixed(1)} s`);
      await storePlaylists(pool, await beginSnapshotRun(pool, { source, analysisVersion: version }), source, 1000, 40);
      await pool.query('VACUUM ANALYZE');
    }
    web = await startWeb({
      DATABASE_URL: databaseUrl,
      MEDIA_SERVER_TYPE: 'local',
      MUSIC_DIR: path.join(scratch, 'music'),
      PLAYLIST_DIR: path.join(scratch, 'playlists'),
    });
    const base = `http://127.0.0.1:${web.port}`;
    let t = performance.now();
    const first = await fetch(`${base}/api/map?format=bin`);
    await first.arrayBuffer();
    console.log(`first GET /api/map?format=bin (computes and stores the map): ${ms(performance.now() - t)}`);
    t = performance.now();
    const bin = await (await fetch(`${base}/api/map?format=bin`)).arrayBuffer();
    const binMs = performance.now() - t;
    t = performance.now();
    const json = await (await fetch(`${base}/api/map`)).arrayBuffer();
    console.log(
      `stored map: binary ${(bin.byteLength / 1e6).toFixed(2)} MB in ${ms(binMs)}; JSON ${(json.byteLength / 1e6).toFixed(1)} MB in ${ms(performance.now() - t)} (load ${loadavg()})`,
    );

    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(base);
    await until(page, `performance.getEntriesByName('map-first-drawn').length > 0`);
    const marks = await page.evaluate<Record<string, number>>(`{
      const at = (n) => performance.getEntriesByName(n)[0]?.startTime ?? NaN;
      ({ start: at('map-fetch-start'), fetched: at('map-fetched'), decoded: at('map-decoded'),
         drawn: at('map-first-drawn'), draw: performance.getEntriesByName('map-draw')[0]?.duration ?? NaN });
    }`);
    const draws = () => page.evaluate<number[]>(`performance.getEntriesByName('map-draw').map((e) => e.duration)`);
    await page.locator('#map').scrollIntoViewIfNeeded();
    const box = (await page.locator('#map').boundingBox())!;
    const cx = box.x + box.width / 2,
      cy = box.y + box.height / 2;
    const redraw = async (act: () => Promise<void>) => {
      const before = (await draws()).length;
      await act();
      await until(page, `performance.getEntriesByName('map-draw').length > ${before}`);
      return (await draws()).slice(before);
    };
    const pan = await redraw(async () => {
      await page.mouse.move(cx, cy);
      await page.mouse.down();
      await page.mouse.move(cx + 120, cy + 60, { steps: 4 });
      await page.mouse.up();
    });
    const zoom = await redraw(() => page.mouse.wheel(0, -300));
    console.log(`\nheadless Chromium (${await page.locator('#map').getAttribute('aria-label')}), load ${loadavg()}:`);
    console.log(`  fetch ${ms(marks.fetched - marks.start)}, decode ${ms(marks.decoded - marks.fetched)}`);
    console.log(
      `  first draw ${ms(marks.draw)}; from the request to the first draw on screen ${ms(marks.drawn - marks.start)} (target ≤ 2,000 ms)`,
    );
    console.log(`  pan redraw ${pan.map(ms).join(', ')}; zoom redraw ${zoom.map(ms).join(', ')}`);
    await page.close();
  } finally {
    await browser.close();
    await web?.stop();
    await pool.end();
    await pg?.stop();
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

await main();
