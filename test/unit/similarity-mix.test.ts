// The listening filters (engines/similarity/filters.ts), the alchemy math (alchemy.ts) and how requests spell the
// filters (web/api/filter-params.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../../engines/clustering/rng.ts';
import { angularDistance, centroid, sampleByTemperature } from '../../engines/similarity/alchemy.ts';
import { artistCap, capCandidates, songFilter, type SongFacts } from '../../engines/similarity/filters.ts';
import { unit } from '../../engines/similarity/vector-space.ts';
import type { ApiError } from '../../web/api/errors.ts';
import { filtersFrom } from '../../web/api/filter-params.ts';

const song = (s: Partial<SongFacts>): SongFacts => ({
  artist: 'A',
  artistId: null,
  album: 'X',
  albumId: null,
  libraryId: null,
  durationSec: 200,
  ...s,
});

const SONGS: SongFacts[] = [
  song({ artist: 'Björk', artistId: 'ar-1', album: 'Homogenic', albumId: 'al-1', libraryId: 'lib-a' }),
  song({ artist: 'Muldjord', artistId: 'ar-2', album: 'Anvil', albumId: 'al-2', libraryId: 'lib-a', durationSec: 95 }),
  song({
    artist: 'Muldjord',
    artistId: 'ar-2',
    album: 'Hammer',
    albumId: 'al-3',
    libraryId: 'lib-b',
    durationSec: 400,
  }),
  song({ artist: 'Crosby, Stills, Nash & Young', album: 'Déjà Vu', durationSec: null }),
];
const passing = (f: Parameters<typeof songFilter>[1]) => {
  const ok = songFilter(SONGS, f);
  return SONGS.map((_, i) => i).filter(ok);
};

test('song filters: library, duration range (unknown length left out), artist and album by folded name or id', () => {
  assert.deepEqual(passing({}), [0, 1, 2, 3]);
  assert.deepEqual(passing({ libraryId: 'lib-a' }), [0, 1]);
  assert.deepEqual(passing({ minDuration: 100 }), [0, 2]);
  assert.deepEqual(passing({ maxDuration: 300 }), [0, 1]);
  assert.deepEqual(passing({ minDuration: 100, maxDuration: 300 }), [0]);
  assert.deepEqual(passing({ excludeArtists: ['bjork'] }), [1, 2, 3], 'case and accents folded');
  assert.deepEqual(passing({ excludeArtists: ['ar-2'] }), [0, 3], 'by server id');
  assert.deepEqual(passing({ excludeArtists: ['Muldjord '] }), [0, 3]);
  assert.deepEqual(passing({ excludeAlbums: ['deja vu', 'al-2'] }), [0, 2]);
  assert.deepEqual(passing({ excludeArtists: ['ar-1'], libraryId: 'lib-a' }), [1], 'filters combine');
});

test('per-artist cap: in the pick loop given the picks, and on the nearest-first pool', () => {
  const artist = ['a', 'a', 'b', 'a', 'b', 'c'];
  const keyOf = (i: number) => artist[i];
  const cap = artistCap(keyOf, 2);
  assert.equal(cap(3, [0]), true);
  assert.equal(cap(3, [0, 1]), false);
  assert.equal(cap(2, [0, 1]), true);
  assert.equal(artistCap(keyOf, undefined)(3, [0, 1, 2]), true, 'no cap, no limit');
  const pool = [0, 1, 2, 3, 4, 5].map((index) => ({ index, distance: index / 10 }));
  assert.deepEqual(
    capCandidates(pool, keyOf, 1).map((c) => c.index),
    [0, 2, 5],
    'the nearest of each artist',
  );
  assert.equal(capCandidates(pool, keyOf, undefined).length, 6);
});

test('alchemy centroid and angular distance', () => {
  const x = unit([1, 0, 0]),
    y = unit([0, 1, 0]);
  assert.deepEqual(
    [...centroid([x, y])!].map((v) => +v.toFixed(6)),
    [0.707107, 0.707107, 0],
  );
  assert.deepEqual(
    [...centroid([x, y], [3, 1])!].map((v) => +v.toFixed(6)),
    [0.948683, 0.316228, 0],
    'weighted',
  );
  assert.equal(centroid([]), undefined);
  assert.equal(angularDistance(x, x), 0);
  assert.equal(+angularDistance(x, y).toFixed(9), 0.5);
  assert.equal(angularDistance(x, unit([-1, 0, 0])), 1);
  // The original's SUBTRACT radius 0.2 is 36°: cos 36° ≈ 0.809.
  assert.ok(angularDistance(x, unit([0.81, Math.sqrt(1 - 0.81 ** 2), 0])) < 0.2);
  assert.ok(angularDistance(x, unit([0.8, 0.6, 0])) > 0.2);
});

test('temperature sampling: 0 is nearest first; seeded draws repeat; hotter draws reach further; a refusal drops', () => {
  const pool = Array.from({ length: 60 }, (_, i) => ({ index: 59 - i, distance: 0.01 * (59 - i) }));
  const ids = (xs: { index: number }[]) => xs.map((x) => x.index);
  assert.deepEqual(ids(sampleByTemperature(pool, 5, 0, new Rng(1))), [0, 1, 2, 3, 4]);
  const a = ids(sampleByTemperature(pool, 10, 0.05, new Rng(7)));
  assert.deepEqual(ids(sampleByTemperature(pool, 10, 0.05, new Rng(7))), a, 'same seed, same draw');
  assert.notDeepEqual(ids(sampleByTemperature(pool, 10, 0.05, new Rng(8))), a, 'another seed, another draw');
  assert.equal(new Set(a).size, 10, 'without replacement');
  const meanRank = (t: number) => {
    let sum = 0;
    for (let s = 1; s <= 20; s++) sum += ids(sampleByTemperature(pool, 10, t, new Rng(s))).reduce((x, y) => x + y, 0);
    return sum / 200;
  };
  const [cool, hot] = [meanRank(0.01), meanRank(1)];
  assert.ok(cool < 8 && hot > 20, `cool mean rank ${cool}, hot ${hot}`);
  const even = ids(sampleByTemperature(pool, 5, 0, new Rng(1), (i) => i % 2 === 0));
  assert.deepEqual(even, [0, 2, 4, 6, 8]);
  assert.equal(sampleByTemperature(pool.slice(0, 3), 10, 1, new Rng(1)).length, 3, 'no more than the pool');
});

test('filter fields: comma-separated or repeated, whole names kept, a range upside down names max_duration', () => {
  const f = filtersFrom(
    { exclude_artists: ['Crosby, Stills, Nash & Young', 'ar-9'], exclude_albums: 'A,B', max_songs_per_artist: 2 },
    true,
  );
  assert.deepEqual(f.excludeArtists, ['Crosby, Stills, Nash & Young', 'Crosby', 'Stills', 'Nash & Young', 'ar-9']);
  assert.deepEqual(f.excludeAlbums, ['A,B', 'A', 'B']);
  assert.equal(f.maxSongsPerArtist, 2);
  assert.deepEqual(filtersFrom({ exclude_artists: ['a,b'] }, false).excludeArtists, ['a,b'], 'JSON arrays as they are');
  assert.throws(
    () => filtersFrom({ min_duration: 300, max_duration: 100 }, true),
    (e: ApiError) => e.status === 400 && e.field === 'max_duration',
  );
});
