// Fitness metrics of the clustering search: structural metrics against scikit-learn (fixture written by
// test/python/clustering_search_metrics.py), mood metrics and the weighted sum against hand-computed values.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import type { ProfileLayout } from '../../engines/clustering/features.ts';
import { Rng } from '../../engines/clustering/rng.ts';
import {
  calinskiHarabaszScore,
  daviesBouldinScore,
  DEFAULT_WEIGHTS,
  FEATURE_STATS,
  moodDiversityRaw,
  moodPurityRaw,
  otherFeatureDiversityRaw,
  otherFeaturePurityRaw,
  scoreClustering,
  silhouetteScore,
  type ScoredPlaylist,
} from '../../engines/clustering/scoring.ts';
import { matrix } from '../../engines/clustering/types.ts';
import { gaussianBlobs } from '../helpers/clustering.ts';
import { repoRoot } from '../shared-paths.ts';

interface Case {
  name: string;
  rows: number;
  cols: number;
  data: number[];
  labels: number[];
  silhouette: number;
  silhouetteSamplesMean: number;
  daviesBouldin: number;
  calinskiHarabasz: number;
}
const fixture = JSON.parse(
  readFileSync(path.join(repoRoot, 'test/fixtures/clustering-search-metrics.json'), 'utf8'),
) as { cases: Case[] };

// sklearn's pairwise distances use ‖x‖² − 2x·y + ‖y‖², which leaves ~1e-8 of rounding in a distance that
// should be 0 (a singleton's distance to its own centroid); exact sums agree far closer than 1e-6.
const close = (actual: number | null, expected: number, what: string) => {
  assert.ok(actual !== null, `${what}: got null`);
  assert.ok(
    Math.abs(actual - expected) <= 1e-6 * Math.max(1, Math.abs(expected)),
    `${what}: ${actual} vs scikit-learn ${expected}`,
  );
};

for (const c of fixture.cases) {
  test(`silhouette, Davies-Bouldin and Calinski-Harabasz equal scikit-learn: ${c.name}`, () => {
    const X = matrix(c.rows, c.cols, Float64Array.from(c.data));
    const labels = Int32Array.from(c.labels);
    close(silhouetteScore(X, labels), c.silhouette, 'silhouette');
    close(silhouetteScore(X, labels, c.rows + 10, new Rng(1)), c.silhouette, 'silhouette with sampleSize ≥ n');
    close(daviesBouldinScore(X, labels), c.daviesBouldin, 'Davies-Bouldin');
    close(calinskiHarabaszScore(X, labels), c.calinskiHarabasz, 'Calinski-Harabasz');
  });
}

test('structural metrics are null with fewer than two clusters (sklearn raises there)', () => {
  const X = matrix(4, 1, Float64Array.from([0, 1, 2, 3]));
  for (const labels of [
    [0, 0, 0, 0],
    [-1, -1, 0, 0],
    [0, 1, 2, 3],
  ]) {
    const l = Int32Array.from(labels);
    assert.equal(silhouetteScore(X, l), null, `silhouette of ${labels}`);
    assert.equal(daviesBouldinScore(X, l), null, `DB of ${labels}`);
    assert.equal(calinskiHarabaszScore(X, l), null, `CH of ${labels}`);
  }
});

test('sampled silhouette is seeded and close to the full value', () => {
  const { X, truth } = gaussianBlobs(new Rng(3), 2000, 4, 5, 3, 1.5);
  const full = silhouetteScore(X, truth)!;
  const a = silhouetteScore(X, truth, 400, new Rng(11))!;
  const b = silhouetteScore(X, truth, 400, new Rng(11))!;
  const c = silhouetteScore(X, truth, 400, new Rng(12))!;
  assert.equal(a, b, 'same seed, same sample');
  assert.notEqual(a, c, 'another seed draws another sample');
  assert.ok(Math.abs(a - full) < 0.05, `sampled ${a} vs full ${full}`);
  assert.throws(() => silhouetteScore(X, truth, 400), /rng/);
});

// Profile layout with three moods: [tempo, energy, a, b, c, six heads].
const layout: ProfileLayout = { moodLabels: ['a', 'b', 'c'] };
const row = (moods: number[], heads = [0, 0, 0, 0, 0, 0]) => [0.5, 0.5, ...moods, ...heads];
const playlist = (members: number[], moods: number[], heads?: number[]): ScoredPlaylist => ({
  members,
  profile: Float64Array.from(row(moods, heads)),
});

test('mood diversity sums the best score of each distinct predominant mood', () => {
  const p = [
    playlist([], [0.6, 0.2, 0.1]),
    playlist([], [0.7, 0.1, 0.1]),
    playlist([], [0.1, 0.2, 0.5]),
    playlist([], [0, 0, 0]),
  ];
  // Predominant: a (0.6), a (0.7), c (0.5), none → 0.7 + 0.5.
  assert.ok(Math.abs(moodDiversityRaw(p, layout) - 1.2) < 1e-12);
});

