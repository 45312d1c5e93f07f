// From clusters to playlists: member selection (also used inside every search iteration), tag names, and
// the post-processing of the winning clustering (reference `tasks/clustering_postprocessing.py`, seed v0.2).
import {
  DEFAULT_MIN_PLAYLIST_SIZE,
  LEFT_OUT_REASONS,
  type LeftOutReason,
  type LeftOutTrack,
} from '../../words/clustering-defaults.ts';
import {
  OTHER_FEATURE_LABELS,
  PROFILE_ENERGY,
  PROFILE_MOODS,
  PROFILE_TEMPO,
  profileHeadsOffset,
  type OtherFeature,
  type ProfileLayout,
  type TrackFeatures,
} from './features.ts';
import { cosineSimilarity } from './distance.ts';
import type { Matrix } from './types.ts';

/** `selection` codes: 0 = kept, else 1 + the index of the reason in LEFT_OUT_REASONS. */
export const leftOutCode = (reason: LeftOutReason): number => LEFT_OUT_REASONS.indexOf(reason) + 1;

/**
 * Members of each cluster 0..k-1, closest to the centroid first: distance ≤ maxDistance (0 = no limit), then
 * at most maxPerArtist songs per artist (one number, or each artist's from artistCaps; case-insensitive; tracks
 * without an artist are never capped; 0 = no cap). Noise (label -1) belongs to no cluster. `selection`, when
 * given, gets each left-out song's reason code.
 */
export function selectMembers(
  labels: Int32Array,
  normDist: Float64Array,
  k: number,
  artists: Int32Array,
  maxDistance: number,
  maxPerArtist: ArtistCaps,
  selection?: Int8Array,
): Int32Array[] {
  const buckets: number[][] = Array.from({ length: k }, () => []);
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] < 0) {
      if (selection) selection[i] = leftOutCode('noise');
    } else if (maxDistance > 0 && normDist[i] > maxDistance) {
      if (selection) selection[i] = leftOutCode('distance');
    } else buckets[labels[i]].push(i);
  }
  return buckets.map((b) => {
    b.sort((x, y) => normDist[x] - normDist[y] || x - y);
    const kept = capArtists(b, artists, maxPerArtist);
    if (selection && kept.length < b.length) {
      const inList = new Set(kept);
      for (const i of b) if (!inList.has(i)) selection[i] = leftOutCode('artistCap');
    }
    return Int32Array.from(kept);
  });
}

/** One cap for every artist, or one per artist id (0 = no cap). */
export type ArtistCaps = number | Int32Array;
export const capOf = (caps: ArtistCaps, artist: number): number =>
  typeof caps === 'number' ? caps : (caps[artist] ?? 0);

/**
 * Per artist id: MAX_SONGS_PER_ARTIST, or the artist's share of the library times a full playlist
 * (`playlistLength` songs) when that is more. The cap keeps one artist from filling a playlist; an artist
 * holding a fifth of the library (a soundtrack collection, a favourite band) may fill a fifth of one, instead
 * of losing most of its songs from every playlist.
 */
export function artistCaps(artists: Int32Array, cap: number, playlistLength: number): ArtistCaps {
  if (!(cap > 0)) return 0;
  const counts = new Int32Array(artists.reduce((m, a) => Math.max(m, a + 1), 0));
  for (const a of artists) if (a >= 0) counts[a]++;
  return counts.map((c) => Math.max(cap, Math.ceil((c / artists.length) * playlistLength)));
}

function capArtists(ordered: readonly number[], artists: Int32Array, caps: ArtistCaps): number[] {
  if (typeof caps === 'number' && caps <= 0) return [...ordered];
  const seen = new Map<number, number>();
  return ordered.filter((i) => {
    const a = artists[i];
    if (a < 0) return true;
    const c = seen.get(a) ?? 0;
    seen.set(a, c + 1);
    return c < capOf(caps, a);
  });
}

/** Artist ids (case-insensitive, trimmed; -1 for none) so per-artist caps compare integers. */
export function artistIds(tracks: readonly Pick<TrackFeatures, 'artist'>[]): Int32Array {
  const ids = new Map<string, number>();
  return Int32Array.from(tracks, (t) => {
    const key = t.artist?.trim().toLowerCase();
    if (!key) return -1;
    let id = ids.get(key);
    if (id === undefined) ids.set(key, (id = ids.size));
    return id;
  });
}

