// The sonic fingerprint engine (engines/similarity/fingerprint.ts): recency and play-count weights, the per-album
// cap, several centroids, and the interleaving of their neighbours by weight.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  interleaveByWeight,
  playWeights,
  recencyWeight,
  sonicFingerprint,
  type PlayedSong,
} from '../../engines/similarity/fingerprint.ts';
import { unit, type Neighbour } from '../../engines/similarity/vector-space.ts';

const NOW = new Date('2026-12-01T12:00:00Z');
const daysAgo = (d: number) => new Date(NOW.getTime() - d * 86_400_000);
const DIM = 8;
/** A unit vector near axis `axis`, nudged by `k` so no two songs coincide. */
const near = (axis: number, k: number) => {
  const v = new Float32Array(DIM).fill(0.01);
  v[axis] = 1;
  v[(axis + 1 + (k % (DIM - 1))) % DIM] += 0.02 + 0.001 * (k % 50);
  return unit(v);
};
let nextId = 0;
const played = (axis: number, album: string, s: Partial<PlayedSong> = {}): PlayedSong => {
  const id = nextId++;
  return {
    id,
    songKey: `song ${id}`,
    albumKey: album,
    embedding: near(axis, id),
    playCount: 1,
    lastPlayed: null,
    favourite: false,
    ...s,
  };
};
const cos = (a: Float32Array, b: Float32Array) => a.reduce((s, x, j) => s + x * b[j], 0);

test('recency halves every 30 days: exactly ½ at 30 days, ¼ at 60, 1 today and for a future date', () => {
  assert.equal(recencyWeight(30), 0.5);
  assert.ok(Math.abs(recencyWeight(60) - 0.25) < 1e-15);
  assert.equal(recencyWeight(0), 1);
  assert.equal(recencyWeight(-5), 1);
  const w = playWeights(
    [
      { playCount: 4, lastPlayed: daysAgo(30), favourite: false },
      { playCount: 4, lastPlayed: daysAgo(0), favourite: false },
    ],
    NOW,
  );
  assert.ok(Math.abs(w[0].weight - 2) < 1e-12, `4 plays 30 days ago weigh 2, got ${w[0].weight}`);
  assert.equal(w[1].weight, 4);
});

test('without dates, play counts alone weigh (no flat weight); an undated song among dated ones gets their median recency', () => {
  const none = playWeights(
    [
      { playCount: 20, lastPlayed: null, favourite: false },
      { playCount: 1, lastPlayed: null, favourite: false },
    ],
    NOW,
  );
  assert.deepEqual(
    none.map((w) => w.weight),
    [20, 1],
  );
  const mixed = playWeights(
    [
      { playCount: 2, lastPlayed: daysAgo(30), favourite: false },
      { playCount: 2, lastPlayed: daysAgo(90), favourite: false },
      { playCount: 2, lastPlayed: daysAgo(60), favourite: false },
      { playCount: 2, lastPlayed: null, favourite: false },
    ],
    NOW,
  );
  assert.ok(Math.abs(mixed[3].recency - 0.25) < 1e-12, `median of ½, ⅛, ¼ is ¼, got ${mixed[3].recency}`);
});

test('a favourite counts as the median play count on top of its own plays', () => {
  const w = playWeights(
    [
      { playCount: 3, lastPlayed: null, favourite: false },
      { playCount: 7, lastPlayed: null, favourite: false },
      { playCount: 11, lastPlayed: null, favourite: false },
      { playCount: 0, lastPlayed: null, favourite: true },
      { playCount: 2, lastPlayed: null, favourite: true },
    ],
    NOW,
  );
  // Played songs: 3, 7, 11, 2 → median 5.
  assert.deepEqual(
    w.map((x) => x.plays),
    [3, 7, 11, 5, 7],
  );
  assert.equal(playWeights([{ playCount: 0, lastPlayed: null, favourite: true }], NOW)[0].plays, 1);
});

test('#603: a 100-track mix played once through, no dates, does not outweigh 10 songs played 20 times', () => {
  const mix = Array.from({ length: 100 }, () => played(1, 'dj mix'));
  const loved = Array.from({ length: 10 }, () => played(0, 'loved album', { playCount: 20 }));
  for (const maxPerAlbum of [3, Infinity]) {
    const fp = sonicFingerprint([...mix, ...loved], { now: NOW, maxPerAlbum })!;
    const heaviest = fp.centroids[0];
    assert.ok(cos(heaviest.vector, near(0, 0)) > 0.95, `cap ${maxPerAlbum}: the heaviest centroid is the loved album`);
    const mixIds = new Set(mix.map((s) => s.id));
    const mixShare =
      fp.seeds.filter((s) => mixIds.has(s.id)).reduce((t, s) => t + s.weight, 0) /
      fp.seeds.reduce((t, s) => t + s.weight, 0);
    assert.ok(mixShare < 0.06, `cap ${maxPerAlbum}: the mix holds ${mixShare} of the weight`);
    // Its own centroid, so a mix never drags the loved album's centroid towards it either.
    for (const c of fp.centroids)
      if (c.seeds.some((id) => mixIds.has(id))) assert.ok(c.seeds.every((id) => mixIds.has(id)) && c.weight < 0.06);
  }
});

