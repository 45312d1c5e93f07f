// Stable playlist names between runs: a new playlist that shares at least half of its tracks with one the
// last run published keeps that playlist's name, so a favourite "Chill_Slow_automatic" survives re-clustering.
// Pure: no I/O.

export interface NewPlaylist {
  tagName: string;
  /** The name it would get: `<tagName>_automatic[ (part)]`. */
  name: string;
  trackIds: readonly string[];
}

export interface PreviousPlaylist {
  name: string;
  trackIds: readonly string[];
}

export interface StableNames {
  /** Aligned with the new playlists. */
  names: { name: string; kept: boolean }[];
  kept: number;
  new: number;
  removed: number;
}

/** Share of a playlist's tracks a predecessor must hold for its name to carry over. */
export const KEEP_NAME_OVERLAP = 0.5;

export function keepStableNames(playlists: readonly NewPlaylist[], previous: readonly PreviousPlaylist[]): StableNames {
  const prevSets = previous.map((p) => new Set(p.trackIds));
  const claimed = new Set<number>();
  const names: { name: string; kept: boolean }[] = playlists.map((p) => ({ name: p.name, kept: false }));
  // Larger playlists choose first; ties in their order, so the outcome is deterministic.
  const order = playlists
    .map((_, i) => i)
    .sort((a, b) => playlists[b].trackIds.length - playlists[a].trackIds.length || a - b);
  for (const i of order) {
    const ids = playlists[i].trackIds;
    let best = -1,
      bestShared = 0;
    prevSets.forEach((set, j) => {
      if (claimed.has(j)) return;
      let shared = 0;
      for (const id of ids) if (set.has(id)) shared++;
      if (shared > bestShared) {
        best = j;
        bestShared = shared;
      }
    });
    if (best >= 0 && ids.length > 0 && bestShared >= KEEP_NAME_OVERLAP * ids.length) {
      claimed.add(best);
      names[i] = { name: previous[best].name, kept: true };
    }
  }
  // A fresh name must not repeat a kept one (or another fresh one): number it like a split part.
  const taken = new Set(names.filter((n) => n.kept).map((n) => n.name.toLowerCase()));
  names.forEach((n, i) => {
    if (n.kept) return;
    let name = n.name;
    for (let k = 2; taken.has(name.toLowerCase()); k++) name = `${playlists[i].tagName}_automatic (${k})`;
    taken.add(name.toLowerCase());
    names[i] = { name, kept: false };
  });
  const kept = claimed.size;
  return { names, kept, new: playlists.length - kept, removed: previous.length - kept };
}
