// The parts of the clustering that decide which songs a listener gets: the distance filter's unit (the
// same meaning in a 7-d mood space and the 200-d embedding), the settings a small library gets, and the
// reason recorded for every song left out of the playlists.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { centroidDistances } from '../../engines/clustering/search.ts';
import { artistCaps, leftOutCode, postprocessWinner, selectMembers } from '../../engines/clustering/postprocess.ts';
import { reassignLeftOut } from '../../engines/clustering/reassign.ts';
import { fitToLibrary, type SizedSettings } from '../../engines/clustering/library-size.ts';
import { Rng } from '../../engines/clustering/rng.ts';
import { matrix, type ClusterFit } from '../../engines/clustering/types.ts';
import { OTHER_FEATURE_LABELS, type ProfileLayout, type TrackFeatures } from '../../engines/clustering/features.ts';
import { TAGS } from '../../words/vocabulary.ts';
import { loadConfig } from '../../lib/config.ts';
import { clusterInputDefaults, resolveClusterInput } from '../../contracts/clustering.ts';

/** Three Gaussian clusters of 100 points in d dimensions, labelled by their true centre. */
function gaussianClusters(d: number): { X: ReturnType<typeof matrix>; fit: ClusterFit } {
  const rng = new Rng(7);
  const k = 3,
    per = 100;
  const centroids = matrix(
    k,
    d,
    Float64Array.from({ length: k * d }, () => rng.normal() * 10),
  );
  const X = matrix(k * per, d);
  const labels = new Int32Array(k * per);
  for (let i = 0; i < k * per; i++) {
    labels[i] = i % k;
    for (let j = 0; j < d; j++) X.data[i * d + j] = centroids.data[labels[i] * d + j] + rng.normal();
  }
  return { X, fit: { labels, k, centroids } };
}

const keptShare = (d: number, unit: 'median' | 'largest', max: number) => {
  const { X, fit } = gaussianClusters(d);
  const { dist } = centroidDistances(X, fit, unit);
  const members = selectMembers(fit.labels, dist, fit.k, new Int32Array(fit.labels.length).fill(-1), max, 0);
  return members.reduce((a, m) => a + m.length, 0) / fit.labels.length;
};

test('the distance filter in median units keeps a clean cluster whole in 7 and in 200 dimensions; the original rule does not', () => {
  // Distances to a centroid concentrate as dimensions grow: half of the largest leaves out most of a
  // perfectly clean 200-d cluster, which is why the embedding space lost 87 % of the library.
  assert.ok(keptShare(200, 'largest', 0.5) < 0.2, `largest/0.5 at 200-d kept ${keptShare(200, 'largest', 0.5)}`);
  for (const d of [7, 13, 200]) {
    const share = keptShare(d, 'median', 2);
    assert.ok(share >= 0.97, `median/2 at ${d}-d kept ${share}`);
  }
  // 0 = keep all, in either unit.
  assert.equal(keptShare(200, 'largest', 0), 1);
  // Still a filter: a song far out of its cluster goes.
  const { X, fit } = gaussianClusters(7);
  for (let j = 0; j < 7; j++) X.data[j] += 25;
  const { dist } = centroidDistances(X, fit, 'median');
  const selection = new Int8Array(fit.labels.length);
  selectMembers(fit.labels, dist, fit.k, new Int32Array(fit.labels.length).fill(-1), 2, 0, selection);
  assert.equal(selection[0], leftOutCode('distance'));
});

const track = (i: number, artist: string, title = `Song ${i}`): TrackFeatures => ({
  id: `t${i}`,
  artist,
  title,
  tempo: 120,
  energy: 0.5,
  tags: new Float32Array(TAGS.length),
  moodHeads: Object.fromEntries(OTHER_FEATURE_LABELS.map((m) => [m, 0])) as TrackFeatures['moodHeads'],
});

test('every song in no playlist gets its reason: noise, distance, artist cap, duplicate, a cluster under the floor', () => {
  // 0–11 cluster 0 (0–4 by one artist; 6 a re-tagged copy of 5), 12–14 cluster 1 (too small), 15 noise,
  // 16 in cluster 0 but far out.
  const n = 17;
  const tracks = Array.from({ length: n }, (_, i) =>
    track(i, i < 5 ? 'Solo' : `A${i}`, i === 6 ? 'Song 5 (Remastered)' : `Song ${i}`),
  );
  tracks[6].artist = 'A5';
  const labels = Int32Array.from({ length: n }, (_, i) => (i === 15 ? -1 : i >= 12 && i < 15 ? 1 : 0));
  const dist = Float64Array.from({ length: n }, (_, i) => (i === 16 ? 5 : i / 20));
  const artists = Int32Array.from(tracks, (t) => (t.artist === 'Solo' ? 0 : -1));
  const selection = new Int8Array(n);
  const members = selectMembers(labels, dist, 2, artists, 2, 3, selection);
  const clusters = members.map((m, c) => ({
    members: m,
    distances: Float64Array.from(m, (i) => dist[i]),
    name: `C${c}`,
  }));
  const layout: ProfileLayout = { moodLabels: ['rock'] };
  const { playlists, leftOut } = postprocessWinner(
    clusters,
    tracks,
    matrix(n, 9),
    layout,
    { minPlaylistSize: 5, maxSongsPerArtist: 3, duplicateCosine: 0 },
    selection,
  );
  assert.deepEqual(
    playlists.map((p) => p.trackIds),
    [['t0', 't1', 't2', 't5', 't7', 't8', 't9', 't10', 't11']],
  );
  assert.deepEqual(Object.fromEntries(leftOut.map((l) => [l.trackId, l.reason])), {
    t3: 'artistCap',
    t4: 'artistCap',
    t6: 'duplicate',
    t12: 'smallCluster',
    t13: 'smallCluster',
    t14: 'smallCluster',
    t15: 'noise',
    t16: 'distance',
  });
  assert.equal(playlists[0].trackIds.length + leftOut.length, n, 'every song is in a playlist or explained');
});