test('per-album cap: no more than 3 seeds of one album, the next album takes the seat', () => {
  const big = Array.from({ length: 10 }, () => played(0, 'big', { playCount: 50 }));
  const small = Array.from({ length: 2 }, () => played(2, 'small', { playCount: 2 }));
  const fp = sonicFingerprint([...big, ...small], { now: NOW })!;
  const bigIds = new Set(big.map((s) => s.id));
  assert.equal(fp.seeds.filter((s) => bigIds.has(s.id)).length, 3);
  assert.equal(fp.seeds.length, 5);
  assert.equal(sonicFingerprint([...big, ...small], { now: NOW, maxPerAlbum: 10 })!.seeds.length, 12);
  // Songs of no known album are capped one by one, never together.
  assert.equal(
    sonicFingerprint(
      Array.from({ length: 8 }, () => played(0, '')),
      { now: NOW },
    )!.seeds.length,
    8,
  );
});

test('top N by weight: an old heavy favourite takes no seat from this month', () => {
  const old = played(0, 'a', { playCount: 500, lastPlayed: daysAgo(730) });
  const recent = Array.from({ length: 20 }, (_, k) => played(1, `r${k}`, { playCount: 1, lastPlayed: daysAgo(1) }));
  const fp = sonicFingerprint([old, ...recent], { now: NOW })!;
  assert.equal(fp.seeds.length, 20);
  assert.ok(!fp.seeds.some((s) => s.id === old.id));
});

test('several centroids: three tastes give three centroids, each near its taste, weighted by its plays', () => {
  const songs = [
    ...Array.from({ length: 3 }, (_, k) => played(0, `a${k}`, { playCount: 6 })),
    ...Array.from({ length: 3 }, (_, k) => played(3, `b${k}`, { playCount: 3 })),
    ...Array.from({ length: 3 }, (_, k) => played(6, `c${k}`, { playCount: 1 })),
  ];
  const fp = sonicFingerprint(songs, { now: NOW })!;
  assert.equal(fp.centroids.length, 3);
  assert.deepEqual(
    fp.centroids.map((c) => Math.round(c.weight * 100) / 100),
    [0.6, 0.3, 0.1],
  );
  fp.centroids.forEach((c, i) => assert.ok(cos(c.vector, near([0, 3, 6][i], 0)) > 0.95, `centroid ${i}`));
  assert.equal(sonicFingerprint(songs, { now: NOW, maxCentroids: 1 })!.centroids.length, 1);
  // Deterministic.
  assert.deepEqual(sonicFingerprint(songs, { now: NOW }), fp);
});

test('versions of one song are one seed with their plays summed; nothing played gives no fingerprint', () => {
  const a = played(0, 'x', { songKey: 'same', playCount: 2 });
  const b = played(0, 'y', { songKey: 'same', playCount: 5, favourite: true });
  const fp = sonicFingerprint([a, b], { now: NOW })!;
  assert.equal(fp.seeds.length, 1);
  assert.equal(fp.seeds[0].id, b.id);
  assert.equal(fp.seeds[0].plays, 7 + 7);
  assert.equal(sonicFingerprint([played(0, 'x', { playCount: 0 })], { now: NOW }), undefined);
});

test('interleaving: picks in proportion to the weights; a dry list leaves its share; refused and repeated songs skipped', () => {
  const list = (base: number, n: number): Neighbour[] =>
    Array.from({ length: n }, (_, k) => ({ index: base + k, distance: k / 1000 }));
  const out = interleaveByWeight([list(0, 200), list(1000, 200), list(2000, 200)], [0.6, 0.3, 0.1], 100, () => true);
  assert.deepEqual(
    [0, 1, 2].map((c) => out.filter((o) => o.list === c).length),
    [60, 30, 10],
  );
  assert.deepEqual(
    out.slice(0, 10).map((o) => o.list),
    [0, 1, 0, 2, 0, 1, 0, 0, 1, 0],
  );
  const dry = interleaveByWeight([list(0, 200), list(1000, 5)], [0.5, 0.5], 50, () => true);
  assert.equal(dry.length, 50);
  assert.equal(dry.filter((o) => o.list === 1).length, 5);
  // The same song in two lists comes once; odd indices refused; the seeds given as picked never come back.
  const shared = interleaveByWeight([list(0, 20), list(0, 20)], [0.5, 0.5], 100, (i) => i % 2 === 0, [2, 4]);
  assert.deepEqual(
    shared.map((o) => o.neighbour.index).sort((a, b) => a - b),
    [0, 6, 8, 10, 12, 14, 16, 18],
  );
});
