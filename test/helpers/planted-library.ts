// A planted library for the clustering workflow tests: the same tracks as tiny real files in a music folder
// and as a Jellyfin / Navidrome stand-in library, with synthetic analysed features (planted groups, see
// clustering-library.ts) stored in PostgreSQL under the ids each media source gives them.
import fs from 'node:fs';
import path from 'node:path';
import type { TrackFeatures } from '../../engines/clustering/features.ts';
import { analysisVersion } from '../../engines/analysis/version.ts';
import type { MediaProvider } from '../../providers/media/provider.ts';
import { createMediaProvider } from '../../providers/media/index.ts';
import type { Config } from '../../lib/config.ts';
import type { Pool } from '../../lib/db.ts';
import { storeTrackFeatures, upsertAlbumTracks } from '../../lib/store/tracks.ts';
import { syntheticLibrary } from './clustering-library.ts';
import { writeSineWav, type StandinLibrary } from '../standins/jellyfin.ts';
import { testConfig } from './worker.ts';
import type { StandinAlbumInput } from '../standins/navidrome.ts';

export interface PlantedLibrary {
  musicDir: string;
  /** Planted features by track title (titles are unique). */
  byTitle: Map<string, TrackFeatures>;
  /** Planted group by track title. */
  groupOf: Map<string, number>;
  jellyfin: StandinLibrary;
  navidrome: StandinAlbumInput[];
}

/** `tracks` tracks in `groups` groups; each artist's songs form one album (a folder). */
export function plantLibrary(dir: string, opts: { tracks: number; groups: number; seed: number }): PlantedLibrary {
  const { tracks, group } = syntheticLibrary({ ...opts, artistsPerGroup: 4 });
  const musicDir = path.join(dir, 'music');
  const albums = new Map<string, { artist: string; titles: string[]; files: string[] }>();
  tracks.forEach((t) => {
    const artist = t.artist!;
    const a = albums.get(artist) ?? { artist, titles: [], files: [] };
    albums.set(artist, a);
    const file = path.join(
      musicDir,
      artist,
      `${artist} Album`,
      `${String(a.titles.length + 1).padStart(2, '0')} - ${t.title}.wav`,
    );
    fs.mkdirSync(path.dirname(file), { recursive: true });
    writeSineWav(file, 0.05, 8000, 220 + 10 * a.titles.length);
    a.titles.push(t.title!);
    a.files.push(file);
  });
  const list = [...albums.values()];
  return {
    musicDir,
    byTitle: new Map(tracks.map((t) => [t.title!, t])),
    groupOf: new Map(tracks.map((t, i) => [t.title!, group[i]])),
    jellyfin: {
      artists: list.map((a) => ({
        name: a.artist,
        albums: [
          {
            name: `${a.artist} Album`,
            tracks: a.titles.map((title, i) => ({ title, file: a.files[i], trackNumber: i + 1, durationSeconds: 200 })),
          },
        ],
      })),
    },
    navidrome: list.map((a, i) => ({
      name: `${a.artist} Album`,
      artist: a.artist,
      created: new Date(Date.UTC(2024, 0, 1) + i * 60_000).toISOString(),
      songs: a.titles.map((title, j) => ({ title, artist: a.artist, file: a.files[j], track: j + 1, duration: 200 })),
    })),
  };
}

/** Lists the source's tracks and stores the planted features for them, as an analysis would have. */
export async function storePlantedFeatures(
  pool: Pool,
  media: MediaProvider,
  lib: PlantedLibrary,
  patchHop = 187,
): Promise<number> {
  const version = analysisVersion({ patchHop, profile: 'exact' });
  let stored = 0;
  const { albums } = await media.listRecentAlbums({ startIndex: 0, limit: 10_000 });
  for (const album of albums) {
    const tracks = await media.listAlbumTracks(album.id);
    const { toAnalyze } = await upsertAlbumTracks(
      pool,
      media.type,
      album.id,
      tracks.map((t) => ({
        itemId: t.id,
        title: t.title,
        artist: t.artist,
        artistId: t.artistId,
        libraryId: t.libraryId,
        album: t.album,
        durationSec: t.duration,
        changeMarker: t.changeMarker,
        path: t.path,
      })),
      version,
    );
    for (const row of toAnalyze) {
      const f = lib.byTitle.get(row.title);
      if (!f) throw new Error(`no planted features for "${row.title}"`);
      await storeTrackFeatures(
        pool,
        row.trackId,
        {
          embedding: Float32Array.from(f.embedding!),
          tags: Float32Array.from(f.tags),
          moodHeads: f.moodHeads,
          tempo: f.tempo,
          key: 'C',
          scale: 'major',
          keyStrength: 0.5,
          energy: f.energy,
          patches: 10,
        },
        version,
        1,
      );
      stored++;
    }
  }
  return stored;
}

/** A planted library in a local music folder under `dir`, its features stored as an analysis would have left them;
 *  the configuration that reads it. */
export async function plantLocalLibrary(
  pool: Pool,
  dir: string,
  opts: { tracks: number; groups: number; seed: number },
): Promise<Config> {
  const lib = plantLibrary(dir, opts);
  const config = testConfig({
    MEDIA_SERVER_TYPE: 'local',
    MUSIC_DIR: lib.musicDir,
    PLAYLIST_DIR: path.join(dir, 'playlists'),
  });
  const stored = await storePlantedFeatures(pool, await createMediaProvider(config), lib);
  if (stored !== opts.tracks) throw new Error(`stored the features of ${stored} planted tracks, not ${opts.tracks}`);
  return config;
}
