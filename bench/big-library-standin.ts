// The Jellyfin stand-in serving a generated library (bench/big-library-generate.ts): the same artists, albums and
// tracks, with the same item ids, read back from the database, so the workflows run against it (listing,
// publishing playlists of its songs) as against a real server holding that library. Every track serves `file`.
import type { Pool } from '../lib/db.ts';
import type { StandinArtist, StandinLibrary } from '../test/standins/jellyfin.ts';

export async function standinLibraryOf(pool: Pool, source: string, file: string): Promise<StandinLibrary> {
  const { rows } = await pool.query<{
    artist_id: string;
    artist: string;
    album_id: string;
    album: string;
    item_id: string;
    title: string;
    path: string;
    duration_sec: number | null;
  }>(
    `SELECT artist_id, artist, album_id, album, item_id, title, path, duration_sec
       FROM tracks WHERE source = $1 ORDER BY artist_id, album_id, path`,
    [source],
  );
  const artists: StandinArtist[] = [];
  for (const r of rows) {
    let artist = artists[artists.length - 1];
    if (artist?.id !== r.artist_id) artists.push((artist = { id: r.artist_id, name: r.artist, albums: [] }));
    let album = artist.albums[artist.albums.length - 1];
    if (album?.id !== r.album_id) artist.albums.push((album = { id: r.album_id, name: r.album, tracks: [] }));
    album.tracks.push({
      id: r.item_id,
      title: r.title,
      file,
      path: r.path,
      trackNumber: album.tracks.length + 1,
      durationSeconds: r.duration_sec ?? undefined,
    });
  }
  return { artists };
}
