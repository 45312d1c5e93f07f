// Artist models and their soft Chamfer distance (engines/similarity/artist-models.ts): component counts, the
// distance's properties, and artists planted in distinct clusters coming out nearest their own cluster's artists.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  ArtistSpace,
  componentMatches,
  fitArtistModel,
  representativeSongs,
  softChamfer,
  type ArtistModel,
} from '../../engines/similarity/artist-models.ts';
import { Rng } from '../../engines/clustering/rng.ts';
import { unit } from '../../engines/similarity/vector-space.ts';

const DIM = 32;
const rng = new Rng(11);
const direction = () => unit(Float32Array.from({ length: DIM }, () => rng.normal()));
/** `n` unit songs around `centre`, `spread` noise per dimension. */
const songsAround = (centre: Float32Array, n: number, spread = 0.05) =>
  Array.from({ length: n }, () => unit(Float32Array.from(centre, (c) => c + spread * rng.normal())));
/** A point between the centre and another direction: an artist's own shade of their genre. */
const shade = (centre: Float32Array, amount: number) => {
  const other = direction();
  return unit(Float32Array.from(centre, (c, j) => c + amount * other[j]));
};

test('component counts: one per song below five songs, a mixture with its styles above', () => {
  const a = direction(),
    b = direction();
  assert.equal(fitArtistModel(songsAround(a, 1)).means.length, 1);
  const three = fitArtistModel(songsAround(a, 3));
  assert.equal(three.means.length, 3);
  assert.deepEqual(three.weights, [1 / 3, 1 / 3, 1 / 3]);
  // Twenty songs in two styles: two components, one on each style, about half the weight each.
  const two = fitArtistModel([...songsAround(a, 10, 0.02), ...songsAround(b, 10, 0.02)]);
  assert.equal(two.means.length, 2, `weights ${two.weights}`);
  const near = (m: Float32Array, c: Float32Array) => 1 - m.reduce((s, x, j) => s + x * c[j], 0) < 0.05;
  assert.ok(two.means.some((m) => near(m, a)) && two.means.some((m) => near(m, b)), 'a component per style');
  for (const w of two.weights) assert.ok(Math.abs(w - 0.5) < 1e-6, `weight ${w}`);
  assert.ok(Math.abs(two.weights.reduce((s, w) => s + w, 0) - 1) < 1e-9);
  // Seeded: the same songs, the same model.
  const songs = songsAround(a, 12);
  assert.deepEqual(fitArtistModel(songs), fitArtistModel(songs));
});

test('soft Chamfer: 0 for the same model, symmetric, weighted, and a two-style artist is near both styles', () => {
  const a = direction(),
    b = direction();
  const onlyA: ArtistModel = { means: [a], weights: [1] };
  const onlyB: ArtistModel = { means: [b], weights: [1] };
  const both: ArtistModel = { means: [a, b], weights: [0.5, 0.5] };
  assert.ok(softChamfer(onlyA, onlyA) < 1e-6);
  assert.equal(softChamfer(onlyA, both), softChamfer(both, onlyA));
  const dAB = 1 - a.reduce((s, x, j) => s + x * b[j], 0);
  // A→both: 0; both→A: half the weight travels dAB. Averaged: dAB / 4.
  assert.ok(Math.abs(softChamfer(onlyA, both) - dAB / 4) < 1e-6);
  assert.ok(Math.abs(softChamfer(onlyA, onlyB) - dAB) < 1e-6);
  // Weights count: mostly A is nearer to A than an even mix.
  const mostlyA: ArtistModel = { means: [a, b], weights: [0.9, 0.1] };
  assert.ok(softChamfer(onlyA, mostlyA) < softChamfer(onlyA, both));
  // The whole-space pass gives the pairwise distances.
  const space = new ArtistSpace([onlyA, onlyB, both, mostlyA]);
  const div = space.divergences(2);
  [onlyA, onlyB, both, mostlyA].forEach((m, i) => assert.ok(Math.abs(div[i] - softChamfer(both, m)) < 1e-6));
});

test('artists planted in distinct clusters come out nearest their own cluster’s artists', () => {
  const GROUPS = 5,
    PER_GROUP = 4;
  const centres = Array.from({ length: GROUPS }, direction);
  const group: number[] = [];
  const models: ArtistModel[] = [];
  for (let g = 0; g < GROUPS; g++)
    for (let k = 0; k < PER_GROUP; k++) {
      // Songs counts either side of the five-song rule; each artist a little off the genre's centre.
      const songs = songsAround(shade(centres[g], 0.35), [1, 3, 6, 15][k], 0.08);
      models.push(fitArtistModel(songs, g * 10 + k));
      group.push(g);
    }
  const space = new ArtistSpace(models);
  for (let a = 0; a < models.length; a++) {
    const nearest = space.nearest(a, PER_GROUP - 1);
    assert.deepEqual(
      nearest.map((r) => group[r.index]),
      Array(PER_GROUP - 1).fill(group[a]),
      `artist ${a}: ${JSON.stringify(nearest)}`,
    );
    assert.ok(!nearest.some((r) => r.index === a), 'an artist is not similar to itself');
    for (let i = 1; i < nearest.length; i++) assert.ok(nearest[i - 1].distance <= nearest[i].distance);
  }
});

test('component matches and representative songs name the closest pairs and the songs nearest each', () => {
  const a = direction(),
    b = direction(),
    c = direction();
  const first: ArtistModel = { means: [a, b], weights: [0.5, 0.5] };
  const second: ArtistModel = { means: [c, b, a], weights: [0.2, 0.3, 0.5] };
  const matches = componentMatches(first, second, 3);
  // The two exact pairs (a with a, b with b) come first, in either order (both distances are ≈ 0).
  assert.deepEqual(
    matches
      .slice(0, 2)
      .map((m) => `${m.component1}-${m.component2}`)
      .sort(),
    ['0-2', '1-1'],
  );
  assert.ok(matches[0].distance < 1e-6 && matches[2].distance > matches[1].distance);
  const songs = [b, songsAround(a, 1, 0.01)[0], songsAround(a, 1, 0.05)[0]];
  assert.deepEqual(
    representativeSongs(a, songs, 2).map((r) => r.index),
    [1, 2],
  );
});
