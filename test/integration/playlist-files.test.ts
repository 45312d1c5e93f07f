// Playlists taken anywhere, through the real API and PostgreSQL: a planted library served from a local folder and
// from the Jellyfin stand-in (paths as Jellyfin reports them), each with an automatic playlist (a clustering run's,
// published by the real publishing activity) and a saved one (POST /api/create_playlist). Each downloads as .m3u8
// and JSPF whose entries open the planted files; the page's download links (headless Chromium) and the CLI give
// the same files.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { MockActivityEnvironment } from '@temporalio/testing';
import { chromium } from 'playwright-core';
import { createPublishingActivities, type PublishResult } from '../../activities/publishing.ts';
import type { Config } from '../../lib/config.ts';
import { createPool, migrate, type Pool } from '../../lib/db.ts';
import { storeDraftPlaylists } from '../../lib/store/clustering.ts';
import { beginRun, finishRun } from '../../lib/store/runs.ts';
import { createMediaProvider } from '../../providers/media/index.ts';
import type { MediaProvider } from '../../providers/media/provider.ts';
import { plantLibrary, storePlantedFeatures, type PlantedLibrary } from '../helpers/planted-library.ts';
import { freshDatabase, releaseServices, scratchDir } from '../helpers/services.ts';
import { closeServedApps, serveApp } from '../helpers/web-app.ts';
import { testConfig } from '../helpers/worker.ts';
import { JellyfinStandin } from '../standins/jellyfin.ts';
import { repoRoot } from '../shared-paths.ts';

const TRACKS = 24;
const CHROMIUM = '/usr/bin/chromium';
const exec = promisify(execFile);
let dir: string;
let lib: PlantedLibrary;

interface Source {
  pool: Pool;
  databaseUrl: string;
  config: Config;
  media: MediaProvider;
  base: string;
  /** Our ids of the automatic and the saved playlist, and their server ids. */
  automatic: { id: string; serverId: string; itemIds: string[] };
  saved: { id: string; serverId: string; itemIds: string[] };
}

/** A source's database with the planted library, an automatic playlist published by the real activity and a
 *  saved one made through the API. */
async function setUp(env: Record<string, string>): Promise<Source> {
  const databaseUrl = await freshDatabase();
  const pool = createPool(databaseUrl);
  await migrate(pool);
  const config = testConfig(env);
  const media = await createMediaProvider(config);
  assert.equal(await storePlantedFeatures(pool, media, lib), TRACKS);
  const source = config.mediaServerType;
  const base = (await serveApp({ pool, config, temporalAddress: '127.0.0.1:1', media })).base;

  const { rows } = await pool.query<{ id: string; itemId: string }>(
    `SELECT id::text, item_id AS "itemId" FROM tracks ORDER BY title DESC LIMIT 6`,
  );
  const run = await beginRun(pool, 'clustering', {
    workflowId: 'cluster-library',
    firstRunId: 'r1',
    source,
    params: {},
  });
  assert.ok('runId' in run);
  await storeDraftPlaylists(pool, run.runId, source, [
    {
      position: 0,
      name: 'Rock/Fast_automatic',
      tagName: 'Rock/Fast',
      nameSource: 'tag',
      profile: { tempo: 0.5, energy: 0.5, moods: { rock: 0.6 } },
      trackIds: rows.map((r) => r.id),
    },
  ]);
  const publishing = createPublishingActivities({ pool, config, media: async () => media });
  const published: PublishResult = await new MockActivityEnvironment().run(publishing.publishClusteringPlaylists, {
    runId: run.runId,
  });
  assert.equal(published.created, 1);
  await finishRun(pool, 'clustering', run.runId, { status: 'completed', progress: {} });
  const {
    rows: [auto],
  } = await pool.query<{ id: string; serverId: string }>(
    `SELECT id::text, server_playlist_id AS "serverId" FROM playlists WHERE clustering_run_id = $1`,
    [run.runId],
  );

  const savedItems = rows.slice(0, 3).map((r) => r.itemId);
  const res = await fetch(`${base}/api/create_playlist`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ playlist_name: 'Evening mix', track_ids: savedItems }),
  });
  const saved = (await res.json()) as { id: string; playlist_id: string };
  assert.equal(res.status, 201, JSON.stringify(saved));
  return {
    pool,
    databaseUrl,
    config,
    media,
    base,
    automatic: { ...auto, itemIds: rows.map((r) => r.itemId) },
    saved: { id: saved.id, serverId: saved.playlist_id, itemIds: savedItems },
  };
}

