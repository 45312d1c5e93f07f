// Similar artists (GET /api/similar_artists, `audiomuse artists`), in the original's shape: one small mixture
// model per artist over their songs' embeddings, compared with a soft Chamfer distance. The models are built
// once per library snapshot, on the first artist question about it, and dropped with the snapshot; song
// questions never wait for them. Artists are grouped by normalised name, as the original groups by author.
import {
  ArtistSpace,
  componentMatches,
  fitArtistModel,
  representativeSongs,
  type ArtistModel,
} from '../engines/similarity/artist-models.ts';
import { artistKey, songFilter, type ListeningFilters } from '../engines/similarity/filters.ts';
import type { LoadedLibrary, SimilarityQueries } from './similarity.ts';

/** Component pairs, and songs per component, that explain a match (the original's top_k = 3 for both). */
const MATCHES = 3;
const REPRESENTATIVES = 3;

export interface RepresentativeSong {
  item_id: string;
  title: string | null;
  /** Cosine distance from the song to the component's mean. */
  distance_to_component: number;
}

export interface ComponentMatchRow {
  component1_index: number;
  component2_index: number;
  distance: number;
  component1_weight: number;
  component2_weight: number;
  /** Songs of the asked-for artist, then of the similar one: the Navidrome plugin's artist radio plays them. */
  artist1_representative_songs: RepresentativeSong[];
  artist2_representative_songs: RepresentativeSong[];
}

/** One answer row, in the original's shape. */
export interface SimilarArtist {
  artist: string;
  /** The media server's artist id (null when the server gave none). */
  artist_id: string | null;
  /** Soft Chamfer distance between the two artists' models (0 = alike). */
  divergence: number;
  component_matches?: ComponentMatchRow[];
  query_artist_components?: number;
  candidate_artist_components?: number;
}

export class UnknownArtistError extends Error {
  override name = 'UnknownArtistError';
}

interface Artists {
  names: string[];
  ids: (string | null)[];
  /** Each artist's songs, as library indices. */
  songs: number[][];
  models: ArtistModel[];
  space: ArtistSpace;
  byName: Map<string, number>;
  byId: Map<string, number>;
}

/** The most frequent non-null value (first seen wins a tie). */
function mostCommon<T>(values: readonly (T | null)[]): T | null {
  const counts = new Map<T, number>();
  for (const v of values) if (v !== null) counts.set(v, (counts.get(v) ?? 0) + 1);
  let best: T | null = null;
  for (const [v, c] of counts) if (best === null || c > counts.get(best)!) best = v;
  return best;
}

export class SimilarArtistsQueries {
  private building?: { version: number; built: Promise<Artists> };
  private ready?: { version: number; artists: Artists };

  constructor(private readonly similarity: SimilarityQueries) {}

  /**
   * The `n` artists most like one named by name or by the media server's artist id (the Navidrome plugin sends
   * its artist id in `artist`), nearest first. `byId` tries the id first (the `artist_id` parameter).
   */
  async similarArtists(req: {
    artist: string;
    byId?: boolean;
    n: number;
    includeComponentMatches: boolean;
    /** An artist is an answer when one of their songs passes (blocklists, durations, library). */
    filters?: ListeningFilters;
  }): Promise<SimilarArtist[]> {
    const lib = await this.similarity.current();
    const artists = await this.artists(lib);
    const byName = artists.byName.get(artistKey({ artist: req.artist })),
      byId = artists.byId.get(req.artist);
    const query = req.byId ? (byId ?? byName) : (byName ?? byId);
    if (query === undefined)
      throw new UnknownArtistError(`no analysed songs by an artist named or with id ${req.artist}`);
    const eligible = songFilter(lib.tracks, req.filters ?? {});
    const accept = (a: number) => artists.songs[a].some((i) => lib.space.has(i) && eligible(i));
    return artists.space.nearest(query, req.n, accept).map(({ index, distance }) => {
      const row: SimilarArtist = { artist: artists.names[index], artist_id: artists.ids[index], divergence: distance };
      if (!req.includeComponentMatches) return row;
      const [q, c] = [artists.models[query], artists.models[index]];
      const representatives = (artist: number, component: number) =>
        representativeSongs(
          artists.models[artist].means[component],
          artists.songs[artist].map((i) => lib.space.row(i)),
          REPRESENTATIVES,
        ).map((s) => {
          const t = lib.tracks[artists.songs[artist][s.index]];
          return { item_id: t.itemId, title: t.title, distance_to_component: s.distance };
        });
      row.component_matches = componentMatches(q, c, MATCHES).map((m) => ({
        component1_index: m.component1,
        component2_index: m.component2,
        distance: m.distance,
        component1_weight: q.weights[m.component1],
        component2_weight: c.weights[m.component2],
        artist1_representative_songs: representatives(query, m.component1),
        artist2_representative_songs: representatives(index, m.component2),
      }));
      row.query_artist_components = q.means.length;
      row.candidate_artist_components = c.means.length;
      return row;
    });
  }

  /**
   * The library's artists and their models, built again when the library changed (an album more or less). The last
   * finished models answer while newer ones build: one album moves little in who sounds like whom, and a question
   * never waits for a rebuild it did not need.
   */
  private artists(lib: LoadedLibrary): Promise<Artists> {
    if (this.building?.version !== lib.version) {
      const building = { version: lib.version, built: this.build(lib) };
      this.building = building;
      building.built.then(
        (artists) => {
          if (!this.ready || this.ready.version < building.version) this.ready = { version: building.version, artists };
        },
        () => {
          if (this.building === building) this.building = undefined;
        },
      );
    }
    return this.ready ? Promise.resolve(this.ready.artists) : this.building!.built;
  }

  private async build(lib: LoadedLibrary): Promise<Artists> {
    const groups = new Map<string, number[]>();
    lib.artistKeys.forEach((key, i) => {
      if (!lib.space.has(i) || !key) return;
      const songs = groups.get(key);
      if (songs) songs.push(i);
      else groups.set(key, [i]);
    });
    const songs = [...groups.values()];
    const names = songs.map((s) => mostCommon(s.map((i) => lib.tracks[i].artist))!);
    const ids = songs.map((s) => mostCommon(s.map((i) => lib.tracks[i].artistId)));
    // Fitting takes about 2 ms per artist: yield every 50 ms so the process keeps answering meanwhile.
    const models: ArtistModel[] = [];
    for (let a = 0, slice = performance.now(); a < songs.length; a++) {
      models.push(fitArtistModel(songs[a].map((i) => lib.space.row(i))));
      if (performance.now() - slice > 50) {
        await new Promise(setImmediate);
        slice = performance.now();
      }
    }
    return {
      names,
      ids,
      songs,
      models,
      space: new ArtistSpace(models),
      byName: new Map([...groups.keys()].map((k, a) => [k, a])),
      byId: new Map(ids.flatMap((id, a) => (id === null ? [] : [[id, a] as const]))),
    };
  }
}