test('mood purity sums each song’s best score on its playlist’s top-K moods above 0.01', () => {
  const songs = [row([0.9, 0.1, 0.0]), row([0.0, 0.4, 0.8]), row([0.0, 0.0, 0.0]), row([0.3, 0.2, 0.6])];
  const profile = matrix(4, 11, Float64Array.from(songs.flat()));
  // Playlist 1: profile moods a 0.5 > b 0.3 > c 0.005 (c below 0.01 is ignored even with topK 3).
  // Songs 0,1,2 → max over {a, b}: 0.9, 0.4, 0 (skipped) → 1.3.
  // Playlist 2: top-1 mood c → song 3 scores 0.6.
  const p = [playlist([0, 1, 2], [0.5, 0.3, 0.005]), playlist([3], [0.1, 0.1, 0.2])];
  assert.ok(Math.abs(moodPurityRaw(p, profile, layout, 3) - (1.3 + 0.6)) < 1e-12);
  // With topK 1 playlist 1 only counts mood a: 0.9 + 0 + 0 → 0.9.
  assert.ok(Math.abs(moodPurityRaw(p, profile, layout, 1) - (0.9 + 0.6)) < 1e-12);
});

test('other-feature diversity and purity only count predominant heads above the threshold', () => {
  const songs = [
    row([0, 0, 0], [0.8, 0, 0, 0, 0, 0.1]),
    row([0, 0, 0], [0.6, 0, 0, 0, 0, 0.2]),
    row([0, 0, 0], [0, 0, 0, 0, 0, 0.2]),
  ];
  const profile = matrix(3, 11, Float64Array.from(songs.flat()));
  const p = [playlist([0, 1], [0, 0, 0], [0.7, 0, 0, 0, 0, 0.15]), playlist([2], [0, 0, 0], [0, 0, 0, 0, 0, 0.2])];
  // Playlist 2's predominant head (sad, 0.2) is below 0.3: only danceable 0.7 counts.
  assert.ok(Math.abs(otherFeatureDiversityRaw(p, layout, 0.3) - 0.7) < 1e-12);
  assert.ok(Math.abs(otherFeaturePurityRaw(p, profile, layout, 0.3) - (0.8 + 0.6)) < 1e-12);
});

test('fitness is the weighted sum of the transformed metrics; zero-weight metrics are not computed', () => {
  const songs = [row([0.9, 0, 0]), row([0.8, 0, 0]), row([0, 0.7, 0]), row([0, 0.6, 0])];
  const profile = matrix(4, 11, Float64Array.from(songs.flat()));
  const X = matrix(4, 1, Float64Array.from([0, 1, 10, 11]));
  const labels = Int32Array.from([0, 0, 1, 1]);
  const playlists = [playlist([0, 1], [0.85, 0, 0]), playlist([2, 3], [0, 0.65, 0])];
  const base = {
    weights: DEFAULT_WEIGHTS,
    stats: FEATURE_STATS,
    purityTopK: 3,
    otherFeatureThreshold: 0.3,
    silhouetteSampleSize: 1000,
  };
  const input = { X, labels, playlists, profile, layout, rng: new Rng(1), coverage: 0.75 };

  const d = scoreClustering(input, base);
  const div = (Math.log1p(0.85 + 0.65) - 0.9995) / 0.3541;
  const pur = (Math.log1p(0.9 + 0.8 + 0.7 + 0.6) - 5.8679) / 1.1557;
  assert.ok(Math.abs(d.fitness - (2 * div + pur + 2 * 0.75)) < 1e-12, `default weights: ${d.fitness}`);
  assert.deepEqual(Object.keys(d.metrics).sort(), ['coverage', 'moodDiversity', 'moodPurity']);

  const weights = {
    ...DEFAULT_WEIGHTS,
    moodDiversity: 0,
    moodPurity: 0,
    coverage: 0,
    silhouette: 1,
    daviesBouldin: 2,
    calinskiHarabasz: 3,
  };
  const s = scoreClustering(input, { ...base, weights });
  // Two tight pairs 10 apart on a line: a = 1; b = mean(10, 11) or mean(9, 10).
  const sil = (1 - 1 / 10.5 + (1 - 1 / 9.5) + (1 - 1 / 9.5) + (1 - 1 / 10.5)) / 4;
  const db = (0.5 + 0.5) / 10; // mean distance to centroid 0.5 each, centroids 10 apart
  const ch = ((2 * 25 + 2 * 25) * (4 - 2)) / (4 * 0.25 * (2 - 1)); // between 100, within 1
  const expected = (sil + 1) / 2 + 2 * (1 / (1 + db)) + 3 * (1 - Math.exp(-ch / 500));
  assert.ok(Math.abs(s.fitness - expected) < 1e-12, `structural: ${s.fitness} vs ${expected}`);
  assert.deepEqual(Object.keys(s.metrics).sort(), ['calinskiHarabasz', 'daviesBouldin', 'silhouette']);
  assert.ok(Math.abs(s.metrics.calinskiHarabasz!.raw - 200) < 1e-9);
});
