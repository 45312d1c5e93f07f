// The evolutionary clustering search: feature vectors, parameter sampling and mutation, generations,
// reproducibility (including resume from JSON and worker threads), early stop, and planted-group recovery.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  buildFeatures,
  chooseMoodLabels,
  FeatureError,
  OTHER_FEATURE_LABELS,
  type TrackFeatures,
} from '../../engines/clustering/features.ts';
import { TAGS } from '../../words/vocabulary.ts';
import { WorkerPool } from '../../engines/clustering/pool.ts';
import { postprocessClusters } from '../../engines/clustering/postprocess.ts';
import { Rng } from '../../engines/clustering/rng.ts';
import {
  effectiveRanges,
  evolveGeneration,
  initSearchState,
  mutateParams,
  planGeneration,
  prepareSearchData,
  resolveSearchOptions,
  runSearch,
  sampleParams,
  type CandidateResult,
  type ClusterParams,
  type SearchOptions,
  type SearchRanges,
  type SearchState,
} from '../../engines/clustering/search.ts';
import { DEFAULT_WEIGHTS } from '../../engines/clustering/scoring.ts';
import { syntheticLibrary } from '../helpers/clustering-library.ts';

const heads = (v = 0.5) => Object.fromEntries(OTHER_FEATURE_LABELS.map((m) => [m, v])) as TrackFeatures['moodHeads'];
function track(
  id: string,
  tempo: number | null,
  energy: number | null,
  tagScores: Record<string, number>,
  embedding?: number[],
): TrackFeatures {
  const tags = new Float32Array(TAGS.length).fill(0.01);
  for (const [label, v] of Object.entries(tagScores)) tags[(TAGS as readonly string[]).indexOf(label)] = v;
  return {
    id,
    tempo,
    energy,
    tags,
    moodHeads: heads(),
    embedding: embedding ? Float32Array.from(embedding) : undefined,
  };
}

test('moods vector: normalised tempo and energy, then the active moods kept from each track’s top-N tags', () => {
  const tracks = [
    track('a', 120, 0.625, { rock: 0.9, pop: 0.8 }),
    track('b', 250, null, { jazz: 0.9, blues: 0.8, soul: 0.7, folk: 0.6, funk: 0.5, rock: 0.4 }),
  ];
  const f = buildFeatures(tracks, { featureSpace: 'moods', moodLabels: 'reference', topNMoods: 5 });
  assert.deepEqual(f.layout.moodLabels, ['rock', 'pop', 'alternative', 'indie', 'electronic']);
  assert.equal(f.vectors.cols, 7);
  const row = (i: number) =>
    Array.from(f.vectors.data.subarray(i * 7, i * 7 + 7)).map((v) => Math.round(v * 1e6) / 1e6);
  // a: (120-40)/160 = 0.5, (0.625-0.3)/0.65 = 0.5; rock and pop are in its top 5, the others read 0.01 but are
  // ranked by label order among equals, so alternative/indie/electronic (indices 2–4) are in its top 5 too.
  assert.deepEqual(row(0), [0.5, 0.5, 0.9, 0.8, 0.01, 0.01, 0.01]);
  // b: tempo clipped to 1; energy missing → mean of the known ones (0.5); rock 0.4 is its 6th tag → 0.
  assert.deepEqual(row(1), [1, 0.5, 0, 0, 0, 0, 0]);
});

test('feature spaces: reference widths (2 + 5 + 6 = 13 with heads), seed width without energy, embedding', () => {
  const emb = Array.from({ length: 200 }, (_, j) => j / 100);
  const tracks = [
    track('a', 100, 0.5, { rock: 0.9 }, emb),
    track(
      'b',
      140,
      0.7,
      { pop: 0.9 },
      emb.map((v) => -v),
    ),
  ];
  const mh = buildFeatures(tracks, { featureSpace: 'moods+heads', moodLabels: 'reference' });
  assert.equal(mh.vectors.cols, 13);
  assert.deepEqual(
    Array.from(mh.vectors.data.subarray(7, 13)),
    OTHER_FEATURE_LABELS.map(() => 0.5),
  );
  assert.equal(buildFeatures(tracks, { featureSpace: 'moods', includeEnergy: false, topNMoods: 5 }).vectors.cols, 6);
  const e = buildFeatures(tracks, { featureSpace: 'embedding' });
  assert.equal(e.vectors.cols, 200);
  assert.equal(e.vectors.data[200 + 150], -1.5);
  // Profiles are the same whatever is clustered: tempo, energy, 5 moods, 6 heads.
  assert.equal(e.profile.cols, 13);
});

