// The small reads the library map needs besides its stored points: which playlist of the current clustering each
// track is in (a pair per playlist track, not every playlist's full form), the newest stored map whatever its
// snapshot (answered while a newer one is computed), and one track's names for the map's tooltip.
import type { Pool } from '../db.ts';
import type { MapPoints } from './library.ts';

export interface MapPlaylists {
  /** The current clustering's playlists in order; a point's playlist index points here. */
  playlists: { id: string; name: string }[];
  /** tracks.id → index into playlists. */
  playlistOf: Map<string, number>;
}

/** The current run (the newest completed one with playlists), as `currentPlaylists` chooses it. */
const CURRENT_RUN = `(SELECT r.id FROM clustering_runs r
   WHERE r.status = 'completed' AND EXISTS (SELECT 1 FROM playlists p WHERE p.clustering_run_id = r.id)
   ORDER BY r.finished_at DESC, r.id DESC LIMIT 1)`;

export async function mapPlaylists(pool: Pool): Promise<MapPlaylists> {
  const [{ rows: playlists }, { rows: pairs }] = await Promise.all([
    pool.query<{ id: string; name: string }>({
      name: 'map-playlists',
      text: `SELECT p.id::text AS id, p.name FROM playlists p WHERE p.clustering_run_id = ${CURRENT_RUN} ORDER BY p.position`,
    }),
    pool.query<{ trackId: string; playlistId: string }>({
      name: 'map-playlist-tracks',
      text: `SELECT pt.track_id::text AS "trackId", p.id::text AS "playlistId"
               FROM playlists p JOIN playlist_tracks pt ON pt.playlist_id = p.id
              WHERE p.clustering_run_id = ${CURRENT_RUN}`,
    }),
  ]);
  const index = new Map(playlists.map((p, i) => [p.id, i]));
  return { playlists, playlistOf: new Map(pairs.map((r) => [r.trackId, index.get(r.playlistId)!])) };
}

/** The stored map, whichever snapshot it is of (`storeMap` keeps only the newest). */
export async function newestStoredMap(
  pool: Pool,
): Promise<{ snapshot: string; points: MapPoints; computedAt: string } | undefined> {
  const { rows } = await pool.query<{ snapshot: string; points: MapPoints; computedAt: string }>(
    `SELECT snapshot, points, computed_at AS "computedAt" FROM library_maps ORDER BY computed_at DESC LIMIT 1`,
  );
  return rows[0];
}

export interface MapTrack {
  id: string;
  itemId: string;
  title: string | null;
  artist: string | null;
  album: string | null;
}

export async function mapTrack(pool: Pool, trackId: string): Promise<MapTrack | undefined> {
  const { rows } = await pool.query<MapTrack>({
    name: 'map-track',
    text: `SELECT id::text AS id, item_id AS "itemId", title, artist, album FROM tracks WHERE id = $1`,
    values: [trackId],
  });
  return rows[0];
}
