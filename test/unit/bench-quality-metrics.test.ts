// The numbers bench:quality prints: purity, NMI and coverage against labels, and Spearman's rank correlation.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { agreement, assignment, spearman } from '../../bench/quality-metrics.ts';

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
