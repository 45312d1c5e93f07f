// Song alchemy and multi-seed instant mixes (POST /api/alchemy): songs, artists (the centroid of their songs) and
// stored playlists are added or subtracted; the answer is drawn near the ADD centroid, away from the SUBTRACT one,
// over the same in-memory library as the similarity queries.
import type { Pool } from '../lib/db.ts';
import { playlistItems } from '../lib/store/saved-playlists.ts';
import { angularDistance, centroid, sampleByTemperature } from '../engines/similarity/alchemy.ts';
import { Rng } from '../engines/clustering/rng.ts';
import { foldedNames, nameKey, songFilter, type ListeningFilters } from '../engines/similarity/filters.ts';
import {
  cappedNearest,
  distinctPicks,
  sameRecording,
  songRow,
  UnknownSongError,
  type LoadedLibrary,
  type SimilarityQueries,
  type SimilarSong,
} from './similarity.ts';

export type AlchemyOp = 'ADD' | 'SUBTRACT';
export type AlchemyItemType = 'song' | 'artist' | 'playlist';

export interface AlchemyItem {
  /** A song's item id, an artist's name or server id, or a playlist's id (ours or the server's). */
  id: string;
  op: AlchemyOp;
  type: AlchemyItemType;
  /** For a playlist: its songs' item ids, instead of a stored playlist (a result list not saved yet). */
  itemIds?: readonly string[];
}

export interface AlchemyRequest {
  items: readonly AlchemyItem[];
  n: number;
  /** 0: the nearest songs; higher: a softmax over similarity, flatter as it grows (the original's default 1). */
  temperature: number;
  /** Seed of the sampling; a random one (reported back) when absent. */
  seed?: number;
  /** Angular distance arccos(cos)/π within which songs near the SUBTRACT centroid are dropped. */
  subtractDistance: number;
  eliminateDuplicates: boolean;
  filters: ListeningFilters;
}

/** An item as the answer shows it: what it was resolved to. */
export interface AlchemyPoint {
  item_id: string;
  type: AlchemyItemType;
  title: string | null;
  author: string | null;
  /** Songs it stands for. */
  songs: number;
}

export interface AlchemyAnswer {
  results: SimilarSong[];
  /** Near the ADD centroid but within the SUBTRACT radius: left out. Distances are to the ADD centroid. */
  filtered_out: SimilarSong[];
  add_centroid_vector: number[];
  subtract_centroid_vector: number[] | null;
  add_points: AlchemyPoint[];
  sub_points: AlchemyPoint[];
  /** Items naming nothing analysed here (skipped, as the original skips them). */
  unknown_items: { id: string; type: AlchemyItemType; op: AlchemyOp }[];
  temperature: number;
  seed: number;
}

/** The original's request limit (ALCHEMY_MAX_N_RESULTS). */
export const ALCHEMY_MAX_N = 200;

export class AlchemyQueries {
  constructor(
    private readonly pool: Pool,
    private readonly source: string,
    private readonly similarity: SimilarityQueries,
  ) {}

  async alchemy(req: AlchemyRequest): Promise<AlchemyAnswer> {
    const lib = await this.similarity.current();
    const unknown: AlchemyAnswer['unknown_items'] = [];
    const resolved = { ADD: [] as Resolved[], SUBTRACT: [] as Resolved[] };
    for (const item of req.items) {
      const r = await this.resolve(lib, item);
      if (r) resolved[item.op].push(r);
      else unknown.push({ id: item.id, type: item.type, op: item.op });
    }
    if (!resolved.ADD.length)
      throw new UnknownSongError(
        `none of the ADD items names an analysed song, artist or stored playlist (${unknown.map((u) => `${u.type} ${u.id}`).join(', ')})`,
      );
    // Each item weighs 1: an artist of 300 songs counts as much as one song.
    const itemCentroid = (r: Resolved) => centroid(r.rows.map((i) => lib.space.row(i)))!;
    const add = centroid(resolved.ADD.map(itemCentroid))!;
    const sub = resolved.SUBTRACT.length ? centroid(resolved.SUBTRACT.map(itemCentroid))! : undefined;

    // The songs named as items never come back; with duplicates eliminated, nor do their other versions.
    const named = new Set<number>();
    for (const r of [...resolved.ADD, ...resolved.SUBTRACT]) if (r.type === 'song') named.add(r.rows[0]);
    const eligible = songFilter(lib.tracks, req.filters);
    const allowed = (i: number) =>
      eligible(i) && !named.has(i) && (!req.eliminateDuplicates || ![...named].some((n) => sameRecording(lib, n, i)));
    const nearSub = (i: number) => sub !== undefined && angularDistance(lib.space.row(i), sub) < req.subtractDistance;

    const want = 3 * req.n; // the original samples among 3n candidates
    const filteredOut = sub ? lib.space.nearest(add, want, allowed).filter((c) => nearSub(c.index)) : [];
    const pool = cappedNearest(lib, add, want, (i) => allowed(i) && !nearSub(i), req.filters.maxSongsPerArtist);
    const distinct = distinctPicks(lib, req.eliminateDuplicates, req.filters.maxSongsPerArtist);
    const seed = req.seed ?? Math.floor(Math.random() * 2 ** 32);
    const chosen = sampleByTemperature(pool, req.n, req.temperature, new Rng(seed), distinct);

    return {
      results: chosen.map((c) => songRow(lib, c.index, c.distance)),
      filtered_out: filteredOut.map((c) => songRow(lib, c.index, c.distance)),
      add_centroid_vector: Array.from(add),
      subtract_centroid_vector: sub ? Array.from(sub) : null,
      add_points: resolved.ADD.map((r) => r.point),
      sub_points: resolved.SUBTRACT.map((r) => r.point),
      unknown_items: unknown,
      temperature: req.temperature,
      seed,
    };
  }

  /** The library rows an item stands for; undefined when it names nothing analysed. */
  private async resolve(lib: LoadedLibrary, item: AlchemyItem): Promise<Resolved | undefined> {
    const point = (title: string | null, author: string | null, rows: number[]): Resolved => ({
      type: item.type,
      rows,
      point: { item_id: item.id, type: item.type, title, author, songs: rows.length },
    });
    if (item.type === 'song') {
      const i = lib.byItemId.get(item.id);
      return i === undefined ? undefined : point(lib.tracks[i].title, lib.tracks[i].artist, [i]);
    }
    if (item.type === 'artist') {
      const key = nameKey(item.id);
      const names = foldedNames(lib.tracks);
      const rows: number[] = [];
      lib.tracks.forEach((t, i) => {
        if (lib.space.has(i) && (t.artistId === item.id || (key && names.artist(i) === key))) rows.push(i);
      });
      return rows.length ? point(null, lib.tracks[rows[0]].artist, rows) : undefined;
    }
    const stored = item.itemIds
      ? { name: null, itemIds: item.itemIds }
      : await playlistItems(this.pool, this.source, item.id);
    const rows = (stored?.itemIds ?? []).flatMap((id) => lib.byItemId.get(id) ?? []);
    return rows.length ? point(stored!.name, null, [...new Set(rows)]) : undefined;
  }
}

interface Resolved {
  type: AlchemyItemType;
  rows: number[];
  point: AlchemyPoint;
}
