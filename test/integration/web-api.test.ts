// The REST API against the real stack: a real Temporal dev server and PostgreSQL, the product's worker with its
// real activities, a planted library in a local folder. Every endpoint, every validation path, 404/409/503,
// the token rules and server-sent events.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { promisify } from 'node:util';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { createMediaProvider } from '../../providers/media/index.ts';
import { CLUSTER_LIBRARY_INPUT, clusterInputDefaults } from '../../contracts/clustering.ts';
import { TAGS } from '../../words/vocabulary.ts';
import type { Config } from '../../lib/config.ts';
import { createPool, migrate, type Pool } from '../../lib/db.ts';
import { storeTrackFeatures, upsertAlbumTracks } from '../../lib/store/tracks.ts';
import { loadEmbeddings, loadVectors } from '../../lib/store/vectors.ts';
import { analysisVersion } from '../../engines/analysis/version.ts';
import os from 'node:os';
import { openDatabase } from '../../lib/boot.ts';
import { Shutdown } from '../../lib/shutdown.ts';
import { apiRoutes, type WebDeps } from '../../web/app.ts';
import { createAuth, LOGIN_FAILURES_ALLOWED, SESSION_SECONDS, signSession } from '../../web/api/auth.ts';
import type { ApiRoute } from '../../web/api/deps.ts';
import { startWeb } from '../../web/server.ts';
import { writeSineWav } from '../standins/jellyfin.ts';
import { plantLibrary, storePlantedFeatures } from '../helpers/planted-library.ts';
import { freePort, freshDatabase, freshNamespace, releaseServices, scratchDir, services } from '../helpers/services.ts';
import { closeServedApps, requestAs, serveApp } from '../helpers/web-app.ts';
import { startTestWorker, testConfig } from '../helpers/worker.ts';

let dir: string;
let pool: Pool;
let databaseUrl: string;
/** The planted group of each title: the songs that should sound alike. */
let groupOf: Map<string, number>;
let config: Config;
let worker: Awaited<ReturnType<typeof startTestWorker>>;
let base: string;
let temporalAddress: string;
const TRACKS = 120;
const exec = promisify(execFile);
const version = analysisVersion({ patchHop: 187, profile: 'exact' });

const serve = async (deps: WebDeps) => (await serveApp(deps, { keepAliveTimeout: 60_000 })).base;