/** Mean profile row of the given members. */
export function meanProfile(profile: Matrix, members: ArrayLike<number>): Float64Array {
  const w = profile.cols;
  const out = new Float64Array(w);
  for (let s = 0; s < members.length; s++) {
    const o = members[s] * w;
    for (let j = 0; j < w; j++) out[j] += profile.data[o + j];
  }
  if (members.length > 0) for (let j = 0; j < w; j++) out[j] /= members.length;
  return out;
}

export interface NamingOptions {
  /** Normalised-tempo bounds of Slow | Medium | Fast (reference HEAD 0.33 / 0.66 ≈ 93 / 146 BPM). */
  tempoThresholds: readonly [number, number];
  /** A mood enters the name when its profile score is above this (reference 0.01). */
  moodThreshold: number;
  /** Moods in the name (reference 3). */
  moodsInName: number;
  /** A mood head is appended when its score is ≥ this (MOOD_SCORE_MATCH_THRESHOLD 0.5). */
  otherFeatureThreshold: number;
  /** Mood heads appended at most (reference 2; 0 = the seed's names). */
  maxOtherFeatures: number;
}

export const DEFAULT_NAMING: NamingOptions = {
  tempoThresholds: [0.33, 0.66],
  moodThreshold: 0.01,
  moodsInName: 3,
  otherFeatureThreshold: 0.5,
  maxOtherFeatures: 2,
};

/** First letter of every word upper-case, the rest lower-case ("female vocalists" → "Female Vocalists", "00s" → "00s"). */
export function titleCase(label: string): string {
  return label.toLowerCase().replace(/(^|[\s-])(\p{L})/gu, (_, sep: string, c: string) => sep + c.toUpperCase());
}

export function tempoBand(tempoNorm: number, thresholds: readonly [number, number]): 'Slow' | 'Medium' | 'Fast' {
  return tempoNorm < thresholds[0] ? 'Slow' : tempoNorm < thresholds[1] ? 'Medium' : 'Fast';
}

/** `Mood1_Mood2_Mood3_Tempo[_Head1_Head2]` from a profile row ("Mixed" when no mood scores). */
export function nameProfile(
  profile: Float64Array,
  layout: ProfileLayout,
  opts: NamingOptions = DEFAULT_NAMING,
): string {
  const m = layout.moodLabels.length;
  const moods = Array.from({ length: m }, (_, j) => j)
    .filter((j) => profile[PROFILE_MOODS + j] > opts.moodThreshold)
    .sort((a, b) => profile[PROFILE_MOODS + b] - profile[PROFILE_MOODS + a] || a - b)
    .slice(0, opts.moodsInName)
    .map((j) => titleCase(layout.moodLabels[j]));
  const off = profileHeadsOffset(layout);
  const heads = OTHER_FEATURE_LABELS.map((label, j) => ({ label, v: profile[off + j], j }))
    .filter((h) => h.v >= opts.otherFeatureThreshold)
    .sort((a, b) => b.v - a.v || a.j - b.j)
    .slice(0, opts.maxOtherFeatures)
    .map((h) => titleCase(h.label));
  return [
    ...(moods.length ? moods : ['Mixed']),
    tempoBand(profile[PROFILE_TEMPO], opts.tempoThresholds),
    ...heads,
  ].join('_');
}

/** Human-readable centroid, kept with each playlist (AI naming and reports read it). */
export interface CentroidProfile {
  /** Normalised tempo (0 = 40 BPM, 1 = 200 BPM by default) and energy. */
  tempo: number;
  energy: number;
  moods: Record<string, number>;
  otherFeatures: Record<OtherFeature, number>;
}

export function centroidProfile(profile: Float64Array, layout: ProfileLayout): CentroidProfile {
  const off = profileHeadsOffset(layout);
  return {
    tempo: profile[PROFILE_TEMPO],
    energy: profile[PROFILE_ENERGY],
    moods: Object.fromEntries(layout.moodLabels.map((l, j) => [l, profile[PROFILE_MOODS + j]])),
    otherFeatures: Object.fromEntries(OTHER_FEATURE_LABELS.map((l, j) => [l, profile[off + j]])) as Record<
      OtherFeature,
      number
    >,
  };
}

