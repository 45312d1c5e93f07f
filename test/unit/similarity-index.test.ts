// The approximate index behind the similarity space (usearch HNSW, i8, exact f32 re-rank): recall against the
// exact scan on clustered data, adds and removes reaching it, filters that let few through, and a saved index
// answering like the one it was saved from.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { VectorSpace } from '../../engines/similarity/vector-space.ts';
import { UsearchIndex } from '../../providers/vector-index/usearch-index.ts';

const DIM = 64;

/** Clustered vectors with structure: 40 "genres" of 25 "artists", noise, none repeated. */
function library(n: number, seed = 11): Float32Array[] {
  let s = seed;
  const rand = () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32 - 0.5;
  };
  const genres = Array.from({ length: 40 }, () => Float32Array.from({ length: DIM }, rand));
  const artists = Array.from({ length: 1000 }, (_, a) => Float32Array.from(genres[a % 40], (g) => g + 0.4 * rand()));
  return Array.from({ length: n }, (_, i) => Float32Array.from(artists[i % 1000], (x) => x + 0.25 * rand()));
}

function indexed(n: number): { space: VectorSpace; index: UsearchIndex } {
  const space = VectorSpace.fromVectors(library(n), DIM);
  const index = UsearchIndex.create(DIM, { quantization: 'i8' });
  const { keys, vectors } = space.liveRows();
  index.add(keys, vectors);
  space.useIndex(index);
  return { space, index };
}

function recallAt10(space: VectorSpace, queries: number, accept?: (i: number) => boolean): number {
  let hits = 0;
  for (let q = 0; q < queries; q++) {
    const query = space.row((q * 7919) % space.size);
    const truth = space.scan(query, 10, accept).map((n) => n.index);
    const got = new Set(space.nearest(query, 10, accept).map((n) => n.index));
    hits += truth.filter((t) => got.has(t)).length;
  }
  return hits / (10 * queries);
}

test('recall@10 of the i8 index after the exact re-rank is at least 0.99 on clustered data', () => {
  const { space } = indexed(20_000);
  assert.ok(space.indexed);
  const recall = recallAt10(space, 200);
  assert.ok(recall >= 0.99, `recall@10 ${recall}`);
  // The distances are the exact ones, whatever the index's quantisation.
  const q = space.row(5);
  for (const n of space.nearest(q, 10)) assert.equal(n.distance, space.distanceTo(q, n.index));
});

test('a filter that lets few rows through still gets the exact answer (more fetched, then the scan)', () => {
  const { space } = indexed(5_000);
  const rare = (i: number) => i % 97 === 0;
  assert.equal(recallAt10(space, 50, rare), 1);
});

test('adds and removes reach the index; a removed song is never returned', () => {
  const { space, index } = indexed(5_000);
  const extra = library(15, 99);
  const rows = extra.map((v, i) => space.add(100_000 + i, v));
  assert.equal(index.size, 5_015);
  assert.equal(space.nearest(space.row(rows[3]), 1)[0].index, rows[3], 'a new song is nearest to itself');
  space.remove(100_003);
  assert.ok(!space.has(rows[3]));
  assert.ok(
    !space
      .nearest(
        extra[3].map((x) => x / Math.hypot(...extra[3])),
        50,
      )
      .some((n) => n.index === rows[3]),
  );
  assert.ok(!space.scan(space.row(rows[3]), 50).some((n) => n.index === rows[3]));
  assert.equal(index.size, 5_014);
});

test('a serialised index answers like the original', async () => {
  const { space, index } = indexed(3_000);
  const bytes = await index.serialize();
  const copy = await UsearchIndex.deserialize(
    async (write) => {
      for (let o = 0; o < bytes.length; o += 1000) await write(bytes.subarray(o, o + 1000));
    },
    DIM,
    { quantization: 'i8' },
  );
  assert.equal(copy.size, index.size);
  for (let q = 0; q < 20; q++)
    assert.deepEqual(copy.search(space.row(q * 31), 10), index.search(space.row(q * 31), 10));
});
