// A person's sonic fingerprint playlist (GET|POST /api/sonic_fingerprint/generate, `audiomuse fingerprint`): their
// listening history (stored per user) makes a few weighted centroids (engines/similarity/fingerprint.ts), each
// expanded by its nearest songs in the similarity library, interleaved in proportion to the centroids' weights,
// after the seeds (the original's order) unless they are left out.
import type { Pool } from '../lib/db.ts';
import { playedTracks } from '../lib/store/listening-history.ts';
import { userById, userByServerIdentity, type User } from '../lib/store/users.ts';
import type { VectorScope } from '../lib/store/vectors.ts';
import { foldedNames, songFilter, type ListeningFilters } from '../engines/similarity/filters.ts';
import {
  interleaveByWeight,
  sonicFingerprint,
  type FingerprintSeed,
  type PlayedSong,
} from '../engines/similarity/fingerprint.ts';
import {
  cappedNearest,
  distinctPicks,
  sameRecording,
  songRow,
  type LoadedLibrary,
  type SimilarityQueries,
  type SimilarSong,
} from './similarity.ts';

/** The original's SONIC_FINGERPRINT_NEIGHBORS: songs in the answer, seeds included. */
export const FINGERPRINT_SONGS = 100;

/** A user named in a request who is not in `users` (for this source): a 404 naming the field. */
export class UnknownUserError extends Error {
  override name = 'UnknownUserError';
  constructor(
    message: string,
    readonly field: string,
  ) {
    super(message);
  }
}

export interface FingerprintRequest {
  /** Our users.id, or the media server's user id or name (Jellyfin "username or user id", Navidrome user name),
   *  with the request field that named it. */
  user: { id: string; field: string } | { identifier: string; field: string };
  n: number;
  /** Start the answer with the seeds (the original does). */
  includeSeeds: boolean;
  eliminateDuplicates: boolean;
  topN?: number;
  maxPerAlbum?: number;
  filters: ListeningFilters;
  now?: Date;
}

export interface FingerprintAnswer {
  user: User;
  /** Seeds first (when included), then the neighbours; `distance` is to the song's own centroid. */
  songs: SimilarSong[];
  /** Heaviest first, with what made their weight. */
  seeds: (Omit<FingerprintSeed, 'id'> & { item_id: string; title: string | null; author: string | null })[];
  centroids: { weight: number; seeds: string[]; songs: number }[];
  /** Songs of the history among the analysed ones (the rest is not analysed, or of another analysis version). */
  playedSongs: number;
}

export class SonicFingerprintQueries {
  constructor(
    private readonly pool: Pool,
    private readonly scope: Omit<VectorScope, 'trackIds'>,
    private readonly similarity: SimilarityQueries,
  ) {}

  async resolveUser(user: FingerprintRequest['user']): Promise<User> {
    const { source } = this.scope;
    const found =
      'id' in user
        ? await userById(this.pool, source, user.id)
        : await userByServerIdentity(this.pool, source, user.identifier);
    if (!found)
      throw new UnknownUserError(
        `${user.field}: no user ${'id' in user ? user.id : `"${user.identifier}"`} of the ${source} source is known here`,
        user.field,
      );
    return found;
  }

  async generate(req: FingerprintRequest): Promise<FingerprintAnswer> {
    const user = await this.resolveUser(req.user);
    const lib = await this.similarity.current();
    const history = await playedTracks(this.pool, user.id, this.scope);
    const albumKey = albumKeys(lib);
    const played: PlayedSong[] = history.flatMap((h) => {
      const i = lib.byItemId.get(h.itemId);
      if (i === undefined || !lib.space.has(i)) return [];
      return [
        {
          id: i,
          songKey: lib.keys[i],
          albumKey: albumKey(i),
          embedding: lib.space.row(i),
          playCount: h.playCount,
          lastPlayed: h.lastPlayed,
          favourite: h.favourite,
        },
      ];
    });
    const fp = sonicFingerprint(played, {
      now: req.now ?? new Date(),
      topN: req.topN,
      maxPerAlbum: req.maxPerAlbum,
    });
    // Nothing played that is analysed: no fingerprint, an empty answer (as the original's).
    if (!fp) return { user, songs: [], seeds: [], centroids: [], playedSongs: played.length };

    const seedRows = fp.seeds.map((s) => s.id);
    const seedSet = new Set(seedRows);
    const eligible = songFilter(lib.tracks, req.filters);
    const distinct = distinctPicks(lib, req.eliminateDuplicates, req.filters.maxSongsPerArtist);
    const toCentroid = (i: number, c: number) => Math.max(0, lib.space.distanceTo(fp.centroids[c].vector, i));

    // Never a seed as a neighbour, nor (with duplicates eliminated) another version of one, listed or not.
    const allowed = (i: number) =>
      eligible(i) && !seedSet.has(i) && (!req.eliminateDuplicates || !seedRows.some((s) => sameRecording(lib, s, i)));
    // Each list deep enough to fill the answer alone, with room for the picks the others make.
    const want = 2 * req.n + seedRows.length;
    // A centroid's share of the answer is its weight's, its own seeds (those the filters let through) taking it
    // first: a mix played once through lists a seed or two, not a dozen.
    const lists = fp.centroids.map((c, ci) => [
      ...(req.includeSeeds
        ? fp.seeds
            .filter((s) => s.centroid === ci && eligible(s.id))
            .map((s) => ({ index: s.id, distance: toCentroid(s.id, ci) }))
        : []),
      ...cappedNearest(lib, c.vector, want, allowed, req.filters.maxSongsPerArtist),
    ]);
    const mixed = interleaveByWeight(
      lists,
      fp.centroids.map((c) => c.weight),
      req.n,
      distinct,
    ).map((m) => ({ ...m.neighbour, centroid: m.list }));
    // The seeds first, as the original lists them.
    const picks = [...mixed.filter((m) => seedSet.has(m.index)), ...mixed.filter((m) => !seedSet.has(m.index))];

    return {
      user,
      songs: picks.map((p) => songRow(lib, p.index, p.distance)),
      seeds: fp.seeds.map(({ id, ...s }) => {
        const t = lib.tracks[id];
        return { item_id: t.itemId, title: t.title, author: t.artist, ...s };
      }),
      centroids: fp.centroids.map((c, ci) => ({
        weight: c.weight,
        seeds: c.seeds.map((i) => lib.tracks[i].itemId),
        songs: picks.filter((p) => p.centroid === ci).length,
      })),
      playedSongs: played.length,
    };
  }
}

/** An album's key for the per-album cap: the server's album id, else the artist's and album's folded names. */
function albumKeys(lib: LoadedLibrary): (row: number) => string {
  const names = foldedNames(lib.tracks);
  return (i) => {
    const t = lib.tracks[i];
    if (t.albumId) return `id:${t.albumId}`;
    return names.album(i) ? `${names.artist(i)}\u0000${names.album(i)}` : '';
  };
}