const json = async (res: Response) => ({ status: res.status, body: (await res.json()) as any, headers: res.headers });
const get = async (url: string, init?: RequestInit) => json(await fetch(`${base}${url}`, init));
const post = async (url: string, body?: unknown, init: RequestInit = {}) =>
  json(
    await fetch(`${base}${url}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      ...init,
    }),
  );

async function until<T>(what: string, fn: () => Promise<T | undefined>, ms = 120_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    assert.ok(Date.now() < deadline, `timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

before(async () => {
  dir = scratchDir('web-api');
  const lib = plantLibrary(dir, { tracks: TRACKS, groups: 4, seed: 11 });
  groupOf = lib.groupOf;
  temporalAddress = (await services()).temporalAddress;
  databaseUrl = await freshDatabase();
  pool = createPool(databaseUrl);
  await migrate(pool);
  config = testConfig({
    // Its own namespace: the fixed `analyze-library` id would meet the browser test's or the CLI test's run.
    TEMPORAL_NAMESPACE: await freshNamespace('web-api'),
    MEDIA_SERVER_TYPE: 'local',
    MUSIC_DIR: lib.musicDir,
    PLAYLIST_DIR: path.join(dir, 'playlists'),
    ANALYSIS_WORKERS: '0',
  });
  const media = await createMediaProvider(config);
  assert.equal(await storePlantedFeatures(pool, media, lib), TRACKS);
  // Two tracks nobody has analysed: with no analysis worker polling, a library analysis stays running on them.
  fs.mkdirSync(path.join(lib.musicDir, 'Unanalysed', 'Album'), { recursive: true });
  for (const t of ['Pending One', 'Pending Two'])
    writeSineWav(path.join(lib.musicDir, 'Unanalysed', 'Album', `${t}.wav`), 0.05, 8000, 440);
  worker = await startTestWorker({ address: temporalAddress, pool, config });
  base = await serve({ pool, config, client: worker.client, temporalAddress, media });
});

after(async () => {
  closeServedApps();
  await worker?.stop();
  await pool?.end();
  fs.rmSync(dir, { recursive: true, force: true });
  await releaseServices();
});

test('the OpenAPI document lists every endpoint, and its schemas are the workflow input specs with the configured defaults', async () => {
  const { status, body: doc } = await get('/api/openapi.json');
  assert.equal(status, 200);
  assert.equal(doc.openapi, '3.1.0');
  const expected = [
    'post /api/analysis/start',
    'post /api/clustering/start',
    'get /api/status/{taskId}',
    'post /api/cancel/{taskId}',
    'post /api/cancel_all/{taskType}',
    'get /api/active_tasks',
    'get /api/last_task',
    'get /api/config',
    'get /api/playlists',
    'get /api/playlists/{id}',
    'get /api/runs',
    'get /api/runs/{id}/events',
    'get /api/tracks',
    'get /api/tracks/{id}',
    'get /api/map',
    'get /api/similar_tracks',
    'get /api/find_path',
    'get /api/search_tracks',
    'post /api/alchemy',
    'post /api/create_playlist',
    'get /api/saved_playlists',
    'get /api/health',
    'get /api/media',
    'post /api/media/check',
    'get /api/session',
    'post /api/login',
    'post /api/logout',
  ];
  const listed = Object.entries(doc.paths as Record<string, object>).flatMap(([p, ops]) =>
    Object.keys(ops).map((m) => `${m} ${p}`),
  );
  for (const e of expected) assert.ok(listed.includes(e), `${e} is documented`);
  const ids = listed.map((e) => e);
  assert.equal(new Set(ids).size, ids.length);

  const schema = doc.components.schemas.startClusteringBody;
  const defaults = clusterInputDefaults(config);
  assert.deepEqual(Object.keys(schema.properties).sort(), Object.keys(CLUSTER_LIBRARY_INPUT).sort());
  assert.equal(schema.additionalProperties, false);
  assert.equal(schema.properties.runs.default, config.clustering.runs);
  assert.equal(schema.properties.numClustersMax.default, config.clustering.numClusters[1]);
  assert.equal(schema.properties.algorithm.default, defaults.algorithm);
  assert.deepEqual(schema.properties.algorithm.enum, ['kmeans', 'dbscan', 'gmm']);
  for (const [name, p] of Object.entries(schema.properties as Record<string, { description?: string }>))
    assert.ok(p.description, `${name} has help text`);

  const swagger = await fetch(`${base}/apidocs/`);
  assert.equal(swagger.status, 200);
  assert.match(await swagger.text(), /swagger-ui-bundle\.js/);
  const bundle = await fetch(`${base}/apidocs/swagger-ui-bundle.js`);
  assert.equal(bundle.status, 200);
  assert.ok((await bundle.arrayBuffer()).byteLength > 100_000, 'Swagger UI is served from the npm package');
  assert.match(await (await fetch(`${base}/apidocs/swagger-initializer.js`)).text(), /\/api\/openapi\.json/);
});

test('bad input: 400 naming the field, 413/415 for bodies, 404 for unknown ids and endpoints, never a stack or SQL', async () => {
  const cases: [string, () => Promise<{ status: number; body: any }>, number, string][] = [
    [
      'malformed JSON',
      () =>
        fetch(`${base}/api/clustering/start`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{"runs": 5,',
        }).then(json),
      400,
      'body',
    ],
    ['a JSON array', () => post('/api/clustering/start', [1, 2]), 400, 'body'],
    ['unknown field', () => post('/api/clustering/start', { runz: 5 }), 400, 'runz'],
    ['wrong type', () => post('/api/clustering/start', { runs: 'many' }), 400, 'runs'],
    ['out of range', () => post('/api/clustering/start', { runs: 0 }), 400, 'runs'],
    ['not an integer', () => post('/api/analysis/start', { numRecentAlbums: 1.5 }), 400, 'numRecentAlbums'],
    ['bad enum', () => post('/api/clustering/start', { algorithm: 'spectral' }), 400, 'algorithm'],
    ['nested unknown', () => post('/api/clustering/start', { weights: { bogus: 1 } }), 400, 'weights.bogus'],
    [
      'min > max',
      () => post('/api/clustering/start', { numClustersMin: 30, numClustersMax: 10 }),
      400,
      'numClustersMin',
    ],
    [
      'min > configured max',
      () => post('/api/clustering/start', { numClustersMin: config.clustering.numClusters[1] + 1 }),
      400,
      'numClustersMin',
    ],
    [
      'snake_case given twice',
      () => post('/api/analysis/start', { num_recent_albums: 1, numRecentAlbums: 2 }),
      400,
      'numRecentAlbums',
    ],
    ['bad query', () => get('/api/runs?limit=0'), 400, 'limit'],
    ['unknown query parameter', () => get('/api/tracks?colour=red'), 400, 'colour'],
    ['bad path parameter', () => get('/api/tracks/abc'), 400, 'id'],
    ['bad task type', () => post('/api/cancel_all/everything'), 400, 'taskType'],
    [
      'form body',
      () =>
        fetch(`${base}/api/analysis/start`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: 'a=1',
        }).then(json),
      415,
      'body',
    ],
    ['huge body', () => post('/api/clustering/start', { pad: 'x'.repeat(70_000) }), 413, 'body'],
    ['unknown task', () => get('/api/status/no-such-workflow'), 404, 'taskId'],
    ['unknown track', () => get('/api/tracks/987654321'), 404, 'id'],
    ['not a cursor', () => get(`/api/tracks?after=${Buffer.from('["a"]').toString('base64url')}`), 400, 'after'],
    [
      'offset with a cursor',
      () => get(`/api/tracks?offset=5&after=${Buffer.from('["a",null,null,"1"]').toString('base64url')}`),
      400,
      'offset',
    ],
    ['unknown playlist', () => get('/api/playlists/987654321'), 404, 'id'],
    ['cancel unknown', () => post('/api/cancel/no-such-workflow'), 404, 'taskId'],
  ];
  for (const [what, call, status, field] of cases) {
    const r = await call();
    assert.equal(r.status, status, `${what}: ${JSON.stringify(r.body)}`);
    assert.equal(r.body.field, field, what);
    assert.equal(typeof r.body.error, 'string', what);
    assert.doesNotMatch(r.body.error, /\n\s+at |SELECT|INSERT/, `${what}: no stack trace or SQL`);
    assert.deepEqual(
      Object.keys(r.body).filter((k) => k !== 'error' && k !== 'field'),
      [],
      what,
    );
  }
  const endpoint = await get('/api/no-such-endpoint');
  assert.equal(endpoint.status, 404);
  assert.match(endpoint.body.error, /no such endpoint/);
  const { rows } = await pool.query(`SELECT count(*)::int AS n FROM clustering_runs`);
  assert.equal(rows[0].n, 0, 'no bad request started anything');
});

test(
  'analysis: start, 409 with the running id, status, active tasks, SSE progress, cancel within seconds, 409 on a second cancel',
  { timeout: 180_000 },
  async () => {
    const started = await post('/api/analysis/start', { num_recent_albums: 0, maxConcurrentAlbums: 2 });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    assert.equal(started.body.task_id, 'analyze-library');
    assert.equal(started.body.task_type, 'main_analysis');
    const again = await post('/api/analysis/start', {});
    assert.equal(again.status, 409);
    assert.equal(again.body.task_id, 'analyze-library');

    // The planted albums are skipped (already analysed); the unanalysed album's two tracks wait for an analysis worker.
    const running = await until('the analysis to list its albums', async () => {
      const s = await get('/api/status/analyze-library');
      return s.body.details?.albumsTotal && s.body.details.albumsDone >= s.body.details.albumsTotal - 1 ? s : undefined;
    });
    assert.equal(running.status, 200);
    assert.equal(running.body.state, 'PROGRESS');
    assert.equal(running.body.running, true);
    assert.ok(running.body.progress > 0 && running.body.progress < 100, `progress ${running.body.progress}`);
    assert.equal(running.body.details.tracksSkipped, TRACKS, 'the planted tracks were already analysed');
    assert.equal(running.body.details.params.numRecentAlbums, 0, 'the snake_case field reached the workflow');
    assert.equal(running.body.details.params.maxConcurrentAlbums, 2);

    const active = await get('/api/active_tasks');
    assert.deepEqual(
      active.body.map((t: any) => t.task_id),
      ['analyze-library'],
    );
    assert.equal((await get('/api/last_task')).body.task_id, 'analyze-library');

    // Server-sent events: the current status at once, then `end` once the cancellation lands.
    const events = await fetch(`${base}/api/runs/analyze-library/events`);
    assert.equal(events.status, 200);
    assert.match(events.headers.get('content-type') ?? '', /text\/event-stream/);
    const reader = events.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = '';
    // Reads until the pattern shows; gives up (ending the stream) after a generous deadline.
    const readUntil = async (pattern: RegExp, what: string, ms = 120_000) => {
      const timer = setTimeout(() => void reader.cancel(), ms);
      try {
        while (!pattern.test(text)) {
          const { value, done } = await reader.read();
          if (done) break;
          text += value;
        }
      } finally {
        clearTimeout(timer);
      }
      const m = pattern.exec(text);
      assert.ok(m, `no ${what} in the event stream (it ended, or ${ms / 1000} s passed): ${text}`);
      return m;
    };
    const first = await readUntil(/event: progress\ndata: (.*)\n\n/, 'first progress event');
    assert.equal(JSON.parse(first[1]).state, 'PROGRESS');

    const t0 = Date.now();
    const cancel = await post('/api/cancel/analyze-library');
    assert.equal(cancel.status, 202);
    assert.deepEqual(cancel.body, { task_id: 'analyze-library', status: 'cancelling' });
    const end = await readUntil(/event: end\ndata: (.*)\n\n/, '`end` event after the cancel');
    assert.deepEqual(JSON.parse(end[1]), { state: 'REVOKED' });
    // Generous (a loaded machine): it catches a cancel that waits for the whole run, not a slow one.
    assert.ok(Date.now() - t0 < 60_000, `cancelled in ${Date.now() - t0} ms`);
    assert.match(text, /"state":"REVOKED"/, 'the last progress event carries the final state');

    const after = await get('/api/status/analyze-library');
    assert.equal(after.body.state, 'REVOKED');
    assert.equal(after.body.running, false);
    const twice = await post('/api/cancel/analyze-library');
    assert.equal(twice.status, 409);
    assert.deepEqual((await get('/api/active_tasks')).body, []);

    const runs = await get('/api/runs?kind=analysis');
    assert.equal(runs.body.total, 1);
    assert.equal(runs.body.runs[0].status, 'cancelled');
    assert.equal(runs.body.runs[0].workflowId, 'analyze-library');
    const byKey = await get(`/api/status/${runs.body.runs[0].id}`);
    assert.equal(byKey.body.state, 'REVOKED');
    assert.equal(byKey.body.run_id, runs.body.runs[0].id);
  },
);

test(
  "clustering: start with the original's snake_case names, finish, then playlists with profiles, the cached map, tracks",
  { timeout: 300_000 },
  async () => {
    const started = await post('/api/clustering/start', {
      clustering_method: 'kmeans',
      clustering_runs: 30,
      num_clusters_min: 4,
      num_clusters_max: 6,
      minPlaylistSize: 5,
      maxSongsPerArtist: 100,
      pcaComponentsMax: 0,
      seed: 2,
      earlyStopGenerations: 0,
    });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    const taskId = started.body.task_id;
    const done = await until(
      'the clustering to finish',
      async () => {
        const s = await get(`/api/status/${taskId}`);
        return s.body.running === false ? s : undefined;
      },
      240_000,
    );
    assert.equal(done.body.state, 'SUCCESS', JSON.stringify(done.body));
    assert.equal(done.body.progress, 100);
    assert.equal(done.body.details.runsTotal, 30, 'clustering_runs reached the workflow');
    assert.ok(
      done.body.details.bestParams.k >= 4 && done.body.details.bestParams.k <= 6,
      JSON.stringify(done.body.details.bestParams),
    );

    const { body: pl } = await get('/api/playlists?include=tracks');
    assert.ok(pl.playlists.length >= 2, `${pl.playlists.length} playlists`);
    // The list alone: each playlist's size and profile, no tracks; one playlist's tracks from /api/playlists/:id.
    const { body: light } = await get('/api/playlists');
    assert.deepEqual(
      light.playlists.map((p: any) => [p.id, p.name, p.size, 'tracks' in p]),
      pl.playlists.map((p: any) => [p.id, p.name, p.tracks.length, false]),
    );
    const one = await get(`/api/playlists/${pl.playlists[1].id}`);
    assert.deepEqual(one.body, pl.playlists[1], 'the same playlist, with its tracks in order');
    assert.equal((await get('/api/playlists/987654321')).status, 404);
    const files = fs.readdirSync(path.join(dir, 'playlists'));
    for (const p of pl.playlists) {
      assert.equal(p.status, 'published');
      assert.ok(p.tracks.length >= 5);
      assert.ok(p.tracks.every((t: any) => typeof t.title === 'string' && t.id));
      assert.ok(
        p.profile.tempo >= 0 && p.profile.tempo <= 1 && Object.keys(p.profile.moods).length > 0,
        JSON.stringify(p.profile),
      );
      assert.ok(
        files.some((f) => f.startsWith(p.name)),
        `${p.name} was written to the playlist folder`,
      );
    }

    const first = await get('/api/map');
    assert.equal(first.status, 200);
    assert.equal(first.body.cached, false);
    assert.equal(first.body.total, TRACKS);
    const pts = first.body.points;
    assert.equal(pts.x.length, TRACKS);
    assert.ok(pts.x.every((v: number) => v >= -1 && v <= 1) && pts.y.every((v: number) => v >= -1 && v <= 1));
    assert.ok(Math.max(...pts.x.map(Math.abs)) === 1, 'scaled to the unit square');
    const inPlaylists = pl.playlists.reduce((n: number, p: any) => n + p.tracks.length, 0);
    assert.equal(
      pts.playlist.filter((i: number | null) => i !== null).length,
      inPlaylists,
      'every playlist track is coloured',
    );
    const second = await get('/api/map');
    assert.equal(second.body.cached, true, 'the projection is computed once per library snapshot');
    assert.deepEqual(second.body.points.x, pts.x);
    assert.equal((await get('/api/map?percent=50')).body.points.ids.length, TRACKS / 2);
    // Features of another analysis version, or of another media source, never join the configured library's map.
    const features = (
      await loadVectors(pool, { source: 'local', analysisVersion: version, trackIds: [pts.ids[0]] })
    )[0];
    for (const [source, v] of [
      ['local', 'an-older-analysis-version'],
      ['jellyfin', version],
    ]) {
      const { toAnalyze } = await upsertAlbumTracks(
        pool,
        source,
        `other-${source}`,
        [
          {
            itemId: `other-${v}`,
            title: `Other ${v}`,
            artist: 'Other',
            album: 'Other',
            durationSec: 1,
            changeMarker: 'x',
          },
        ],
        v,
      );
      await storeTrackFeatures(
        pool,
        toAnalyze[0].trackId,
        { ...features, tags: Float32Array.from(features.tags), key: 'C', scale: 'major', keyStrength: 0.5, patches: 1 },
        v,
        1,
      );
    }
    const third = await get('/api/map');
    assert.equal(third.body.total, TRACKS, 'only the configured source, analysed with the current version');
    assert.equal(third.body.snapshot, second.body.snapshot, 'rows outside the scope leave the snapshot alone');
    // The CLI answers the same query from the same store: the same snapshot, already cached, the same points.
    const cli = await exec(process.execPath, ['--import', 'tsx', 'cli/audiomuse.ts', 'map', '--points'], {
      env: { ...process.env, DATABASE_URL: databaseUrl, MEDIA_SERVER_TYPE: 'local', MUSIC_DIR: config.musicDir },
    });
    const fromCli = JSON.parse(cli.stdout);
    assert.equal(fromCli.snapshot, second.body.snapshot);
    assert.equal(fromCli.cached, true);
    assert.equal(fromCli.total, TRACKS);
    assert.deepEqual(fromCli.points.x, pts.x);

    const search = await get(`/api/tracks?q=${encodeURIComponent(pl.playlists[0].tracks[0].title)}`);
    assert.equal(search.status, 200);
    assert.ok(search.body.total >= 1);
    const hit = search.body.tracks[0];
    assert.equal(hit.status, 'analyzed');
    assert.equal(hit.features.topTags.length, 5);
    const all = await get('/api/tracks?limit=500');
    assert.equal(all.body.total, TRACKS + 2 + 2, 'the planted library, two pending tracks, two outside the map');
    assert.equal((await get('/api/tracks?status=pending')).body.total, 2);
    // Keyset paging: following `next` from the first page walks the rows of one big page, in its order, tracks
    // without an artist, album or title sorted after the others in each column.
    const { rows: nulls } = await pool.query<{ id: string }>(
      `INSERT INTO tracks (source, item_id, title, artist, album) VALUES ('local', 'null-1', NULL, NULL, NULL),
         ('local', 'null-2', 'Z', NULL, 'A'), ('local', 'null-3', NULL, 'Aardvark', NULL), ('local', 'null-4', 'T', 'Aardvark', NULL),
         ('local', 'null-5', NULL, 'Aardvark', 'A') RETURNING id::text AS id`,
    );
    const whole = (await get('/api/tracks?limit=500')).body;
    assert.equal(whole.tracks.length, TRACKS + 4 + nulls.length);
    assert.equal(whole.totalExact, true);
    assert.equal(whole.next, null, 'the last page has no next');
    const walked: string[] = [];
    for (let after = '', pages = 0; pages === 0 || after; pages++) {
      const r = await get(`/api/tracks?limit=7${after && `&after=${after}`}`);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      walked.push(...r.body.tracks.map((t: { id: string }) => t.id));
      after = r.body.next ?? '';
    }
    assert.deepEqual(
      walked,
      whole.tracks.map((t: { id: string }) => t.id),
    );
    const ours = new Set(nulls.map((r) => r.id));
    assert.deepEqual(
      walked.filter((id) => ours.has(id)),
      [4, 3, 2, 1, 0].map((i) => nulls[i].id),
      'a missing artist, album or title sorts after the others',
    );
    assert.deepEqual(walked.slice(-2), [nulls[1].id, nulls[0].id], 'no artist: last of all');
    await pool.query(`DELETE FROM tracks WHERE id = ANY($1::bigint[])`, [nulls.map((r) => r.id)]);
    const detail = await get(`/api/tracks/${hit.id}`);
    assert.equal(detail.status, 200);
    assert.deepEqual(Object.keys(detail.body.features.tags), [...TAGS]);
    assert.ok(detail.body.playlists.length <= 1);

    assert.equal((await get('/api/last_task')).body.task_id, taskId);
    assert.deepEqual((await post('/api/cancel_all/clustering')).body, { cancelled: [] });
    const runs = await get('/api/runs');
    assert.equal(runs.body.total, 2);
    assert.deepEqual(
      runs.body.runs.map((r: any) => r.kind),
      ['clustering', 'analysis'],
      'newest first',
    );
    const cfg = await get('/api/config');
    const vars = new Map(cfg.body.variables.map((v: any) => [v.name, v]));
    assert.equal((vars.get('MUSIC_DIR') as any).value, config.musicDir);
    assert.equal((vars.get('POSTGRES_PASSWORD') as any).value, '***');

    // Statuses are shared for half a second, but a start through the API forgets the id at once: the
    // status read just after shows the new run, not the finished one it replaced.
    assert.equal((await get(`/api/status/${taskId}`)).body.state, 'SUCCESS');
    const again = await post('/api/clustering/start', { runs: 5000, seed: 3, earlyStopGenerations: 0, publish: false });
    assert.equal(again.status, 202, JSON.stringify(again.body));
    const fresh = await get(`/api/status/${taskId}`);
    assert.equal(fresh.body.running, true, JSON.stringify(fresh.body));
    assert.notEqual(fresh.body.run_id, done.body.run_id);
    assert.equal((await post(`/api/cancel/${taskId}`)).status, 202);
    await until('the second clustering to stop', async () =>
      (await get(`/api/status/${taskId}`)).body.running === false ? true : undefined,
    );
  },
);

const TOKEN = 'correct horse battery staple';
/** A path of a route with every `:param` filled in. */
const pathOf = (route: ApiRoute) => route.path.replace(/:(\w+)/g, 'x');
/** The app's route table (only its shape is read). */
const appRoutes = () =>
  apiRoutes({
    pool,
    config,
    temporalAddress,
    taskQueue: config.temporal.taskQueue,
    namespace: config.temporal.namespace,
    auth: createAuth(undefined),
  });

test("similar_tracks and find_path answer the plugins' requests in the original's shapes", async () => {
  const songs = await loadEmbeddings(pool, { source: 'local', analysisVersion: version });
  const byItem = new Map(songs.map((t) => [t.itemId, t]));
  const seed = songs[7];
  // The Navidrome plugin's call (v9 adds server=), the Jellyfin plugin's, the Lyrion mixer's.
  for (const q of [
    `item_id=${encodeURIComponent(seed.itemId)}&n=10&eliminate_duplicates=true&radius_similarity=true&server=main`,
    `item_id=${encodeURIComponent(seed.itemId)}&n=10`,
    `item_id=${encodeURIComponent(seed.itemId)}&n=10&mood_similarity=true`,
  ]) {
    const r = await get(`/api/similar_tracks?${q}`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.length, 10);
    for (const s of r.body) {
      assert.deepEqual(Object.keys(s).sort(), ['album', 'author', 'distance', 'item_id', 'title']);
      assert.ok(byItem.has(s.item_id) && s.item_id !== seed.itemId, 'known ids, never the seed');
      assert.ok(s.distance >= 0 && s.distance < 1, `the plugins' similarity 1 − distance is in (0, 1]: ${s.distance}`);
    }
    assert.equal(new Set(r.body.map((s: any) => s.item_id)).size, 10);
  }
  // Nearest first: the songs of the seed's planted group come first.
  const nearest = await get(
    `/api/similar_tracks?item_id=${encodeURIComponent(seed.itemId)}&n=10&radius_similarity=false`,
  );
  const same = nearest.body.filter((s: any) => groupOf.get(s.title) === groupOf.get(seed.title!)).length;
  assert.ok(same >= 9, `${same} of the 10 nearest share the seed's group`);
  assert.ok(nearest.body.every((s: any, i: number) => i === 0 || nearest.body[i - 1].distance <= s.distance));
  const byName = await get(
    `/api/similar_tracks?title=${encodeURIComponent(seed.title!)}&artist=${encodeURIComponent(seed.artist!)}&n=10&radius_similarity=false`,
  );
  assert.deepEqual(byName.body, nearest.body, 'title + artist finds the same seed');
  assert.equal((await get('/api/similar_tracks?item_id=nope')).status, 404);
  assert.equal((await get('/api/similar_tracks?n=5')).body.field, 'item_id');

  // The Navidrome plugin's path call: starts with A, ends with B, max_steps songs, none twice.
  const [a, b] = [songs[0], songs.find((t) => groupOf.get(t.title!) !== groupOf.get(songs[0].title!))!];
  const path = await get(
    `/api/find_path?start_song_id=${encodeURIComponent(a.itemId)}&end_song_id=${encodeURIComponent(b.itemId)}&max_steps=12&path_fix_size=false&mood_pct=100`,
  );
  assert.equal(path.status, 200, JSON.stringify(path.body));
  const ids = path.body.path.map((s: any) => s.item_id);
  assert.equal(ids.length, 12);
  assert.equal(ids[0], a.itemId);
  assert.equal(ids.at(-1), b.itemId);
  assert.equal(new Set(ids).size, 12);
  assert.ok(path.body.total_distance > 0);
  const pathOf = async (extra: string) =>
    (
      await get(
        `/api/find_path?start_song_id=${encodeURIComponent(a.itemId)}&end_song_id=${encodeURIComponent(b.itemId)}&max_steps=12&${extra}`,
      )
    ).body.path.map((s: any) => s);
  const perArtist = await pathOf('one_per_artist=true');
  assert.equal(new Set(perArtist.map((s: any) => s.author)).size, 12, 'one song per artist (16 artists planted)');
  const v1 = (await pathOf('variety=5&seed=1')).map((s: any) => s.item_id);
  assert.deepEqual(
    (await pathOf('variety=5&seed=1')).map((s: any) => s.item_id),
    v1,
    'the same seed, the same path',
  );
  assert.notDeepEqual(
    (await pathOf('variety=5&seed=2')).map((s: any) => s.item_id),
    v1,
    'another seed, another path',
  );

  // Pickers look songs up by parts of title and artist.
  const part = seed.title!.slice(0, 4).toLowerCase();
  const found = await get(
    `/api/search_tracks?title=${encodeURIComponent(part)}&artist=${encodeURIComponent(seed.artist!)}`,
  );
  assert.equal(found.status, 200);
  assert.ok(found.body.some((s: any) => s.item_id === seed.itemId));
  assert.ok(found.body.every((s: any) => s.author === seed.artist && s.title.toLowerCase().includes(part)));
  assert.deepEqual(Object.keys(found.body[0]).sort(), ['album', 'author', 'item_id', 'title']);

  // The CLI gives the same answers, a song named as "title - artist".
  const env = { ...process.env, DATABASE_URL: databaseUrl, MEDIA_SERVER_TYPE: 'local', MUSIC_DIR: config.musicDir };
  const lines = (out: string) =>
    out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
  const cliSimilar = await exec(
    process.execPath,
    ['--import', 'tsx', 'cli/audiomuse.ts', 'similar', `${seed.title} - ${seed.artist}`, '--n', '10', '--nearest'],
    { env },
  );
  assert.deepEqual(
    lines(cliSimilar.stdout).map((s) => s.item_id),
    nearest.body.map((s: any) => s.item_id),
  );
  const cliPath = await exec(
    process.execPath,
    [
      '--import',
      'tsx',
      'cli/audiomuse.ts',
      'path',
      a.itemId,
      b.itemId,
      '--steps',
      '12',
      '--variety',
      '5',
      '--seed',
      '1',
    ],
    { env },
  );
  assert.deepEqual(
    lines(cliPath.stdout).map((s) => s.item_id),
    v1,
  );
});

test('API_TOKEN: every route not marked open answers 401 without the token; health keeps a minimal open answer', async () => {
  const url = await serve({ pool, config: { ...config, apiToken: TOKEN }, client: worker.client, temporalAddress });
  const routes = appRoutes();
  assert.ok(routes.length >= 20, `${routes.length} routes`);
  for (const route of routes.filter((r) => !r.open)) {
    for (const headers of [{}, { authorization: 'Bearer wrong' }, { cookie: 'audiomuse_session=00' }] as Record<
      string,
      string
    >[]) {
      const r = await fetch(`${url}${pathOf(route)}`, { method: route.method.toUpperCase(), headers });
      assert.equal(r.status, 401, `${route.method} ${route.path} with ${JSON.stringify(headers)}`);
      assert.doesNotMatch(await r.text(), /correct horse/);
    }
  }
  assert.equal((await fetch(`${url}/api/openapi.json`)).status, 401);
  assert.deepEqual(
    routes.filter((r) => r.open).map((r) => `${r.method} ${r.path}`),
    ['get /api/health', 'get /api/session', 'post /api/login', 'post /api/logout'],
    'the routes open without the token',
  );

  const count = async () => (await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM round_trips')).rows[0].n;
  const rows = await count();
  // Open: whether each part is up, for probes (deployment/healthcheck.mjs reads `postgres.ok`); nothing else.
  const open = await fetch(`${url}/api/health`);
  const health: any = await open.json();
  assert.equal(open.status, 200, JSON.stringify(health));
  assert.deepEqual(Object.keys(health).sort(), ['checkedAt', 'ok', 'postgres', 'temporal', 'worker']);
  for (const part of ['postgres', 'temporal', 'worker']) assert.deepEqual(health[part], { ok: true }, part);
  const deep = await fetch(`${url}/api/health?deep=1`);
  assert.equal(deep.status, 401, 'the deep check starts a workflow and writes a row: it needs the token');
  assert.equal(await count(), rows, 'the refused deep check wrote nothing');
  const full: any = await (
    await fetch(`${url}/api/health?deep=1`, { headers: { authorization: `Bearer ${TOKEN}` } })
  ).json();
  assert.equal(full.roundTrip.ok, true, JSON.stringify(full));
  assert.match(full.postgres.version, /\d/, 'versions with the token');
  assert.equal(full.temporal.address, temporalAddress);
  assert.equal(await count(), rows, 'the deep check removed the row it wrote');
});

test('API_TOKEN: bearer token or a signed, expiring session cookie that logout revokes; security headers everywhere', async () => {
  const url = await serve({ pool, config: { ...config, apiToken: TOKEN }, client: worker.client, temporalAddress });
  const at = (p: string, init?: RequestInit) => fetch(`${url}${p}`, init);
  assert.equal((await at('/api/runs', { headers: { authorization: `Bearer ${TOKEN}` } })).status, 200);
  assert.deepEqual(await (await at('/api/session')).json(), { authRequired: true, authenticated: false });

  const login = (token: string, headers: Record<string, string> = {}) =>
    at('/api/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ token }),
    });
  const bad = await login('guess');
  assert.equal(bad.status, 401);
  assert.equal(bad.headers.get('set-cookie'), null);
  const good = await login(TOKEN);
  assert.equal(good.status, 200);
  const cookie = good.headers.get('set-cookie')!;
  assert.match(cookie, /audiomuse_session=\d{10}\.[\w-]{16}\.[\w-]{43};/);
  assert.match(cookie, /httponly/i);
  assert.match(cookie, /samesite=strict/i);
  assert.doesNotMatch(cookie, /secure/i, 'plain HTTP without TRUST_PROXY: no Secure flag');
  assert.doesNotMatch(cookie, /correct/);
  const session = cookie.split(';')[0];
  const withCookie = (c: string) => at('/api/runs', { headers: { cookie: c } });
  assert.equal((await withCookie(session)).status, 200);

  // The expiry is in the signed value and checked by the server, whatever the browser keeps.
  const [, expires, id, mac] = /=(\d+)\.([\w-]+)\.([\w-]+)/.exec(session)!;
  assert.equal(
    (await withCookie(`audiomuse_session=${Number(expires) + 86400}.${id}.${mac}`)).status,
    401,
    'a forged expiry',
  );
  const weekAgo = Date.now() - (SESSION_SECONDS + 60) * 1000;
  assert.equal((await withCookie(`audiomuse_session=${signSession(TOKEN, weekAgo)}`)).status, 401, 'expired');
  assert.equal((await withCookie(`audiomuse_session=${signSession(TOKEN, Date.now() - 60_000)}`)).status, 200);
  assert.equal((await withCookie(`audiomuse_session=${signSession('another token value', Date.now())}`)).status, 401);

  // Logout revokes the session: a copy of the cookie taken before stops working.
  const other = (await login(TOKEN)).headers.get('set-cookie')!.split(';')[0];
  const out = await at('/api/logout', { method: 'POST', headers: { cookie: session } });
  assert.match(out.headers.get('set-cookie') ?? '', /audiomuse_session=;/);
  assert.equal((await withCookie(session)).status, 401, 'the copied cookie is revoked');
  assert.equal((await withCookie(other)).status, 200, 'another session stays');

  // Behind a proxy that says https (TRUST_PROXY=true), the cookie is Secure; without it the header is not believed.
  const proxied = await serve({
    pool,
    config: { ...config, apiToken: TOKEN, trustProxy: true },
    client: worker.client,
    temporalAddress,
  });
  const via = (base: string) =>
    fetch(`${base}/api/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-proto': 'https' },
      body: JSON.stringify({ token: TOKEN }),
    });
  assert.match((await via(proxied)).headers.get('set-cookie') ?? '', /;\s*secure/i);
  assert.doesNotMatch((await via(url)).headers.get('set-cookie') ?? '', /secure/i);

  for (const p of ['/', '/api/health', '/api/runs', '/api/nothing', '/apidocs/']) {
    const r = await at(p);
    assert.equal(r.headers.get('x-content-type-options'), 'nosniff', p);
    assert.equal(r.headers.get('x-frame-options'), 'DENY', p);
    assert.match(r.headers.get('content-security-policy') ?? '', /default-src 'self'/, p);
  }
});

test('API_TOKEN: wrong logins from one address are limited (429 with Retry-After), the right token included', async () => {
  const url = await serve({ pool, config: { ...config, apiToken: TOKEN }, client: worker.client, temporalAddress });
  const login = (token: string) =>
    fetch(`${url}/api/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token }),
    });
  for (let i = 0; i < LOGIN_FAILURES_ALLOWED; i++) assert.equal((await login(`guess ${i}`)).status, 401, `guess ${i}`);
  const limited = await login('one more guess');
  assert.equal(limited.status, 429);
  const wait = Number(limited.headers.get('retry-after'));
  assert.ok(wait >= 1 && wait <= 60, `Retry-After: ${wait}`);
  assert.match(((await limited.json()) as any).error, /too many wrong tokens/);
  assert.equal((await login(TOKEN)).status, 429, 'not even the right token is checked while limited');
});