/** One cluster of the winning clustering, as the search hands it over. */
export interface WinnerCluster {
  /** Track indices, closest first (already distance-filtered and artist-capped). */
  members: Int32Array;
  /** Normalised distances to the centroid, aligned with members. */
  distances: Float64Array;
  name: string;
}

export interface PostprocessOptions {
  maxSongsPerArtist: number;
  /** MAX_SONGS_PER_CLUSTER: longer playlists are split into balanced parts (0 = never). */
  maxSongsPerCluster: number;
  /** MIN_PLAYLIST_SIZE_FOR_TOP_N: smaller playlists are dropped (after duplicates are removed). */
  minPlaylistSize: number;
  /** DUPLICATE_DISTANCE_THRESHOLD_COSINE (0 disables the embedding check). */
  duplicateCosine: number;
  /** DUPLICATE_DISTANCE_CHECK_LOOKBACK. */
  duplicateLookback: number;
}

export const DEFAULT_POSTPROCESS: PostprocessOptions = {
  maxSongsPerArtist: 3,
  maxSongsPerCluster: 40,
  minPlaylistSize: DEFAULT_MIN_PLAYLIST_SIZE,
  duplicateCosine: 0.01,
  duplicateLookback: 1,
};

export interface Playlist {
  /** Tag name without the `_automatic` suffix; publish with automaticPlaylistName(). */
  name: string;
  trackIds: string[];
  centroidProfile: CentroidProfile;
  /** 1-based part number when the playlist was split by maxSongsPerCluster. */
  part?: number;
  parts?: number;
}

/**
 * Name on the media server: `<name>_automatic`, and `<name>_automatic (i)` for parts (reference HEAD).
 * Cleanup must match both forms (HEAD's `endswith('_automatic')` misses the parts).
 */
export function automaticPlaylistName(p: Pick<Playlist, 'name' | 'part'>): string {
  return `${p.name}_automatic${p.part ? ` (${p.part})` : ''}`;
}

/** The suffix of our playlist names, with the part number of a split playlist as group 1. */
export const AUTOMATIC_SUFFIX = /_automatic( \(\d+\))?$/;
export const isAutomaticPlaylistName = (name: string): boolean => AUTOMATIC_SUFFIX.test(name);

/** Title for duplicate detection: lower-case, without trailing "(…)"/"[…]" groups or " - Remastered"-style suffixes. */
export function normalizeTitle(title: string): string {
  let t = title.normalize('NFKC').toLowerCase().trim();
  for (let prev = ''; prev !== t;) {
    prev = t;
    t = t
      .replace(/\s*[([][^()[\]]*[)\]]\s*$/u, '')
      .replace(
        /\s+-\s+[^-]*\b(remaster(ed)?|edit|version|live|mono|stereo|mix|explicit|clean|deluxe|bonus)\b[^-]*$/u,
        '',
      )
      .trim();
  }
  return t.replace(/\s+/g, ' ');
}

/**
 * Drops, keeping the song closest to the centroid: (1) songs whose normalised title and artist repeat an
 * earlier one; (2) songs whose embedding is within `cosine` of one of the previous `lookback` kept songs
 * in title order (the reference sorts by title before comparing neighbours).
 */
