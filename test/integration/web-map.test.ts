// The library map page on a small planted library in headless Chromium: every point drawn, a drag moves the
// dots by the drag, the wheel zooms around the cursor, and hovering a dot where the view put it names its track.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { chromium, type Page } from 'playwright-core';
import { createPool, migrate } from '../../lib/db.ts';
import { plantLocalLibrary } from '../helpers/planted-library.ts';
import { freshDatabase, releaseServices, scratchDir } from '../helpers/services.ts';
import { closeServedApps, serveApp } from '../helpers/web-app.ts';
import { requireOrSkip } from '../shared-paths.ts';

const CHROMIUM = '/usr/bin/chromium';
const TRACKS = 60;
/** The map's inner margin in CSS pixels (web/ui/map.ts). */
const MAP_PAD = 12;

after(async () => {
  closeServedApps();
  await releaseServices();
});

/** Polls a page expression from Node: the page's CSP refuses waitForFunction's string predicates. */
async function until(page: Page, expression: string): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (!(await page.evaluate<boolean>(expression))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${expression}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

interface View {
  scale: number;
  x: number;
  y: number;
}

test('the map draws every point, pans by a drag, zooms around the cursor and names the dot under the mouse', async (t) => {
  if (!requireOrSkip(t, CHROMIUM, 'Debian package chromium')) return;
  const dir = scratchDir('web-map');
  const pool = createPool(await freshDatabase());
  await migrate(pool);
  const config = await plantLocalLibrary(pool, dir, { tracks: TRACKS, groups: 3, seed: 11 });
  // No Temporal: the map needs only PostgreSQL (the page's run panels answer 503).
  const { base } = await serveApp({ pool, config, temporalAddress: '127.0.0.1:1' });
  const map = (await (await fetch(`${base}/api/map`)).json()) as {
    points: { x: number[]; y: number[]; titles: string[] };
  };
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1000, height: 900 } });
    await page.goto(base);
    await page.locator(`#map[aria-label^="Map of ${TRACKS} tracks"]`).waitFor();
    await page.locator('#map').scrollIntoViewIfNeeded();
    const box = (await page.locator('#map').boundingBox())!;
    const view = async () => JSON.parse((await page.locator('#map').getAttribute('data-view'))!) as View;
    const at = (i: number, v: View) => ({
      x: box.x + (MAP_PAD + ((map.points.x[i] + 1) / 2) * (box.width - 2 * MAP_PAD)) * v.scale + v.x,
      y: box.y + (MAP_PAD + ((1 - map.points.y[i]) / 2) * (box.height - 2 * MAP_PAD)) * v.scale + v.y,
    });
    const lone = (v: View, but?: number) =>
      map.points.x
        .map((_, i) => i)
        .find((i) => {
          const p = at(i, v);
          const inside =
            p.x > box.x + 20 && p.x < box.x + box.width - 220 && p.y > box.y + 20 && p.y < box.y + box.height - 20;
          return (
            i !== but &&
            inside &&
            map.points.x.every((_, j) => j === i || Math.hypot(at(j, v).x - p.x, at(j, v).y - p.y) > 14)
          );
        });
    const tipAt = async (p: { x: number; y: number }) => {
      await page.mouse.move(p.x, p.y);
      await page.locator('.map-tip:not([hidden])').waitFor();
      return page.locator('.map-tip').innerText();
    };
    const alpha = (p: { x: number; y: number }) =>
      page.evaluate<number>(`{
        const c = document.getElementById('map');
        const r = c.getBoundingClientRect();
        const k = c.width / r.width;
        c.getContext('2d').getImageData(Math.round((${p.x} - r.left) * k), Math.round((${p.y} - r.top) * k), 1, 1).data[3];
      }`);

    const start = await view();
    assert.deepEqual(start, { scale: 1, x: 0, y: 0 });
    for (let i = 0; i < TRACKS; i++) assert.equal(await alpha(at(i, start)), 255, `point ${i} is drawn`);

    const a = lone(start);
    assert.ok(a !== undefined, 'a dot with no neighbour within 14 px');
    assert.ok((await tipAt(at(a, start))).includes(map.points.titles[a]), 'hovering a dot names its track');

    // A drag from an empty corner moves every dot by the drag.
    await page.mouse.move(box.x + 4, box.y + 4);
    await page.mouse.down();
    await page.mouse.move(box.x + 4 + 37, box.y + 4 + 23, { steps: 3 });
    await page.mouse.up();
    await until(page, `JSON.parse(document.getElementById('map').dataset.view).x === 37`);
    const panned = await view();
    assert.deepEqual(panned, { scale: 1, x: 37, y: 23 });
    assert.equal(await alpha(at(a, panned)), 255, 'the dot is drawn where the drag moved it');
    assert.ok((await tipAt(at(a, panned))).includes(map.points.titles[a]), 'and named there');

    // The wheel over the dot zooms around it: it stays under the cursor while the others move away from it.
    const cursor = at(a, panned);
    await page.mouse.move(cursor.x, cursor.y);
    await page.mouse.wheel(0, -300);
    await until(page, `JSON.parse(document.getElementById('map').dataset.view).scale > 1`);
    const zoomed = await view();
    assert.ok(Math.abs(zoomed.scale - Math.exp(0.6)) < 1e-6, `scale ${zoomed.scale}`);
    const still = at(a, zoomed);
    // Within 1.5 px: the event carries the cursor in whole pixels.
    const moved = Math.hypot(still.x - cursor.x, still.y - cursor.y);
    assert.ok(moved < 1.5, `the dot under the cursor stays there (moved ${moved.toFixed(1)} px)`);
    const b = lone(zoomed, a);
    assert.ok(b !== undefined, 'another lone dot after the zoom');
    assert.equal(await alpha(at(b, zoomed)), 255, 'a zoomed dot is drawn where the scale puts it');
    assert.ok((await tipAt(at(b, zoomed))).includes(map.points.titles[b]), 'and named there');
  } finally {
    await browser.close();
    await pool.end();
  }
});
