// The count behind the README's "tracks that change playlist" figure (bench/profile-clustering.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { playlistChanges } from '../../bench/profile-clustering.ts';

const lists = (...ls: number[][]) => ls.map((l) => Int32Array.from(l));

test('playlists are matched by overlap, whatever their order; moved and dropped tracks count', () => {
  const a = lists([0, 1, 2], [3, 4, 5], [6, 7]);
  assert.equal(playlistChanges(a, a, 9), 0);
  assert.equal(playlistChanges(a, lists([6, 7], [0, 1, 2], [3, 4, 5]), 9), 0, 'same playlists, other order');
  assert.equal(playlistChanges(a, lists([0, 1], [2, 3, 4, 5], [6, 7]), 9), 1, 'track 2 moved');
  assert.equal(playlistChanges(a, lists([0, 1, 2], [3, 4, 5], [6]), 9), 1, 'track 7 in no playlist');
  assert.equal(playlistChanges(a, lists([0, 1, 2], [3, 4, 5], [6, 7, 8]), 9), 1, 'track 8 gained one');
  // Two playlists merged: the smaller side has no partner left, all of its tracks count.
  assert.equal(playlistChanges(a, lists([0, 1, 2, 3, 4, 5], [6, 7]), 9), 3);
});