test('library mood labels: the labels most often among the tracks’ own top-N tags', () => {
  const tracks = [
    track('a', 100, 0.5, { jazz: 0.9, blues: 0.8 }),
    track('b', 100, 0.5, { jazz: 0.9, soul: 0.8 }),
    track('c', 100, 0.5, { metal: 0.9, jazz: 0.8 }),
  ];
  assert.deepEqual(chooseMoodLabels(tracks, 'library', 2), ['jazz', 'metal']); // jazz ×3; metal beats blues/soul on score sum
  assert.deepEqual(chooseMoodLabels(tracks, 'reference', 2), ['rock', 'pop']);
  assert.deepEqual(chooseMoodLabels(tracks, ['sad', 'happy'], 2), ['sad', 'happy']);
  assert.throws(() => chooseMoodLabels(tracks, ['nope'], 2), FeatureError);
});

test('bad tracks fail with a FeatureError naming the track and field', () => {
  const ok = track('a', 100, 0.5, { rock: 0.9 });
  assert.throws(() => buildFeatures([{ ...ok, tags: new Float32Array(49) }]), /track 0 \("a"\): tags must hold 50/);
  assert.throws(() => buildFeatures([ok], { featureSpace: 'embedding' }), /track 0 \("a"\): embedding must hold 200/);
  assert.throws(
    () => buildFeatures([{ ...ok, tempo: NaN }], { featureSpace: 'moods' }),
    /tempo must be a finite number/,
  );
  assert.throws(
    () =>
      buildFeatures([{ ...ok, moodHeads: { ...ok.moodHeads, sad: undefined as unknown as number } }], {
        featureSpace: 'moods',
      }),
    /mood sad/,
  );
  assert.throws(() => buildFeatures([], { featureSpace: 'moods' }), /no tracks/);
});

const RANGES: SearchRanges = {
  kmeansK: [20, 60],
  dbscanEps: [0.1, 0.5],
  dbscanMinSamples: [5, 20],
  gmmComponents: [20, 60],
  pca: [0, 5],
};
const inRanges = (p: ClusterParams, r: SearchRanges) => {
  const within = (v: number, [lo, hi]: [number, number]) => v >= lo && v <= hi;
  if (!within(p.pca, r.pca) || !Number.isInteger(p.pca)) return false;
  switch (p.algorithm) {
    case 'kmeans':
      return Number.isInteger(p.k) && within(p.k, r.kmeansK);
    case 'dbscan':
      return (
        within(p.eps, r.dbscanEps) &&
        Math.round(p.eps * 100) / 100 === p.eps &&
        Number.isInteger(p.minSamples) &&
        within(p.minSamples, r.dbscanMinSamples)
      );
    case 'gmm':
      return Number.isInteger(p.components) && within(p.components, r.gmmComponents);
  }
};

test('random parameters and their mutations stay within the ranges; mutation steps are at most ±3 / ±0.05', () => {
  const rng = new Rng(99);
  let atEdge = 0;
  for (let i = 0; i < 3000; i++) {
    const p = sampleParams(rng, RANGES, ['kmeans', 'dbscan', 'gmm'], 'diag');
    assert.ok(inRanges(p, RANGES), `sampled out of range: ${JSON.stringify(p)}`);
    const m = mutateParams(p, rng, RANGES, 3, 0.05);
    assert.ok(inRanges(m, RANGES), `mutated out of range: ${JSON.stringify(p)} → ${JSON.stringify(m)}`);
    assert.equal(m.algorithm, p.algorithm);
    assert.ok(Math.abs(m.pca - p.pca) <= 3);
    if (p.algorithm === 'kmeans' && m.algorithm === 'kmeans') assert.ok(Math.abs(m.k - p.k) <= 3);
    if (p.algorithm === 'gmm' && m.algorithm === 'gmm')
      assert.ok(Math.abs(m.components - p.components) <= 3 && m.covariance === 'diag');
    if (p.algorithm === 'dbscan' && m.algorithm === 'dbscan')
      assert.ok(Math.abs(m.eps - p.eps) <= 0.05 + 1e-9 && Math.abs(m.minSamples - p.minSamples) <= 3);
    if (m.pca === 0 || m.pca === 5) atEdge++;
  }
  assert.ok(atEdge > 0, 'mutations near the PCA bounds are clamped onto them');
  // Ranges shrink to what the data allows.
  const r = effectiveRanges({ n: 30, pca: { rows: 30, cols: 3, data: new Float64Array(90) } }, RANGES);
  assert.deepEqual(r.kmeansK, [20, 30]);
  assert.deepEqual(r.pca, [0, 3]);
});

