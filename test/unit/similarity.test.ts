// The similarity engine (engines/similarity): exact nearest neighbours, the radius walk, song paths, versions.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { radiusWalk } from '../../engines/similarity/radius-walk.ts';
import { songPath } from '../../engines/similarity/song-path.ts';
import { normalizeTitle, songKey } from '../../engines/similarity/versions.ts';
import { unit, VectorSpace } from '../../engines/similarity/vector-space.ts';

/** Deterministic pseudo-random vectors in `groups` clusters along a line of centres. */
function library(n: number, dim = 16, groups = 4): Float32Array[] {
  let s = 7;
  const rand = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32) * 2 - 1;
  const centres = Array.from({ length: groups }, () => Float32Array.from({ length: dim }, rand));
  return Array.from({ length: n }, (_, i) => Float32Array.from(centres[i % groups], (c) => c + 0.3 * rand()));
}

test('nearest is the exact top-k by cosine distance, filter applied', () => {
  const vs = library(300);
  const space = VectorSpace.fromVectors(vs);
  const q = unit(vs[5]);
  const all = vs
    .map((_, i) => ({ index: i, distance: space.distanceTo(q, i) }))
    .sort((a, b) => a.distance - b.distance);
  assert.deepEqual(
    space.nearest(q, 10).map((r) => r.index),
    all.slice(0, 10).map((r) => r.index),
  );
  assert.equal(space.nearest(q, 1)[0].index, 5, 'a song is nearest to itself');
  const odd = space.nearest(q, 10, (i) => i % 2 === 1);
  assert.deepEqual(
    odd.map((r) => r.index),
    all
      .filter((r) => r.index % 2 === 1)
      .slice(0, 10)
      .map((r) => r.index),
  );
});

test('radius walk: exactly n distinct songs without the seed, each step the best 0.7 · previous + 0.3 · seed', () => {
  const space = VectorSpace.fromVectors(library(400));
  const seed = 3;
  const candidates = space.nearest(space.row(seed), 399, (i) => i !== seed);
  const mix = radiusWalk(space, seed, candidates, 40);
  assert.equal(mix.length, 40);
  assert.equal(new Set(mix.map((m) => m.index)).size, 40);
  assert.ok(!mix.some((m) => m.index === seed));
  // Re-check every step against the pool it chose from (the first 150 by distance to the seed).
  const pool = candidates.slice(0, 150);
  let prev = seed;
  const used = new Set<number>();
  for (const m of mix) {
    const score = (c: { index: number; distance: number }) => 0.7 * space.distance(prev, c.index) + 0.3 * c.distance;
    const best = Math.min(...pool.filter((c) => !used.has(c.index)).map(score));
    assert.ok(Math.abs(score(m) - best) < 1e-9, `step to ${m.index} is not the best`);
    used.add(m.index);
    prev = m.index;
  }
  const capped = radiusWalk(
    space,
    seed,
    candidates,
    40,
    (i, picked) => picked.filter((p) => p % 4 === i % 4).length < 2,
  );
  const artistsInPool = new Set(pool.map((c) => c.index % 4)).size;
  assert.equal(capped.length, 2 * artistsInPool, 'two per "artist" (i mod 4) of the pool');
});

test('song path: starts with A, ends with B, the asked length, no song twice, steps move towards B', () => {
  const space = VectorSpace.fromVectors(library(400));
  const [a, b] = [0, 2]; // two different groups
  const path = songPath(space, a, b, { length: 12 });
  assert.equal(path.length, 12);
  assert.equal(path[0], a);
  assert.equal(path.at(-1), b);
  assert.equal(new Set(path).size, 12);
  const towardsB = path.map((i) => space.distance(i, b));
  assert.ok(towardsB[1] > towardsB.at(-2)!, 'the path ends nearer to B than it starts');
});

test('song path: a step comes closer to B than the last one when a song can, even if one behind is nearer the point', () => {
  const deg = Math.PI / 180;
  const arc = (a: number) => [Math.cos(a * deg), Math.sin(a * deg), 0, 0];
  const [t, b] = [arc(60), arc(90)];
  // W: orthogonal to T (the second point of a 4-song path), leaning away from B and out of the A–B plane.
  const w = b.map((x, i) => -0.8 * ((x - Math.sin(60 * deg) * t[i]) / 0.5) + (i === 3 ? 0.6 : 0));
  const mix = (u: number[], v: number[], a: number) =>
    u.map((x, i) => x * Math.cos(a * deg) + v[i] * Math.sin(a * deg));
  const behind = mix(t, w, 35); // 0.181 from T, but farther from B than the first step (song 2)
  const ahead = mix(t, [0, 0, 1, 0], 40); // 0.234 from T, closer to B
  const space = VectorSpace.fromVectors([arc(0), b, arc(31), behind, ahead].map((v) => Float32Array.from(v)));
  assert.ok(space.distanceTo(space.row(1), 3) > space.distanceTo(space.row(1), 2), 'the planted song is behind');
  assert.deepEqual(songPath(space, 0, 1, { length: 4 }), [0, 2, 4, 1]);
});

test('song path: one song per artist, and never empty when the rule cannot be kept', () => {
  const space = VectorSpace.fromVectors(library(40));
  const artistOf = (i: number) => `artist ${i % 4}`;
  const per = songPath(space, 0, 1, { length: 4, artistOf, onePerArtist: true });
  assert.equal(new Set(per.map(artistOf)).size, 4, 'four songs, four artists');
  const full = songPath(space, 0, 1, { length: 10, artistOf, onePerArtist: true });
  assert.equal(full.length, 10, 'only four artists: the rule is relaxed rather than a step left out');
  assert.equal(songPath(space, 0, 1, { length: 2 }).join(), '0,1');
});

test('song path variety: another seed gives another path, the same seed the same one', () => {
  const space = VectorSpace.fromVectors(library(400));
  const path = (seed: number) => songPath(space, 0, 2, { length: 15, variety: 5, seed });
  assert.deepEqual(path(1), path(1));
  assert.notDeepEqual(path(1), path(2));
  assert.notDeepEqual(path(1), songPath(space, 0, 2, { length: 15 }));
});

test('versions: live, remaster and edit notes fold into one song; other brackets stay', () => {
  assert.equal(normalizeTitle('Hammer (Live at Wacken 2003)'), 'hammer');
  assert.equal(normalizeTitle('Hammer - 2011 Remaster'), 'hammer');
  assert.equal(normalizeTitle('Hammer [Radio Edit]'), 'hammer');
  assert.equal(normalizeTitle('Hämmer – Remastered'), 'hammer');
  assert.equal(normalizeTitle('Hammer (feat. Anvil)'), 'hammer feat anvil');
  assert.equal(songKey('Muldjord', 'Hammer (Live)'), songKey('muldjord', 'Hammer'));
  assert.notEqual(songKey('Muldjord', 'Hammer'), songKey('Sectoid', 'Hammer'));
});
