// The numbers bench:quality prints: purity, NMI and coverage against labels, and Spearman's rank correlation.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { agreement, assignment, spearman, stratifiedSample } from '../../bench/quality-metrics.ts';
import { Rng } from '../../engines/clustering/rng.ts';

const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) < 1e-9, `${what}: ${a} ≠ ${b}`);

test('purity, NMI and coverage of an assignment against labels, unassigned items left out', () => {
  const labels = [0, 0, 0, 1, 1, 1];
  const perfect = agreement([5, 5, 5, 2, 2, 2], labels);
  assert.deepEqual(perfect, { purity: 1, nmi: 1, covered: 1 }, 'cluster ids are names, not labels');
  // One cluster holding everything: purity is the largest label's share and there is no information.
  assert.deepEqual(agreement([0, 0, 0, 0, 0, 0], labels), { purity: 0.5, nmi: 0, covered: 1 });
  const partial = agreement([0, 0, -1, 1, 1, 0], labels);
  close(partial.purity, 4 / 5, 'purity of the 5 assigned');
  close(partial.covered, 5 / 6, 'covered');
  // scikit-learn: normalized_mutual_info_score([0,0,1,1,1], [0,0,1,1,0]) = 0.4325...
  close(partial.nmi, 0.43253806776631243, 'nmi');
  assert.deepEqual(agreement([-1, -1], [0, 1]), { purity: 0, nmi: 0, covered: 0 });
  assert.deepEqual(assignment([Int32Array.from([2, 0]), [3]], 5), [0, -1, 0, 1, -1]);
});

test("Spearman's rank correlation: monotone either way, ties by average rank, constant gives NaN", () => {
  close(spearman([1, 2, 3, 4], [10, 20, 30, 1000]), 1, 'monotone, not linear');
  close(spearman([1, 2, 3, 4], [4, 3, 2, 1]), -1, 'reversed');
  // scipy.stats.spearmanr([1, 2, 2, 3], [1, 3, 2, 4]) = 0.9486832980505138
  close(spearman([1, 2, 2, 3], [1, 3, 2, 4]), 0.9486832980505138, 'ties');
  assert.ok(Number.isNaN(spearman([1, 1, 1], [1, 2, 3])));
  assert.throws(() => spearman([1], [1, 2]), /1 and 2 values/);
});

test("a label-stratified sample keeps each label's share, distinct items, and follows its seed", () => {
  const labels = [...Array(60).fill(0), ...Array(30).fill(1), ...Array(10).fill(2)];
  const count = (idx: number[]) => [0, 1, 2].map((l) => idx.filter((i) => labels[i] === l).length);
  const rng = new Rng(1);
  const s = stratifiedSample(labels, 50, () => rng.next());
  assert.deepEqual(count(s), [30, 15, 5]);
  assert.equal(new Set(s).size, 50, 'no item twice');
  // 7 of 100: 4.2, 2.1, 0.7 → the largest remainder (label 2) gets the seventh.
  assert.deepEqual(count(stratifiedSample(labels, 7, () => rng.next())), [4, 2, 1]);
  const again = new Rng(1);
  assert.deepEqual(
    stratifiedSample(labels, 50, () => again.next()),
    s,
    'same seed, same sample',
  );
  assert.notDeepEqual(
    stratifiedSample(labels, 50, () => rng.next()),
    s,
    'another draw differs',
  );
  assert.throws(() => stratifiedSample(labels, 101, Math.random), /101 of 100/);
});
