// A clustering run's result in plain words, the same on the page and in the CLI: the settings the library's
// size changed, and why songs are in no playlist.
import type { LeftOutReason, SizeChange } from './clustering-defaults.ts';

/** Each reason as a song's label (one row of a list). */
export const LEFT_OUT_LABEL: Record<LeftOutReason, string> = {
  distance: 'farther than the distance filter',
  artistCap: 'cut by the artist cap',
  duplicate: 'a duplicate',
  smallCluster: 'in a cluster under the playlist floor',
  noise: 'in no cluster (noise)',
};

/** Each reason after a count ("3 duplicates"), in the order a sentence names them: the commonest causes first. */
const COUNTED: Record<LeftOutReason, (n: number) => string> = {
  distance: () => 'farther than the distance filter',
  artistCap: () => 'cut by the artist cap',
  duplicate: (n) => (n === 1 ? 'duplicate' : 'duplicates'),
  smallCluster: (n) => `in ${n === 1 ? 'a cluster' : 'clusters'} under the playlist floor`,
  noise: () => 'in no cluster (noise)',
};

const range = (v: number | [number, number]) =>
  typeof v === 'number' ? String(v) : v[0] === v[1] ? `${v[0]}` : `${v[0]}–${v[1]}`;

/** What each fitted setting means to a listener, new value and old. */
const FITTED: Record<SizeChange['field'], (to: string, from: string) => string> = {
  minPlaylistSize: (to, from) => `playlists of at least ${to} songs (was ${from})`,
  numClusters: (to, from) => `${to} clusters (was ${from})`,
  gmmComponents: (to, from) => `${to} GMM components (was ${from})`,
  dbscanMinSamples: (to, from) => `DBSCAN neighbourhoods of ${to} songs (was ${from})`,
};

/** "Fitted to your 100 songs: playlists of at least 10 songs (was 20), 5–10 clusters (was 20–60)"; '' when nothing changed. */
export function fittedSentence(trackCount: number | null, changes: readonly SizeChange[]): string {
  if (!changes.length) return '';
  const songs = trackCount === null ? 'your library' : `your ${trackCount.toLocaleString('en')} songs`;
  return `Fitted to ${songs}: ${changes.map((c) => FITTED[c.field](range(c.to), range(c.from))).join(', ')}.`;
}

/** "12 of 100 songs are in no playlist: 8 farther than the distance filter, 4 duplicates" (non-zero reasons only). */
export function leftOutSentence(trackCount: number | null, counts: Partial<Record<LeftOutReason, number>>): string {
  const present = (Object.keys(COUNTED) as LeftOutReason[]).filter((r) => (counts[r] ?? 0) > 0);
  const total = present.reduce((a, r) => a + counts[r]!, 0);
  const all = trackCount === null ? '' : trackCount.toLocaleString('en');
  if (!total) return trackCount === null ? 'Every song is in a playlist.' : `All ${all} songs are in a playlist.`;
  const of = trackCount === null ? '' : ` of ${all}`;
  const parts = present.map((r) => `${counts[r]!.toLocaleString('en')} ${COUNTED[r](counts[r]!)}`);
  return `${total.toLocaleString('en')}${of} ${total === 1 && !of ? 'song' : 'songs'} ${total === 1 ? 'is' : 'are'} in no playlist: ${parts.join(', ')}.`;
}
