// The similarity index across web processes (issue 21, "The index"): a newly analysed album reaches a running
// web process through the change log; two processes give the same answers; a restarted process answers from
// the checkpoint the rebuildVectorIndex workflow wrote (and does not ask for another); a corrupt checkpoint is
// detected and rebuilt. Real PostgreSQL, real Temporal worker, HTTP through the app.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { createMediaProvider } from '../../providers/media/index.ts';
import type { Config } from '../../lib/config.ts';
import { createPool, migrate, type Pool } from '../../lib/db.ts';
import { storeTrackFailure, storeTrackFeatures, upsertAlbumTracks } from '../../lib/store/tracks.ts';
import { loadEmbeddings } from '../../lib/store/vectors.ts';
import { analysisVersion } from '../../engines/analysis/version.ts';
import type { MediaProvider } from '../../providers/media/provider.ts';
import { writeCheckpoint } from '../../providers/vector-index/checkpoints.ts';
import { vectorLogHead } from '../../lib/store/vector-index.ts';
import type { WebDeps } from '../../web/app.ts';
import { plantLibrary, storePlantedFeatures } from '../helpers/planted-library.ts';
import { freshDatabase, freshNamespace, releaseServices, scratchDir, services } from '../helpers/services.ts';
import { closeServedApps, serveApp } from '../helpers/web-app.ts';
import { startTestWorker, testConfig } from '../helpers/worker.ts';

let dir: string;
let pool: Pool;
let config: Config;
let media: MediaProvider;
let worker: Awaited<ReturnType<typeof startTestWorker>>;
let temporalAddress: string;
const TRACKS = 60;
const version = analysisVersion({ patchHop: 187, profile: 'exact' });

/** A web process of its own (its own deps: its own library and index in memory). */
async function webProcess(): Promise<(url: string) => Promise<{ status: number; body: any }>> {
  const deps: WebDeps = { pool, config, client: worker.client, temporalAddress, media };
  const { base } = await serveApp(deps);
  return async (url) => {
    const res = await fetch(`${base}${url}`);
    return { status: res.status, body: await res.json() };
  };
}

