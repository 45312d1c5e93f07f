// The sentences the page and the CLI use to explain a clustering run (words/clustering-explained.ts) and the
// analysis profile's facts (words/analysis-profile.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PROFILE_FACTS, profileFactsSentence } from '../../words/analysis-profile.ts';
import { fittedSentence, leftOutSentence } from '../../words/clustering-explained.ts';

test('fitted settings: each changed setting with its old value; nothing when none changed', () => {
  assert.equal(
    fittedSentence(100, [
      { field: 'minPlaylistSize', from: 20, to: 10 },
      { field: 'numClusters', from: [20, 60], to: [5, 10] },
      { field: 'dbscanMinSamples', from: [5, 20], to: [5, 5] },
    ]),
    'Fitted to your 100 songs: playlists of at least 10 songs (was 20), 5–10 clusters (was 20–60), DBSCAN neighbourhoods of 5 songs (was 5–20).',
  );
  assert.equal(fittedSentence(1234, []), '');
  assert.match(
    fittedSentence(null, [{ field: 'gmmComponents', from: [20, 60], to: [2, 4] }]),
    /^Fitted to your library: 2–4 GMM/,
  );
});

test('left out: the total of the library, then only the reasons that occurred, commonest causes first', () => {
  assert.equal(
    leftOutSentence(1500, { noise: 2, duplicate: 1, distance: 30, artistCap: 0, smallCluster: 12 }),
    '45 of 1,500 songs are in no playlist: 30 farther than the distance filter, 1 duplicate, 12 in clusters under the playlist floor, 2 in no cluster (noise).',
  );
  assert.equal(
    leftOutSentence(10, { smallCluster: 1 }),
    '1 of 10 songs is in no playlist: 1 in a cluster under the playlist floor.',
  );
  assert.equal(leftOutSentence(82, {}), 'All 82 songs are in a playlist.');
});

test('the analysis profile: the speed-up, and the playlist changes against two seeds (or "measuring")', () => {
  const c = PROFILE_FACTS.playlistChanges!;
  assert.match(profileFactsSentence(), new RegExp(`about ${PROFILE_FACTS.speedUp}× as many songs per hour`));
  assert.match(
    profileFactsSentence(),
    new RegExp(
      `${c.fastVsExact} of ${c.tracks} songs changed playlist between exact and fast features, against ${c.seedVsSeed} of ${c.tracks} between two seeds`,
    ),
  );
  assert.match(profileFactsSentence({ ...PROFILE_FACTS, playlistChanges: null }), /; playlist changes: measuring\.$/);
});