test('cross-site: every state-changing route refuses another Origin with 403 (with and without a body); its own origin passes', async () => {
  const runs = async () =>
    (await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM clustering_runs')).rows[0].n;
  const before = await runs();
  const changing = appRoutes().filter((r) => r.method !== 'get');
  assert.ok(changing.length >= 7, `${changing.length} state-changing routes`);
  for (const route of changing) {
    for (const body of [undefined, JSON.stringify({ runs: 5 })]) {
      for (const headers of [
        { origin: 'http://evil.example' },
        { origin: 'null' },
        { 'sec-fetch-site': 'cross-site' },
      ] as Record<string, string>[]) {
        const r = await fetch(`${base}${pathOf(route)}`, {
          method: route.method.toUpperCase(),
          headers: { ...headers, ...(body && { 'content-type': 'application/json' }) },
          body,
        });
        const answer: any = await r.json();
        const what = `${route.method} ${route.path} ${JSON.stringify(headers)} ${body ? 'with' : 'without'} a body`;
        assert.equal(r.status, 403, `${what}: ${JSON.stringify(answer)}`);
        assert.match(answer.error, /cross-site request refused/, what);
      }
    }
    // The page's own origin: the request reaches the route (its validation or handler answers, not the guard).
    const own = await fetch(`${base}${pathOf(route)}`, {
      method: route.method.toUpperCase(),
      headers: { origin: base, 'sec-fetch-site': 'same-origin', 'content-type': 'application/json' },
      body: JSON.stringify({ bogusField: 1 }),
    });
    const answer: any = await own.json();
    assert.ok(
      ![403, 421].includes(own.status),
      `${route.method} ${route.path} from ${base}: ${JSON.stringify(answer)}`,
    );
  }
  assert.equal(await runs(), before, 'no refused request started a clustering');
  assert.deepEqual((await get('/api/active_tasks')).body, []);
  const cancelAll = await post('/api/cancel_all/clustering', undefined, { headers: { origin: base } });
  assert.equal(cancelAll.status, 200, 'a same-origin POST with no body works');
});

test('Host: names this server does not know are refused (DNS rebinding); localhost, IPs and ALLOWED_HOSTS answer', async () => {
  const port = new URL(base).port;
  for (const [method, p] of [
    ['GET', '/api/runs'],
    ['GET', '/'],
    ['POST', '/api/cancel_all/analysis'],
  ]) {
    const r = await requestAs(base, `attacker.example:${port}`, p, { method });
    assert.equal(r.status, 421, `${method} ${p}: ${JSON.stringify(r.body)}`);
    assert.match(r.body.error, /host name "attacker\.example".*ALLOWED_HOSTS/);
  }
  for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`, `${os.hostname()}:${port}`])
    assert.equal((await requestAs(base, host, '/api/runs')).status, 200, host);
  assert.equal(
    (
      await requestAs(base, `localhost:${port}`, '/api/cancel_all/analysis', {
        method: 'POST',
        headers: { origin: `http://localhost:${port}` },
      })
    ).status,
    200,
    'a POST from the page reached as localhost',
  );
  const proxied = await serve({
    pool,
    config: { ...config, allowedHosts: ['music.example.org'] },
    client: worker.client,
    temporalAddress,
  });
  assert.equal((await requestAs(proxied, 'music.example.org', '/api/runs')).status, 200);
  assert.equal((await requestAs(proxied, 'attacker.example', '/api/runs')).status, 421);
  const any = await serve({ pool, config: { ...config, allowedHosts: '*' }, client: worker.client, temporalAddress });
  assert.equal((await requestAs(any, 'attacker.example', '/api/runs')).status, 200, 'ALLOWED_HOSTS=*');
});