const download = async (s: Source, id: string, query = '') => {
  const res = await fetch(`${s.base}/api/playlists/${encodeURIComponent(id)}/export${query}`);
  return { status: res.status, headers: res.headers, text: await res.text() };
};

/** The entries (non-comment lines) of an .m3u8. */
const entries = (m3u8: string) => m3u8.split('\n').filter((l) => l && !l.startsWith('#'));

/** The planted file of each item id, in playlist order, by the stored title. */
async function plantedFiles(s: Source, itemIds: string[]): Promise<string[]> {
  const { rows } = await s.pool.query<{ itemId: string; title: string; artist: string }>(
    `SELECT item_id AS "itemId", title, artist FROM tracks WHERE item_id = ANY($1)`,
    [itemIds],
  );
  const byItem = new Map(rows.map((r) => [r.itemId, r]));
  return itemIds.map((id) => {
    const t = byItem.get(id)!;
    const albumDir = path.join(lib.musicDir, t.artist, `${t.artist} Album`);
    return path.join(
      albumDir,
      fs.readdirSync(albumDir).find((f) => f.endsWith(` - ${t.title}.wav`))!,
    );
  });
}

before(() => {
  dir = scratchDir('playlist-files');
  lib = plantLibrary(dir, { tracks: TRACKS, groups: 2, seed: 8 });
});

after(async () => {
  closeServedApps();
  fs.rmSync(dir, { recursive: true, force: true });
  await releaseServices();
});

