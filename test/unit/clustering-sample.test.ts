// Big libraries: above sampleSize songs the search scores its candidates on a sample of whole artists and
// the winner's centroids take every song; at or below it nothing changes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WorkerPool } from '../../engines/clustering/pool.ts';
import { artistSample } from '../../engines/clustering/sample.ts';
import {
  prepareSearchData,
  runSearch,
  type CandidateResult,
  type SearchOptions,
} from '../../engines/clustering/search.ts';
import { TAGS } from '../../words/vocabulary.ts';
import { syntheticLibrary } from '../helpers/clustering-library.ts';

const features = { featureSpace: 'moods', topNMoods: 1, moodLabels: TAGS.slice(0, 6) } as const;
const opts: Partial<SearchOptions> = {
  runs: 24,
  generationSize: 8,
  earlyStopGenerations: 0,
  minPlaylistSize: 10,
  maxSongsPerArtist: 0,
  ranges: { kmeansK: [3, 8], dbscanEps: [0.1, 0.5], dbscanMinSamples: [5, 20], gmmComponents: [2, 8], pca: [0, 3] },
};
const withoutTimes = (rs: CandidateResult[]) => rs.map(({ fitMs: _f, evalMs: _e, ...r }) => r);
const lib = syntheticLibrary({ tracks: 1200, groups: 5, seed: 5, tagsPerGroup: 1, tagPool: [0, 1, 2, 3, 4, 5] });

test('at or below sampleSize songs the search and its playlists are exactly those without sampling', async () => {
  const tracks = lib.tracks.slice(0, 600);
  const atThreshold = prepareSearchData(tracks, features, 3, 600);
  assert.equal(atThreshold.sample, null, '600 songs with sampleSize 600 are searched whole');
  assert.ok(prepareSearchData(tracks, features, 3, 599).sample, 'one song more than sampleSize is sampled');
  const never = await runSearch(prepareSearchData(tracks, features, 3, 0), { ...opts, seed: 2 });
  const at = await runSearch(atThreshold, { ...opts, seed: 2 });
  assert.deepEqual(withoutTimes(at.results), withoutTimes(never.results));
  assert.deepEqual(at.winner?.clusters, never.winner?.clusters);
});

test('above sampleSize: candidates scored on a sample of whole artists, the winner assigned to every song', async () => {
  const data = prepareSearchData(lib.tracks, features, 3, 400);
  const sample = data.sample!;
  assert.equal(sample.rows.length, 400);
  assert.ok(
    sample.rows.every((r, j) => j === 0 || r > sample.rows[j - 1]),
    'rows ascending and distinct',
  );
  // Every artist of the sample has all its songs there (but the last one drawn), so the artist cap binds as on the library.
  const count = (rows: ArrayLike<number>) => {
    const m = new Map<number, number>();
    for (let j = 0; j < rows.length; j++) m.set(data.artists[rows[j]], (m.get(data.artists[rows[j]]) ?? 0) + 1);
    return m;
  };
  const inSample = count(sample.rows);
  const inLibrary = count(Array.from({ length: data.n }, (_, i) => i));
  const cut = [...inSample].filter(([artist, n]) => n !== inLibrary.get(artist));
  assert.ok(cut.length <= 1, `artists with part of their songs in the sample: ${JSON.stringify(cut)}`);
  assert.ok(inSample.size > 1);

  const out = await runSearch(data, { ...opts, seed: 2 });
  const onSample = await runSearch(sample.data, { ...opts, seed: 2 });
  assert.deepEqual(withoutTimes(out.results), withoutTimes(onSample.results), 'candidates scored on the sample');
  const pool = WorkerPool.create(data, { ...opts }, 2);
  try {
    const pooled = await runSearch(data, { ...opts, seed: 2, evaluator: pool.evaluate });
    assert.deepEqual(withoutTimes(pooled.results), withoutTimes(out.results), 'worker threads hold the sample');
  } finally {
    await pool.close();
  }

  const winner = out.winner!;
  assert.equal(winner.selection!.length, data.n);
  const seen = new Uint8Array(data.n);
  for (const c of winner.clusters!) for (const i of c.members) seen[i]++;
  for (let i = 0; i < data.n; i++)
    assert.equal(seen[i] + (winner.selection![i] !== 0 ? 1 : 0), 1, `song ${i} in one playlist or left out`);
  const sampled = new Set(sample.rows);
  const placed = winner.clusters!.reduce((a, c) => a + c.members.filter((i) => !sampled.has(i)).length, 0);
  assert.ok(placed > 0.9 * (data.n - 400), `${placed} of the ${data.n - 400} songs outside the sample placed`);
});

test('artistSample refuses a size outside [1, n]', () => {
  assert.throws(() => artistSample(new Int32Array(10), 11, 1), /size must be an integer in \[1, 10\]/);
});