// A small library every search test shares.
const small = syntheticLibrary({ tracks: 300, groups: 5, seed: 3, tagsPerGroup: 1, tagPool: [0, 1, 2, 3, 4, 5] });
const smallData = prepareSearchData(
  small.tracks,
  { featureSpace: 'moods', topNMoods: 1, moodLabels: TAGS.slice(0, 6) },
  4,
);
const smallOpts: Partial<SearchOptions> = {
  runs: 40,
  generationSize: 8,
  earlyStopGenerations: 0,
  algorithms: ['kmeans', 'dbscan', 'gmm'],
  gmmCovariance: 'diag',
  ranges: { kmeansK: [2, 10], dbscanEps: [0.3, 1.2], dbscanMinSamples: [3, 10], gmmComponents: [2, 10], pca: [0, 4] },
  weights: { ...DEFAULT_WEIGHTS, silhouette: 1 },
  silhouetteSampleSize: 100,
};
const withoutTimes = (rs: CandidateResult[]) => rs.map(({ fitMs: _f, evalMs: _e, ...r }) => r);

async function generations(
  state: SearchState,
  count: number,
  opts: Partial<SearchOptions> & { evaluator?: WorkerPool['evaluate'] } = smallOpts,
) {
  const states: string[] = [];
  const results: CandidateResult[][] = [];
  for (let g = 0; g < count; g++) {
    const out = await evolveGeneration(smallData, state, opts);
    state = out.state;
    states.push(JSON.stringify(state));
    results.push(out.results);
  }
  return { state, states, results };
}

test('same seed → identical state JSON generation by generation; another seed differs', async () => {
  const a = await generations(initSearchState(42), 5);
  const b = await generations(initSearchState(42), 5);
  assert.deepEqual(b.states, a.states);
  assert.deepEqual(b.results.map(withoutTimes), a.results.map(withoutTimes));
  const c = await generations(initSearchState(43), 5);
  assert.notDeepEqual(c.states, a.states);
  // Generations 1+ are past the exploration fraction (0.2 × 40 runs): some candidates mutate elites.
  assert.ok(
    a.results
      .slice(1)
      .flat()
      .some((r) => r.origin === 'mutation'),
  );
  assert.ok(a.results[0].every((r) => r.origin === 'random'));
});

test('resuming from JSON after three generations gives the same bits as running straight through', async () => {
  const straight = await generations(initSearchState(7), 5);
  const first = await generations(initSearchState(7), 3);
  const resumed = await generations(JSON.parse(JSON.stringify(first.state)) as SearchState, 2);
  assert.deepEqual([...first.states, ...resumed.states], straight.states);
  assert.deepEqual([...first.results, ...resumed.results].map(withoutTimes), straight.results.map(withoutTimes));
});

test('worker threads give the same states and results as in-thread evaluation, in candidate order', async () => {
  const inThread = await generations(initSearchState(11), 3);
  const pool = WorkerPool.create(smallData, smallOpts, 2);
  try {
    const seen: number[] = [];
    const opts = { ...smallOpts, evaluator: pool.evaluate, onCandidate: (r: CandidateResult) => seen.push(r.index) };
    const parallel = await generations(initSearchState(11), 3, opts);
    assert.deepEqual(parallel.states, inThread.states);
    assert.deepEqual(parallel.results.map(withoutTimes), inThread.results.map(withoutTimes));
    assert.equal(seen.length, 3 * 8, 'onCandidate once per candidate');
    // Options other than the pool's would score differently in the workers: refused.
    await assert.rejects(
      evolveGeneration(smallData, initSearchState(11), { ...smallOpts, maxDistance: 0.4, evaluator: pool.evaluate }),
      /options differ/,
    );
  } finally {
    await pool.close();
  }
});

test('closing the pool during a generation (a cancelled activity) ends the generation with an error, not a hang', async () => {
  const pool = WorkerPool.create(smallData, smallOpts, 2);
  const generation = evolveGeneration(smallData, initSearchState(3), { ...smallOpts, evaluator: pool.evaluate });
  const rejected = assert.rejects(generation, /closed during the generation/);
  await pool.close();
  await rejected;
});

test('elites: distinct parameter sets, best fitness first, at most eliteCount; the best ranks viable playlists first', async () => {
  const { state, results } = await generations(initSearchState(5), 4, {
    ...smallOpts,
    eliteCount: 4,
    minPlaylistSize: 40,
    topN: 3,
  });
  assert.ok(state.elites.length <= 4 && state.elites.length > 0);
  assert.equal(new Set(state.elites.map((e) => JSON.stringify(e.params))).size, state.elites.length);
  for (let i = 1; i < state.elites.length; i++) assert.ok(state.elites[i - 1].fitness >= state.elites[i].fitness);
  const ok = results.flat().filter((r) => r.ok);
  const topFitness = Math.max(...ok.map((r) => r.fitness));
  assert.equal(state.elites[0].fitness, topFitness);
  const maxViable = Math.max(...ok.map((r) => r.viable));
  assert.equal(state.best!.viable, maxViable);
  assert.equal(state.best!.fitness, Math.max(...ok.filter((r) => r.viable === maxViable).map((r) => r.fitness)));
});