export function removeDuplicates(
  members: readonly number[],
  tracks: readonly TrackFeatures[],
  cosine: number,
  lookback: number,
): number[] {
  const seen = new Set<string>();
  const byTitle = members.filter((i) => {
    const t = tracks[i];
    if (!t.title?.trim()) return true;
    const key = `${normalizeTitle(t.title)}\u0000${t.artist?.trim().toLowerCase() ?? ''}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  if (!(cosine > 0) || lookback < 1) return byTitle;
  const rank = new Map(byTitle.map((i, r) => [i, r]));
  const titleOrder = [...byTitle].sort((a, b) => {
    const ta = normalizeTitle(tracks[a].title ?? ''),
      tb = normalizeTitle(tracks[b].title ?? '');
    return ta < tb ? -1 : ta > tb ? 1 : rank.get(a)! - rank.get(b)!;
  });
  const kept: number[] = [];
  const dropped = new Set<number>();
  for (const i of titleOrder) {
    const e = tracks[i].embedding;
    const dup =
      e &&
      kept.slice(-lookback).some((j) => {
        const f = tracks[j].embedding;
        return f && f.length === e.length && 1 - cosineSimilarity(e, f) < cosine;
      });
    if (dup) dropped.add(i);
    else kept.push(i);
  }
  return byTitle.filter((i) => !dropped.has(i));
}

/** Splits into ceil(n / max) consecutive parts whose sizes differ by at most one. */
export function chunkBalanced<T>(items: readonly T[], max: number): T[][] {
  if (max <= 0 || items.length <= max) return [[...items]];
  const parts = Math.ceil(items.length / max);
  const base = Math.floor(items.length / parts);
  const extra = items.length % parts;
  const out: T[][] = [];
  let at = 0;
  for (let p = 0; p < parts; p++) {
    const size = base + (p < extra ? 1 : 0);
    out.push(items.slice(at, at + size));
    at += size;
  }
  return out;
}

/**
 * Playlists from the winning clusters: clusters with the same name are merged (closest songs first, artist
 * cap re-applied), duplicates removed, playlists below minPlaylistSize dropped, long ones split.
 * `tracks` and `profile` are indexed like the search data.
 */
export function postprocessClusters(
  clusters: readonly WinnerCluster[],
  tracks: readonly TrackFeatures[],
  profile: Matrix,
  layout: ProfileLayout,
  options: Partial<PostprocessOptions> = {},
): Playlist[] {
  return postprocessWinner(clusters, tracks, profile, layout, options).playlists;
}

/**
 * postprocessClusters, and every song of the clusters or of `selection` in no playlist with its reason:
 * the search's `selection` codes (noise, distance, artist cap; EvaluatedCandidate.selection), then the cap of
 * a merged playlist, a duplicate, or a playlist under the floor.
 */
export function postprocessWinner(
  clusters: readonly WinnerCluster[],
  tracks: readonly TrackFeatures[],
  profile: Matrix,
  layout: ProfileLayout,
  options: Partial<PostprocessOptions> = {},
  selection: Int8Array = new Int8Array(tracks.length),
): { playlists: Playlist[]; leftOut: LeftOutTrack[] } {
  const o = { ...DEFAULT_POSTPROCESS, ...options };
  if (profile.rows !== tracks.length)
    throw new RangeError(`postprocessClusters: ${tracks.length} tracks but ${profile.rows} profile rows`);
  const groups = new Map<string, { members: number[]; dist: Map<number, number> }>();
  for (const c of clusters) {
    let g = groups.get(c.name);
    if (!g) groups.set(c.name, (g = { members: [], dist: new Map() }));
    c.members.forEach((i, s) => {
      g.members.push(i);
      g.dist.set(i, c.distances[s]);
    });
  }
  const artists = artistIds(tracks);
  const caps = artistCaps(artists, o.maxSongsPerArtist, o.maxSongsPerCluster || DEFAULT_POSTPROCESS.maxSongsPerCluster);
  const reasons = new Map<number, LeftOutReason>();
  const leave = (from: readonly number[], kept: readonly number[], reason: LeftOutReason) => {
    const inList = new Set(kept);
    for (const i of from) if (!inList.has(i)) reasons.set(i, reason);
  };
  const playlists: Playlist[] = [];
  for (const [name, g] of groups) {
    const ordered = [...g.members].sort((a, b) => g.dist.get(a)! - g.dist.get(b)! || a - b);
    const capped = capArtists(ordered, artists, caps);
    leave(ordered, capped, 'artistCap');
    const members = removeDuplicates(capped, tracks, o.duplicateCosine, o.duplicateLookback);
    leave(capped, members, 'duplicate');
    if (members.length === 0 || members.length < o.minPlaylistSize) {
      leave(members, [], 'smallCluster');
      continue;
    }
    const centroid = centroidProfile(meanProfile(profile, members), layout);
    const parts = chunkBalanced(members, o.maxSongsPerCluster);
    parts.forEach((part, p) => {
      playlists.push({
        name,
        trackIds: part.map((i) => tracks[i].id),
        centroidProfile: centroid,
        ...(parts.length > 1 ? { part: p + 1, parts: parts.length } : {}),
      });
    });
  }
  const inPlaylist = new Set(playlists.flatMap((p) => p.trackIds));
  const leftOut: LeftOutTrack[] = [];
  tracks.forEach((t, i) => {
    if (inPlaylist.has(t.id)) return;
    const reason = selection[i] > 0 ? LEFT_OUT_REASONS[selection[i] - 1] : reasons.get(i);
    if (reason) leftOut.push({ trackId: t.id, reason });
  });
  return { playlists, leftOut };
}
