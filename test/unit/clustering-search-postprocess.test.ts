// Post-processing rules of the winning clustering, each on a small hand-made input: distance filter, artist
// cap, duplicates, merge by name, minimum size, balanced chunking, tag names and the `_automatic` suffix.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OTHER_FEATURE_LABELS, type ProfileLayout, type TrackFeatures } from '../../engines/clustering/features.ts';
import { TAGS } from '../../words/vocabulary.ts';
import {
  artistIds,
  automaticPlaylistName,
  chunkBalanced,
  isAutomaticPlaylistName,
  nameProfile,
  normalizeTitle,
  postprocessClusters,
  removeDuplicates,
  selectMembers,
  tempoBand,
  titleCase,
  DEFAULT_NAMING,
  type WinnerCluster,
} from '../../engines/clustering/postprocess.ts';
import { matrix } from '../../engines/clustering/types.ts';

function track(i: number, artist: string | null, title: string | null, embedding?: number[]): TrackFeatures {
  return {
    id: `t${i}`,
    artist,
    title,
    tempo: 120,
    energy: 0.5,
    tags: new Float32Array(TAGS.length),
    moodHeads: Object.fromEntries(OTHER_FEATURE_LABELS.map((m) => [m, 0])) as TrackFeatures['moodHeads'],
    embedding: embedding ? Float32Array.from(embedding) : undefined,
  };
}

test('members: normalised distance ≤ MAX_DISTANCE, closest first, noise excluded', () => {
  const labels = Int32Array.from([0, 0, 0, 1, -1, 1]);
  const dist = Float64Array.from([0.5, 0.2, 0.51, 0.9, 0.0, 0.1]);
  const m = selectMembers(labels, dist, 2, new Int32Array(6).fill(-1), 0.5, 0);
  assert.deepEqual(
    m.map((x) => Array.from(x)),
    [[1, 0], [5]],
  );
});

test('artist cap: at most N per artist, case-insensitive, keeping the closest; unknown artists are not capped', () => {
  const tracks = [
    track(0, 'ABBA', 'a'),
    track(1, 'abba ', 'b'),
    track(2, 'Abba', 'c'),
    track(3, null, 'd'),
    track(4, null, 'e'),
    track(5, 'Queen', 'f'),
  ];
  const artists = artistIds(tracks);
  assert.equal(artists[0], artists[1]);
  assert.equal(artists[3], -1);
  const labels = new Int32Array(6);
  const dist = Float64Array.from([0.3, 0.1, 0.2, 0.4, 0.5, 0.6]);
  assert.deepEqual(Array.from(selectMembers(labels, dist, 1, artists, 1, 2)[0]), [1, 2, 3, 4, 5]);
  assert.deepEqual(Array.from(selectMembers(labels, dist, 1, artists, 1, 0)[0]), [1, 2, 0, 3, 4, 5]);
});

test('duplicates: same title (ignoring remaster/edit suffixes) and artist, or a near-identical embedding', () => {
  assert.equal(normalizeTitle('Song (Remastered 2011)'), 'song');
  assert.equal(normalizeTitle('Song - Radio Edit'), 'song');
  assert.equal(normalizeTitle('  Song [Explicit] (Live) '), 'song');
  assert.equal(normalizeTitle('Song - Part Two'), 'song - part two');
  const tracks = [
    track(0, 'X', 'Song', [1, 0, 0]),
    track(1, 'x', 'Song (Remastered)', [0, 1, 0]), // same song, other master → dropped by title
    track(2, 'Y', 'Song', [0, 0, 1]), // same title, other artist → kept
    track(3, 'Z', 'Other', [0.5, 0.5, 0.5]),
    track(4, 'W', 'Other Live Take', [0.5, 0.5, 0.5001]), // next in title order, cosine distance ≈ 0 → dropped
    track(5, 'V', 'Zzz', [0.5, 0.5, 0.5]), // identical embedding but not adjacent in title order (lookback 1) → kept
  ];
  assert.deepEqual(removeDuplicates([0, 1, 2, 3, 4, 5], tracks, 0.01, 1), [0, 2, 3, 5]);
  assert.deepEqual(removeDuplicates([0, 1, 2, 3, 4, 5], tracks, 0.01, 3), [0, 2, 3]);
  assert.deepEqual(removeDuplicates([0, 1, 2, 3, 4, 5], tracks, 0, 1), [0, 2, 3, 4, 5]);
  // The closer song is the one kept.
  assert.deepEqual(removeDuplicates([1, 0], tracks, 0, 1), [1]);
});

test('chunking splits into balanced parts of at most MAX_SONGS_PER_CLUSTER', () => {
  const items = Array.from({ length: 85 }, (_, i) => i);
  const parts = chunkBalanced(items, 40);
  assert.deepEqual(
    parts.map((p) => p.length),
    [29, 28, 28],
  );
  assert.deepEqual(parts.flat(), items);
  assert.deepEqual(
    chunkBalanced(items, 0).map((p) => p.length),
    [85],
  );
  assert.deepEqual(
    chunkBalanced(items.slice(0, 40), 40).map((p) => p.length),
    [40],
  );
});

const layout: ProfileLayout = { moodLabels: ['rock', 'female vocalists', 'Hip-Hop', '00s'] };
// [tempo, energy, rock, female vocalists, Hip-Hop, 00s, danceable, aggressive, happy, party, relaxed, sad]
const profile = (tempo: number, moods: number[], heads = [0, 0, 0, 0, 0, 0]) =>
  Float64Array.from([tempo, 0.5, ...moods, ...heads]);