test('no mutation before the exploration fraction; about 70 % after it', () => {
  const o = resolveSearchOptions(smallData, { ...smallOpts, runs: 1000, generationSize: 400 });
  const elite = {
    params: { algorithm: 'kmeans', k: 5, pca: 2 } as ClusterParams,
    fitSeed: 1,
    fitness: 1,
    viable: 1,
    k: 5,
  };
  const state = { ...initSearchState(1), elites: [elite] };
  assert.ok(planGeneration(smallData, { ...state, runs: 199 }, o).every((t) => t.origin === 'random'));
  const later = planGeneration(smallData, { ...state, runs: 200 }, o);
  const share = later.filter((t) => t.origin === 'mutation').length / later.length;
  assert.ok(share > 0.6 && share < 0.8, `mutation share ${share}`);
});

test('early stop after N generations without a better best; the run budget is exact otherwise', async () => {
  // A resumed state whose best cannot be beaten: every generation is stale.
  const unbeatable = {
    params: { algorithm: 'kmeans', k: 5, pca: 0 } as ClusterParams,
    fitSeed: 1,
    fitness: 1e9,
    viable: 1e9,
    k: 5,
    generation: 0,
    index: 0,
  };
  let state: SearchState = { ...initSearchState(3), best: unbeatable };
  const opts = { ...smallOpts, earlyStopGenerations: 2, runs: 1000 };
  state = (await evolveGeneration(smallData, state, opts)).state;
  assert.equal(state.stale, 1);
  assert.equal(state.done, false);
  state = (await evolveGeneration(smallData, state, opts)).state;
  assert.equal(state.done, true);
  assert.equal(state.stopReason, 'stale');
  assert.equal(state.runs, 16);
  const after = await evolveGeneration(smallData, state, opts);
  assert.equal(after.state, state, 'a finished state is returned unchanged');
  assert.equal(after.results.length, 0);

  const full = await runSearch(smallData, { ...smallOpts, runs: 20, seed: 1 });
  assert.equal(full.state.stopReason, 'runs');
  assert.equal(full.state.runs, 20);
  assert.equal(full.results.length, 20); // generations of 8, 8 and 4
  assert.equal(full.state.generation, 3);
});

/** Share of each playlist's tracks that come from its most common planted group. */
function purity(trackIds: string[], group: Int32Array): number {
  const counts = new Map<number, number>();
  for (const id of trackIds) {
    const g = group[Number(id.slice(1))];
    counts.set(g, (counts.get(g) ?? 0) + 1);
  }
  return Math.max(...counts.values()) / trackIds.length;
}

for (const featureSpace of ['moods', 'embedding'] as const) {
  test(`planted mood groups are recovered (${featureSpace}): k close to 6 and pure playlists`, async () => {
    const lib = syntheticLibrary({
      tracks: 600,
      groups: 6,
      seed: 7,
      tagsPerGroup: 1,
      tagPool: [0, 1, 2, 3, 4, 5, 6, 7],
    });
    const data = prepareSearchData(lib.tracks, { featureSpace, topNMoods: 1, moodLabels: TAGS.slice(0, 8) }, 5);
    const out = await runSearch(data, {
      seed: 1,
      runs: 60,
      generationSize: 10,
      earlyStopGenerations: 0,
      algorithms: ['kmeans', 'gmm'],
      gmmCovariance: 'diag',
      ranges: {
        kmeansK: [2, 12],
        gmmComponents: [2, 12],
        pca: [0, 5],
        dbscanEps: [0.1, 0.5],
        dbscanMinSamples: [5, 20],
      },
      // Structural metrics find the planted count; topN 1 ranks by fitness alone.
      weights: { ...DEFAULT_WEIGHTS, moodDiversity: 0, moodPurity: 0, coverage: 0, silhouette: 1, daviesBouldin: 1 },
      topN: 1,
    });
    const k = out.state.best!.k;
    assert.ok(Math.abs(k - 6) <= 1, `best k = ${k}`);
    const playlists = postprocessClusters(out.winner!.clusters!, lib.tracks, data.profile, data.layout, {
      maxSongsPerCluster: 0,
    });
    assert.ok(playlists.length >= 5, `${playlists.length} playlists`);
    for (const p of playlists)
      assert.ok(purity(p.trackIds, lib.group) >= 0.9, `${p.name}: purity ${purity(p.trackIds, lib.group)}`);
    const covered = new Set(playlists.flatMap((p) => p.trackIds.map((id) => lib.group[Number(id.slice(1))])));
    assert.ok(covered.size >= 5, `playlists cover ${covered.size} of 6 groups`);
  });
}