describe('a local music folder', () => {
  let s: Source;
  before(async () => {
    s = await setUp({
      MEDIA_SERVER_TYPE: 'local',
      MUSIC_DIR: lib.musicDir,
      PLAYLIST_DIR: path.join(dir, 'playlists'),
    });
  });
  after(() => s?.pool.end());

  test('both playlists as .m3u8 relative to the music root: every entry opens the planted file, in order', async () => {
    for (const p of [s.automatic, s.saved]) {
      const r = await download(s, p.id, `?format=m3u8&root=${encodeURIComponent(lib.musicDir)}`);
      assert.equal(r.status, 200, r.text);
      assert.equal(r.headers.get('content-type'), 'audio/x-mpegurl; charset=utf-8');
      assert.equal(r.text.split('\n')[0], '#EXTM3U');
      const files = entries(r.text);
      assert.ok(
        files.every((f) => !path.isAbsolute(f)),
        `relative to the root: ${files.join(', ')}`,
      );
      assert.deepEqual(
        files.map((f) => path.join(lib.musicDir, f)),
        await plantedFiles(s, p.itemIds),
      );
      assert.equal(r.headers.get('audiomuse-outside-root'), '0');
    }
    // The automatic one's name has a '/', which a file name cannot hold.
    const auto = await download(s, s.automatic.id);
    assert.equal(auto.headers.get('content-disposition'), 'attachment; filename="Rock_Fast_automatic.m3u8"');
    // Without a root: the server's own (absolute) paths.
    assert.deepEqual(entries(auto.text), await plantedFiles(s, s.automatic.itemIds));
    // The same files, in the same order, as the .m3u8 the local folder published for the automatic playlist.
    const published = path.join(s.config.playlistDir, 'Rock_Fast_automatic.m3u8');
    assert.deepEqual(
      entries(fs.readFileSync(published, 'utf8')).map((f) => path.resolve(path.dirname(published), f)),
      entries(auto.text),
    );
  });

  test('JSPF: the spec shape, file: locations that open the planted files, durations in ms', async () => {
    const r = await download(s, s.saved.id, '?format=jspf');
    assert.equal(r.status, 200, r.text);
    assert.match(r.headers.get('content-type')!, /^application\/json\b/);
    assert.equal(r.headers.get('content-disposition'), 'attachment; filename="Evening mix_instant.jspf"');
    const { playlist } = JSON.parse(r.text);
    assert.equal(playlist.title, 'Evening mix_instant');
    assert.equal(playlist.creator, 'AudioMuse');
    assert.ok(!Number.isNaN(Date.parse(playlist.date)));
    assert.deepEqual(
      playlist.track.map((t: { location: string[] }) => fileURLToPath(t.location[0])),
      await plantedFiles(s, s.saved.itemIds),
    );
    for (const t of playlist.track) {
      assert.ok(t.title && t.creator && t.album, JSON.stringify(t));
      assert.ok(Number.isInteger(t.duration) && t.duration > 0, `duration in ms: ${t.duration}`);
    }
  });

  test('a track with no stored path is a comment in .m3u8 and a location-less track in JSPF, and counted', async () => {
    const [gone] = s.saved.itemIds;
    await s.pool.query(`UPDATE tracks SET path = NULL WHERE item_id = $1`, [gone]);
    try {
      const m3u8 = await download(s, s.saved.id);
      assert.equal(m3u8.headers.get('audiomuse-without-path'), '1');
      assert.equal(entries(m3u8.text).length, s.saved.itemIds.length - 1);
      assert.match(m3u8.text, /^# no file path for: .+$/m);
      const jspf = JSON.parse((await download(s, s.saved.id, '?format=jspf')).text);
      assert.equal(jspf.playlist.track.length, s.saved.itemIds.length);
      assert.equal(jspf.playlist.track[0].location, undefined);
    } finally {
      await s.pool.query(`UPDATE tracks SET path = $2 WHERE item_id = $1`, [gone, (await plantedFiles(s, [gone]))[0]]);
    }
  });

  test('by the server playlist id too; 404 naming the id, 400 naming format or root', async () => {
    const byServer = await download(s, s.automatic.serverId);
    assert.equal(byServer.status, 200);
    assert.equal(byServer.text, (await download(s, s.automatic.id)).text);
    const unknown = await download(s, '987654');
    assert.equal(unknown.status, 404);
    assert.deepEqual(JSON.parse(unknown.text), { error: 'no such playlist: 987654', field: 'id' });
    for (const [query, field] of [
      ['?format=xspf', 'format'],
      [`?root=${'x'.repeat(5000)}`, 'root'],
    ]) {
      const bad = await download(s, s.saved.id, query);
      assert.equal(bad.status, 400, bad.text);
      assert.equal(JSON.parse(bad.text).field, field);
    }
  });

  test('the page: .m3u8 and JSPF links on the automatic and the saved playlist follow the music-root field', async (t) => {
    if (!fs.existsSync(CHROMIUM)) return t.skip('Debian package chromium');
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    try {
      const page = await browser.newPage({ acceptDownloads: true });
      page.setDefaultTimeout(60_000);
      await page.goto(s.base);
      const autoLink = page.getByRole('link', { name: 'Download Rock/Fast_automatic as .m3u8' });
      const savedLink = page.getByRole('link', { name: 'Download Evening mix_instant as JSPF' });
      await autoLink.waitFor();
      await savedLink.waitFor();
      await page.fill('#playlists-root', lib.musicDir);

      const [file] = await Promise.all([page.waitForEvent('download'), autoLink.click()]);
      assert.equal(file.suggestedFilename(), 'Rock_Fast_automatic.m3u8');
      const body = fs.readFileSync((await file.path())!, 'utf8');
      assert.equal(body, (await download(s, s.automatic.id, `?root=${encodeURIComponent(lib.musicDir)}`)).text);
      assert.ok(
        entries(body).every((f) => !path.isAbsolute(f)),
        'relative to the root typed',
      );

      const [jspf] = await Promise.all([page.waitForEvent('download'), savedLink.click()]);
      assert.equal(jspf.suggestedFilename(), 'Evening mix_instant.jspf');
      assert.equal(
        fs.readFileSync((await jspf.path())!, 'utf8'),
        (await download(s, s.saved.id, `?format=jspf&root=${encodeURIComponent(lib.musicDir)}`)).text,
      );
    } finally {
      await browser.close();
    }
  });
});

describe('Jellyfin (the stand-in: paths as Jellyfin reports them)', () => {
  let s: Source;
  let standin: JellyfinStandin;
  const ROOT = '/media/music';
  before(async () => {
    standin = new JellyfinStandin(lib.jellyfin, '10.11.11');
    const url = await standin.listen();
    const user = standin.user('alice');
    s = await setUp({
      MEDIA_SERVER_TYPE: 'jellyfin',
      JELLYFIN_URL: url,
      JELLYFIN_USER_ID: user.id,
      JELLYFIN_TOKEN: user.token,
    });
  });
  after(async () => {
    await s?.pool.end();
    await standin?.close();
  });

  test("relative to the server's music root, the entries open the same files where the library is mounted here", async () => {
    for (const p of [s.automatic, s.saved]) {
      const own = await download(s, p.id);
      assert.ok(
        entries(own.text).every((f) => f.startsWith(`${ROOT}/`)),
        `the server's own paths: ${entries(own.text)[0]}`,
      );
      const r = await download(s, p.id, `?root=${ROOT}`);
      assert.deepEqual(
        entries(r.text).map((f) => path.join(lib.musicDir, f)),
        await plantedFiles(s, p.itemIds),
      );
    }
  });

  test('a root that holds only some tracks: the others keep their server path and are counted', async () => {
    const { rows } = await s.pool.query<{ artist: string }>(`SELECT t.artist FROM tracks t WHERE t.item_id = $1`, [
      s.automatic.itemIds[0],
    ]);
    const root = `${ROOT}/${rows[0].artist}`;
    const r = await download(s, s.automatic.id, `?format=jspf&root=${encodeURIComponent(root)}`);
    const locations: string[] = JSON.parse(r.text).playlist.track.map((t: { location: string[] }) => t.location[0]);
    const outside = locations.filter((l) => l.startsWith('file:'));
    assert.ok(outside.length > 0 && outside.length < locations.length, locations.join(' '));
    assert.equal(r.headers.get('audiomuse-outside-root'), String(outside.length));
    assert.ok(outside.every((l) => fileURLToPath(l).startsWith(`${ROOT}/`)));
  });

  test('the CLI: by name to stdout, by id to a file, and every listed playlist into a folder', async () => {
    const env = {
      ...process.env,
      DATABASE_URL: s.databaseUrl,
      MEDIA_SERVER_TYPE: 'jellyfin',
      JELLYFIN_URL: s.config.jellyfinUrl!,
      JELLYFIN_USER_ID: s.config.jellyfinUserId!,
      JELLYFIN_TOKEN: s.config.jellyfinToken!,
    };
    const cli = (...args: string[]) =>
      exec(process.execPath, [path.join(repoRoot, 'bin/audiomuse.mjs'), 'playlists', 'export', ...args], {
        env,
        cwd: repoRoot,
      });
    const byName = await cli('Rock/Fast_automatic', '--root', ROOT);
    assert.equal(byName.stdout, (await download(s, s.automatic.id, `?root=${ROOT}`)).text);
    assert.match(byName.stderr, /6 tracks/);

    const out = path.join(dir, 'evening.jspf');
    await cli(s.saved.id, '--format', 'jspf', '--out', out);
    assert.equal(fs.readFileSync(out, 'utf8'), (await download(s, s.saved.id, '?format=jspf')).text);

    const all = path.join(dir, 'all');
    await cli('--all', '--out', all);
    assert.deepEqual(fs.readdirSync(all).sort(), ['Evening mix_instant.m3u8', 'Rock_Fast_automatic.m3u8']);

    await assert.rejects(cli('No such mix'), (e: { stderr: string }) => {
      assert.match(e.stderr, /no playlist has the id or name "No such mix"; the playlists: .*Evening mix_instant/);
      return true;
    });
  });
});