test('names: top three moods above 0.01, title-cased, tempo band at 0.33 / 0.66, then up to two heads ≥ 0.5', () => {
  assert.equal(titleCase('female vocalists'), 'Female Vocalists');
  assert.equal(titleCase('Hip-Hop'), 'Hip-Hop');
  assert.equal(titleCase('00s'), '00s');
  assert.equal(tempoBand(0.3299, DEFAULT_NAMING.tempoThresholds), 'Slow');
  assert.equal(tempoBand(0.33, DEFAULT_NAMING.tempoThresholds), 'Medium');
  assert.equal(tempoBand(0.6599, DEFAULT_NAMING.tempoThresholds), 'Medium');
  assert.equal(tempoBand(0.66, DEFAULT_NAMING.tempoThresholds), 'Fast');
  assert.equal(nameProfile(profile(0.1, [0.3, 0.6, 0.5, 0.4]), layout), 'Female Vocalists_Hip-Hop_00s_Slow');
  assert.equal(nameProfile(profile(0.5, [0.3, 0.01, 0, 0]), layout), 'Rock_Medium');
  assert.equal(nameProfile(profile(0.9, [0, 0, 0, 0]), layout), 'Mixed_Fast');
  assert.equal(nameProfile(profile(0.9, [0.2, 0, 0, 0], [0.5, 0.49, 0.9, 0.7, 0, 0]), layout), 'Rock_Fast_Happy_Party');
  assert.equal(
    nameProfile(profile(0.9, [0.2, 0, 0, 0], [0.5, 0.49, 0.9, 0.7, 0, 0]), layout, {
      ...DEFAULT_NAMING,
      maxOtherFeatures: 0,
    }),
    'Rock_Fast',
  );
});

test('published names carry the `_automatic` suffix, parts numbered after it', () => {
  assert.equal(automaticPlaylistName({ name: 'Rock_Pop_Indie_Fast' }), 'Rock_Pop_Indie_Fast_automatic');
  assert.equal(automaticPlaylistName({ name: 'Rock_Pop_Indie_Fast', part: 2 }), 'Rock_Pop_Indie_Fast_automatic (2)');
  assert.ok(isAutomaticPlaylistName('Rock_Fast_automatic'));
  assert.ok(isAutomaticPlaylistName('Rock_Fast_automatic (12)'));
  assert.ok(!isAutomaticPlaylistName('My Rock_automatic mix'));
});

test('post-processing merges clusters of the same name, re-applies the artist cap, drops small playlists, splits long ones', () => {
  const n = 70;
  const tracks = Array.from({ length: n }, (_, i) => track(i, i < 10 ? 'Solo' : `A${i}`, `Song ${i}`));
  const layout1: ProfileLayout = { moodLabels: ['rock'] };
  // Profile rows: [tempo, energy, rock, six heads]; tracks 0–59 rock 0.6, tracks 60–69 rock 0.
  const prof = matrix(
    n,
    9,
    Float64Array.from({ length: n * 9 }, (_, x) =>
      x % 9 === 2 && Math.floor(x / 9) < 60 ? 0.6 : x % 9 === 0 ? 0.8 : 0,
    ),
  );
  const cluster = (members: number[], name: string): WinnerCluster => ({
    members: Int32Array.from(members),
    distances: Float64Array.from(members, (i) => (i % 25) / 50),
    name,
  });
  const clusters = [
    cluster(
      Array.from({ length: 30 }, (_, i) => i),
      'Rock_Fast',
    ), // tracks 0–29 (0–9 by "Solo")
    cluster(
      Array.from({ length: 30 }, (_, i) => 30 + i),
      'Rock_Fast',
    ), // merged with the first
    cluster(
      Array.from({ length: 10 }, (_, i) => 60 + i),
      'Mixed_Fast',
    ), // 10 songs < 20 → dropped
    // Merged: 60 songs − 6 of Solo's = 54 → parts of 18, 18, 18 (≤ 25 each). Solo holds 10 of the 70 songs: its
    // cap is its share of a 25-song playlist, 4, above the configured 3.
  ];
  const out = postprocessClusters(clusters, tracks, prof, layout1, {
    maxSongsPerArtist: 3,
    maxSongsPerCluster: 25,
    minPlaylistSize: 20,
    duplicateCosine: 0,
  });
  assert.deepEqual(
    out.map((p) => [p.name, p.part, p.parts, p.trackIds.length]),
    [
      ['Rock_Fast', 1, 3, 18],
      ['Rock_Fast', 2, 3, 18],
      ['Rock_Fast', 3, 3, 18],
    ],
  );
  const ids = out.flatMap((p) => p.trackIds);
  assert.equal(ids.length, 60 - 6, 'Solo keeps 4 of its 10 songs');
  assert.equal(ids.filter((id) => Number(id.slice(1)) < 10).length, 4);
  // Closest first across the merged clusters: distances never decrease along the concatenated parts.
  const d = ids.map((id) => (Number(id.slice(1)) % 25) / 50);
  for (let i = 1; i < d.length; i++) assert.ok(d[i] >= d[i - 1]);
  assert.ok(Math.abs(out[0].centroidProfile.moods.rock - 0.6) < 1e-12);
  assert.ok(Math.abs(out[0].centroidProfile.tempo - 0.8) < 1e-12);
  // Without a minimum size the 10-song playlist survives.
  assert.equal(
    postprocessClusters(clusters, tracks, prof, layout1, { minPlaylistSize: 0, maxSongsPerCluster: 0 }).length,
    2,
  );
});