test('secrets: /api/config masks every planted credential, and so do the logs', async () => {
  const planted = {
    MEDIA_SERVER_TYPE: 'local',
    MUSIC_DIR: config.musicDir,
    OLLAMA_SERVER_URL: 'http://o-user:ollama-userinfo-secret@ollama:11434/api/generate',
    JELLYFIN_URL: 'http://j-user:jellyfin-userinfo-secret@jellyfin:8096',
    JELLYFIN_TOKEN: 'jellyfin-token-secret',
    NAVIDROME_URL: 'http://n-user:navidrome-userinfo-secret@navidrome:4533',
    NAVIDROME_PASSWORD: 'navidrome-password-secret',
    MODELS_BASE_URL: 'https://mirror.example/models?token=models-token-secret',
    REDIS_URL: 'redis://r-user:redis-userinfo-secret@redis:6379/0',
    OPENAI_SERVER_URL: 'https://llm.example/v1?key=openai-key-secret&password=openai-password-secret',
    OPENAI_API_KEY: 'openai-api-key-secret',
    GEMINI_API_KEY: 'gemini-api-key-secret',
    DATABASE_URL: `postgresql://u@127.0.0.1:${await freePort()}/d?password=database-password-secret`,
    API_TOKEN: TOKEN,
  };
  const secrets = [...JSON.stringify(planted).matchAll(/[\w-]+-secret|correct horse/g)].map((m) => m[0]);
  assert.ok(secrets.length >= 13);
  const planted_config = testConfig(planted);
  const url = await serve({ pool, config: planted_config, client: worker.client, temporalAddress });
  const shown = await (await fetch(`${url}/api/config`, { headers: { authorization: `Bearer ${TOKEN}` } })).text();
  assert.match(shown, /ollama:11434/, 'the URLs are there, masked');
  for (const secret of secrets) assert.ok(!shown.includes(secret), `/api/config shows ${secret}`);

  // Logs: the start-up error of an unusable database, and the start-up line of an open API.
  const lines: string[] = [];
  const { warn, log } = console;
  console.warn = console.log = (...args: unknown[]) => void lines.push(args.join(' '));
  const shutdown = new Shutdown();
  try {
    await assert.rejects(openDatabase(planted_config.databaseUrl!, shutdown, planted_config), (err: Error) => {
      lines.push(err.message);
      return /PostgreSQL at postgresql:\/\/\*\*\*@127\.0\.0\.1:\d+\/d\?password=\*\*\* is not usable/.test(err.message);
    });
    const open = { ...config, webPort: await freePort(), webHost: '0.0.0.0' };
    await startWeb(open, pool, temporalAddress, shutdown);
    await startWeb({ ...open, webPort: await freePort(), webHost: '127.0.0.1' }, pool, temporalAddress, shutdown);
    await startWeb({ ...open, webPort: await freePort(), apiToken: TOKEN }, pool, temporalAddress, shutdown);
  } finally {
    console.warn = warn;
    console.log = log;
    await shutdown.run();
  }
  const text = lines.join('\n');
  for (const secret of secrets) assert.ok(!text.includes(secret), `the log shows ${secret}`);
  const openLines = lines.filter((l) => /the API is open/.test(l));
  assert.equal(openLines.length, 1, text);
  assert.match(openLines[0], /^warning: the API is open to the network: WEB_HOST=0\.0\.0\.0 and no API_TOKEN/);
});

