// The REST API against the real stack: a real Temporal dev server and PostgreSQL, the product's worker with its
// real activities, a planted library in a local folder. Every endpoint, every validation path, 404/409/503,
// the token rules and server-sent events.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { createMediaProvider } from '../../activities/media/index.ts';
import { CLUSTER_LIBRARY_INPUT, clusterInputDefaults } from '../../activities/clustering-run.ts';
import { MOOD_LABELS } from '../../activities/vocabulary.ts';
import type { Config } from '../../lib/config.ts';
import { createPool, migrate, type Pool } from '../../lib/db.ts';
import type { WebDeps } from '../../web/app.ts';
import { writeSineWav } from '../standins/jellyfin.ts';
import { plantLibrary, storePlantedFeatures } from '../helpers/planted-library.ts';
import { freePort, freshDatabase, freshNamespace, releaseServices, scratchDir, services } from '../helpers/services.ts';
import { closeServedApps, serveApp } from '../helpers/web-app.ts';
import { startTestWorker, testConfig } from '../helpers/worker.ts';

let dir: string;
let pool: Pool;
let config: Config;
let worker: Awaited<ReturnType<typeof startTestWorker>>;
let base: string;
let temporalAddress: string;
const TRACKS = 120;

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
  temporalAddress = (await services()).temporalAddress;
  pool = createPool(await freshDatabase());
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
    'get /api/runs',
    'get /api/runs/{id}/events',
    'get /api/tracks',
    'get /api/tracks/{id}',
    'get /api/map',
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

    const { body: pl } = await get('/api/playlists');
    assert.ok(pl.playlists.length >= 2, `${pl.playlists.length} playlists`);
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

    const search = await get(`/api/tracks?q=${encodeURIComponent(pl.playlists[0].tracks[0].title)}`);
    assert.equal(search.status, 200);
    assert.ok(search.body.total >= 1);
    const hit = search.body.tracks[0];
    assert.equal(hit.status, 'analyzed');
    assert.equal(hit.features.topTags.length, 5);
    const all = await get('/api/tracks?limit=500');
    assert.equal(all.body.total, TRACKS + 2);
    assert.equal((await get('/api/tracks?status=pending')).body.total, 2);
    const detail = await get(`/api/tracks/${hit.id}`);
    assert.equal(detail.status, 200);
    assert.deepEqual(Object.keys(detail.body.features.tags), [...MOOD_LABELS]);
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

test('API_TOKEN: health stays open, everything else needs the bearer token or the login cookie; security headers everywhere', async () => {
  const url = await serve({
    pool,
    config: { ...config, apiToken: 'correct horse' },
    client: worker.client,
    temporalAddress,
  });
  const at = (p: string, init?: RequestInit) => fetch(`${url}${p}`, init);
  assert.equal((await at('/api/health')).status !== 401, true);
  for (const p of ['/api/runs', '/api/playlists', '/api/config', '/api/openapi.json', '/api/status/analyze-library']) {
    const r = await at(p);
    assert.equal(r.status, 401, p);
    assert.doesNotMatch(JSON.stringify(await r.json()), /correct horse/);
  }
  assert.equal((await at('/api/analysis/start', { method: 'POST' })).status, 401);
  assert.equal((await at('/api/runs', { headers: { authorization: 'Bearer wrong' } })).status, 401);
  assert.equal((await at('/api/runs', { headers: { authorization: 'Bearer correct horse' } })).status, 200);
  assert.deepEqual(await (await at('/api/session')).json(), { authRequired: true, authenticated: false });

  const login = (token: string) =>
    at('/api/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token }),
    });
  const bad = await login('guess');
  assert.equal(bad.status, 401);
  assert.equal(bad.headers.get('set-cookie'), null);
  const good = await login('correct horse');
  assert.equal(good.status, 200);
  const cookie = good.headers.get('set-cookie')!;
  assert.match(cookie, /audiomuse_session=[0-9a-f]{64}/);
  assert.match(cookie, /httponly/i);
  assert.match(cookie, /samesite=strict/i);
  assert.doesNotMatch(cookie, /correct/);
  const session = cookie.split(';')[0];
  assert.equal((await at('/api/runs', { headers: { cookie: session } })).status, 200);
  assert.equal((await at('/api/runs', { headers: { cookie: 'audiomuse_session=00' } })).status, 401);
  const out = await at('/api/logout', { method: 'POST', headers: { cookie: session } });
  assert.match(out.headers.get('set-cookie') ?? '', /audiomuse_session=;/);

  for (const p of ['/', '/api/health', '/api/runs', '/api/nothing', '/apidocs/']) {
    const r = await at(p);
    assert.equal(r.headers.get('x-content-type-options'), 'nosniff', p);
    assert.equal(r.headers.get('x-frame-options'), 'DENY', p);
    assert.match(r.headers.get('content-security-policy') ?? '', /default-src 'self'/, p);
  }
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