const DEFAULTS: SizedSettings = {
  minPlaylistSize: 20,
  kmeansK: [20, 60],
  gmmComponents: [20, 60],
  dbscanMinSamples: [5, 20],
};

test('a small library gets cluster counts and a playlist floor it can fill; a big one keeps the configured ones', () => {
  const at = (n: number) => fitToLibrary(n, DEFAULTS, ['kmeans']);
  // 100 songs: at most 10 clusters of 10, at least 5 (room for clusters twice the floor).
  assert.deepEqual(at(100).settings, {
    minPlaylistSize: 10,
    kmeansK: [5, 10],
    gmmComponents: [5, 10],
    dbscanMinSamples: [5, 10],
  });
  assert.deepEqual(
    at(100).changes.map((c) => c.field),
    ['minPlaylistSize', 'numClusters'],
  );
  assert.deepEqual(at(50).settings.kmeansK, [3, 7]);
  assert.equal(at(50).settings.minPlaylistSize, 7);
  assert.equal(at(10).settings.minPlaylistSize, 4);
  assert.deepEqual(at(10).settings.kmeansK, [2, 2]);
  // 300 songs: the floor shrinks to ≈ √300.
  assert.deepEqual([at(300).settings.minPlaylistSize, ...at(300).settings.kmeansK], [17, 8, 17]);
  // From 2 × 20 × 20 = 800 songs the floor stays; the counts are capped at n / floor until 1,200.
  assert.deepEqual(at(800).settings, { ...DEFAULTS, kmeansK: [20, 40], gmmComponents: [20, 40] });
  assert.deepEqual(at(5000), { settings: DEFAULTS, changes: [] });
  // A user's own small ranges that fit the library stay as they are (the 82 songs, K 3–12, floor 2).
  const own = { ...DEFAULTS, minPlaylistSize: 2, kmeansK: [3, 12] as [number, number] };
  assert.deepEqual(fitToLibrary(82, own, ['kmeans']).changes, []);
  // Only the searched algorithms' settings are reported.
  assert.deepEqual(
    fitToLibrary(100, DEFAULTS, ['gmm']).changes.map((c) => c.field),
    ['minPlaylistSize', 'gmmComponents'],
  );
});

test('MAX_DISTANCE set selects the original rule; maxDistanceMedians in a request overrides it', () => {
  const plain = clusterInputDefaults(loadConfig({}));
  assert.equal(plain.maxDistance, null);
  assert.equal(plain.maxDistanceMedians, 3);
  const legacy = clusterInputDefaults(loadConfig({ MAX_DISTANCE: '0.5' }));
  assert.equal(legacy.maxDistance, 0.5);
  assert.equal(resolveClusterInput({}, legacy).maxDistance, 0.5);
  assert.equal(resolveClusterInput({ maxDistanceMedians: 3 }, legacy).maxDistance, null);
  assert.equal(resolveClusterInput({ maxDistance: 0.7 }, plain).maxDistance, 0.7);
  assert.throws(() => loadConfig({ MAX_DISTANCE_MEDIANS: '-1' }), /MAX_DISTANCE_MEDIANS="-1"/);
});

test('songs outside every full cluster move to the nearest one within the filter that has room for their artist', () => {
  // 1-d: full clusters at 0 (songs 0–3) and 10 (songs 4–7), floor 3; cluster 2 at 2 holds songs 8 (at 1.5,
  // near the first) and 9 (at 3.5, near no full one); song 10 is artist 0's fourth song near 0, over the cap of 3.
  const x = [0, 0.1, -0.1, 0.2, 10, 10.1, 9.9, 10.2, 1.5, 3.5, 0.3];
  const X = matrix(x.length, 1, Float64Array.from(x));
  const labels = Int32Array.from([0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 0]);
  const fit: ClusterFit = { labels, k: 3, centroids: matrix(3, 1, Float64Array.from([0, 10, 2])) };
  const artists = Int32Array.from([0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 0]);
  const dist = Float64Array.from(x, (v, i) => Math.abs(v - fit.centroids.data[labels[i]]));
  const selection = new Int8Array(x.length);
  const selected = selectMembers(labels, dist, 3, artists, 2, 3, selection);
  assert.equal(selection[10], leftOutCode('artistCap'));
  const members = reassignLeftOut(
    X,
    fit,
    1,
    selected,
    dist,
    artists,
    3,
    { maxDistance: 2, minPlaylistSize: 3 },
    selection,
  );
  assert.deepEqual(Array.from(members[0]), [0, 1, 2, 3, 8], 'song 8 joins the nearest full cluster');
  assert.deepEqual(Array.from(members[2]), [9], 'song 9 is farther than the filter from every full cluster');
  assert.equal(selection[8], 0);
  assert.equal(selection[10], leftOutCode('artistCap'), 'the cap holds in the cluster it could join');
  assert.ok(Math.abs(dist[8] - 1.5) < 1e-12, 'its distance is to its new centroid');
});

test('an artist holding a large share of the library may fill that share of a playlist', () => {
  // Artist 0 holds half of 40 songs: its cap is half of a 40-song playlist; the others keep the configured 3.
  const artists = Int32Array.from({ length: 40 }, (_, i) => (i < 20 ? 0 : (i % 10) + 1));
  const caps = artistCaps(artists, 3, 40) as Int32Array;
  assert.equal(caps[0], 20);
  assert.equal(caps[1], 3);
  assert.equal(artistCaps(artists, 0, 40), 0, 'no cap stays no cap');
});