test('Temporal or PostgreSQL down: 503 with a clear message, health still answers', async () => {
  const noTemporal = await serve({ pool, config, client: undefined, temporalAddress: '127.0.0.1:1' });
  const start = await fetch(`${noTemporal}/api/analysis/start`, { method: 'POST' });
  assert.equal(start.status, 503);
  assert.match(((await start.json()) as any).error, /Temporal/);
  assert.equal((await fetch(`${noTemporal}/api/runs`)).status, 200, 'what PostgreSQL knows is still served');

  const deadPool = createPool(`postgresql://x:y@127.0.0.1:${await freePort()}/none`);
  try {
    const noPostgres = await serve({ pool: deadPool, config, client: worker.client, temporalAddress });
    for (const p of ['/api/runs', '/api/playlists', '/api/tracks', '/api/map', '/api/status/analyze-library']) {
      const r = await fetch(`${noPostgres}${p}`);
      assert.equal(r.status, 503, p);
      const body = (await r.json()) as any;
      assert.match(body.error, /PostgreSQL is unreachable/, p);
      assert.doesNotMatch(body.error, /ECONNREFUSED|127\.0\.0\.1/, 'no connection details');
    }
    const health = await fetch(`${noPostgres}/api/health`);
    assert.equal(health.status, 503);
    assert.equal(((await health.json()) as any).postgres.ok, false);
  } finally {
    await deadPool.end();
  }
});