async function until<T>(what: string, fn: () => Promise<T | undefined>, ms = 120_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    assert.ok(Date.now() < deadline, `timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const checkpoints = async () =>
  (await pool.query<{ id: string }>('SELECT id::text FROM vector_index_checkpoints ORDER BY id')).rows.map((r) => r.id);

before(async () => {
  dir = scratchDir('similarity-index');
  const lib = plantLibrary(dir, { tracks: TRACKS, groups: 4, seed: 5 });
  temporalAddress = (await services()).temporalAddress;
  pool = createPool(await freshDatabase());
  await migrate(pool);
  config = testConfig({
    TEMPORAL_NAMESPACE: await freshNamespace('similarity-index'),
    MEDIA_SERVER_TYPE: 'local',
    MUSIC_DIR: lib.musicDir,
    PLAYLIST_DIR: path.join(dir, 'playlists'),
    ANALYSIS_WORKERS: '0',
    // The index answers from the first track (the default keeps the exact scan below 20,000).
    SIMILARITY_INDEX_MIN_TRACKS: '1',
  });
  media = await createMediaProvider(config);
  assert.equal(await storePlantedFeatures(pool, media, lib), TRACKS);
  worker = await startTestWorker({ address: temporalAddress, pool, config });
});

after(async () => {
  closeServedApps();
  await worker?.stop();
  await pool?.end();
  fs.rmSync(dir, { recursive: true, force: true });
  await releaseServices();
});

test('no checkpoint: the web process asks for one, the workflow writes it, the process loads it', async () => {
  const web = await webProcess();
  const first = await web('/api/index');
  assert.equal(first.status, 200);
  assert.equal(first.body.checkpointRequests, 1, JSON.stringify(first.body));
  assert.match(first.body.lastRequest, /no checkpoint/);
  const indexed = await until('the checkpoint loaded', async () => {
    const s = (await web('/api/index')).body;
    return s.indexed ? s : undefined;
  });
  assert.equal(indexed.checkpointLoads, 1);
  assert.equal(indexed.tracks, TRACKS);
  assert.equal(indexed.build.status, 'completed');
  assert.deepEqual(await checkpoints(), [indexed.checkpointId]);
});

test('a newly analysed album reaches running web processes through the log; both answer alike', async () => {
  const [a, b] = [await webProcess(), await webProcess()];
  await until('both indexed', async () =>
    (await a('/api/index')).body.indexed && (await b('/api/index')).body.indexed ? true : undefined,
  );
  const stored = await loadEmbeddings(pool, { source: 'local', analysisVersion: version });
  // A blocklist asked before the album arrives: what the filters cached of the library must grow with it.
  const blocked = `/api/similar_tracks?item_id=${encodeURIComponent(stored[0].itemId)}&n=5&radius_similarity=false&exclude_artists=New%20Artist`;
  for (const web of [a, b]) assert.equal((await web(blocked)).status, 200);
  const { toAnalyze } = await upsertAlbumTracks(
    pool,
    'local',
    'new-album',
    [1, 2, 3].map((n) => ({
      itemId: `new-${n}`,
      title: `New Song ${n}`,
      artist: 'New Artist',
      album: 'New Album',
      durationSec: 200,
      changeMarker: 'm1',
    })),
    version,
  );
  for (const [k, row] of toAnalyze.entries())
    await storeTrackFeatures(
      pool,
      row.trackId,
      {
        // Near an existing song: it must come first among that song's neighbours.
        embedding: Float32Array.from(stored[k].embedding, (x, j) => x + (j === k ? 1e-3 : 0)),
        tags: new Float32Array(50),
        moodHeads: { danceable: 0, aggressive: 0, happy: 0, party: 0, relaxed: 0, sad: 0 },
        tempo: 120,
        key: 'C',
        scale: 'major',
        keyStrength: 0.5,
        energy: 0.1,
        patches: 10,
      },
      version,
      1,
    );
  for (const web of [a, b]) {
    const near = await until('the new album answered', async () => {
      const r = await web(`/api/similar_tracks?item_id=new-1&n=5&radius_similarity=false`);
      return r.status === 200 ? r.body : undefined;
    });
    assert.equal(near[0].item_id, stored[0].itemId, 'the new song is nearest to the song it was made near');
    assert.equal((await web('/api/index')).body.tracks, TRACKS + 3);
    const open = (await web(blocked.replace('&exclude_artists=New%20Artist', ''))).body;
    assert.ok(
      open.some((s: { item_id: string }) => s.item_id === 'new-1'),
      'new-1 is near the first song',
    );
    assert.ok(
      !(await web(blocked)).body.some((s: { author: string }) => s.author === 'New Artist'),
      'the blocklist leaves out the new album too',
    );
  }
  const q = `/api/similar_tracks?item_id=${encodeURIComponent(stored[7].itemId)}&n=20`;
  assert.deepEqual((await a(q)).body, (await b(q)).body);
});

test('a refresh writes the previous checkpoint plus the log since (no full rebuild)', async () => {
  const scope = { source: 'local', analysisVersion: version };
  const r = await writeCheckpoint(pool, scope, 'refresh');
  assert.equal(r.mode, 'refresh');
  assert.equal(r.vectors, TRACKS + 3);
  assert.equal(r.seq, await vectorLogHead(pool, scope));
  assert.deepEqual(await checkpoints(), [r.checkpointId], 'the older checkpoint dropped');
});

test('a restarted web process answers from the checkpoint without asking for a rebuild', async () => {
  const before = await checkpoints();
  const web = await webProcess();
  const r = await web(`/api/similar_tracks?item_id=new-2&n=5`);
  assert.equal(r.status, 200);
  const s = (await web('/api/index')).body;
  assert.equal(s.indexed, true, JSON.stringify(s));
  assert.equal(s.checkpointLoads, 1);
  assert.equal(s.checkpointRequests, 0, `asked for a checkpoint: ${s.lastRequest}`);
  assert.equal(s.tracks, TRACKS + 3, 'the log since the checkpoint applied');
  assert.deepEqual(await checkpoints(), before, 'no checkpoint written');
});

test('a corrupt checkpoint is detected and rebuilt', async () => {
  const [id] = await checkpoints();
  await pool.query(
    `UPDATE vector_index_chunks SET data = set_byte(data, 100, 255 - get_byte(data, 100)) WHERE checkpoint_id = $1 AND n = 0`,
    [id],
  );
  const web = await webProcess();
  const s = (await web('/api/index')).body;
  assert.equal(s.indexed, false);
  assert.match(s.lastRequest, /rebuild: vector index checkpoint \d+ is corrupt/);
  const rebuilt = await until('the rebuilt checkpoint loaded', async () => {
    const now = (await web('/api/index')).body;
    return now.indexed ? now : undefined;
  });
  assert.notEqual(rebuilt.checkpointId, id);
  assert.equal(rebuilt.tracks, TRACKS + 3);
  assert.deepEqual(await checkpoints(), [rebuilt.checkpointId], 'the corrupt one dropped');
});

test('a track that fails re-analysis or is deleted leaves the running web process', async () => {
  const web = await webProcess();
  await until('indexed', async () => ((await web('/api/index')).body.indexed ? true : undefined));
  const [failing, deleted] = (await loadEmbeddings(pool, { source: 'local', analysisVersion: version })).slice(0, 2);
  await storeTrackFailure(pool, failing.id, { code: 'decode', reason: 'bad audio', attempts: 1 });
  await pool.query('DELETE FROM tracks WHERE id = $1', [deleted.id]);
  for (const gone of [failing, deleted])
    await until(`${gone.itemId} gone`, async () =>
      (await web(`/api/similar_tracks?item_id=${encodeURIComponent(gone.itemId)}`)).status === 404 ? true : undefined,
    );
  const near = (await web(`/api/similar_tracks?item_id=new-3&n=${TRACKS}&radius_similarity=false`)).body;
  assert.ok(!near.some((s: { item_id: string }) => [failing.itemId, deleted.itemId].includes(s.item_id)));
  assert.equal((await web('/api/index')).body.tracks, TRACKS + 1);
});
