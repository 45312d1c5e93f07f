// A stored playlist as a file to take to any player (.m3u8 or JSPF), for GET /api/playlists/:id/export and
// `audiomuse playlists export`: the playlist found by id or name, its tracks placed against the user's music root.
import type { Pool } from '../lib/db.ts';
import { listedPlaylists, playlistFile } from '../lib/store/playlist-files.ts';
import { playlistFileName, writeJspf, writeM3u8, type PlaylistFile } from '../engines/playlists/playlist-files.ts';

export const PLAYLIST_FORMATS = {
  m3u8: { extension: 'm3u8', contentType: 'audio/x-mpegurl; charset=utf-8', write: writeM3u8 },
  jspf: { extension: 'jspf', contentType: 'application/json', write: writeJspf },
} as const;

export type PlaylistFormat = keyof typeof PLAYLIST_FORMATS;

export interface ExportedPlaylist extends PlaylistFile {
  id: string;
  fileName: string;
  contentType: string;
  tracks: number;
}

/** Our playlist row (or the server's playlist id) as a file; undefined for an unknown playlist. */
export async function exportPlaylist(
  pool: Pool,
  source: string,
  id: string,
  options: { format: PlaylistFormat; root?: string },
): Promise<ExportedPlaylist | undefined> {
  const p = await playlistFile(pool, source, id);
  if (!p) return undefined;
  const format = PLAYLIST_FORMATS[options.format];
  const file = format.write(
    {
      name: p.name,
      date: p.createdAt.toISOString(),
      tracks: p.tracks.map(({ itemId, ...t }) => ({
        ...t,
        identifier: `urn:audiomuse:${p.source}:${encodeURIComponent(itemId)}`,
      })),
    },
    options.root || undefined,
  );
  return {
    ...file,
    id: p.id,
    fileName: playlistFileName(p.name, format.extension),
    contentType: format.contentType,
    tracks: p.tracks.length,
  };
}

/**
 * The id of the playlist a user named: an id as it is, else the one listed playlist (the last clustering's or a
 * saved one) of that name; an error listing the choices when none or several are.
 */
export async function playlistIdNamed(pool: Pool, source: string, idOrName: string): Promise<string> {
  if (await playlistFile(pool, source, idOrName)) return idOrName;
  const listed = await listedPlaylists(pool, source);
  const named = listed.filter((p) => p.name === idOrName);
  const matches = named.length ? named : listed.filter((p) => p.name.toLowerCase() === idOrName.toLowerCase());
  if (matches.length === 1) return matches[0].id;
  const shown = (ps: typeof listed) => ps.map((p) => `${p.id} "${p.name}" (${p.origin})`).join(', ');
  throw new Error(
    matches.length
      ? `several playlists are named "${idOrName}": ${shown(matches)}; give the id`
      : `no playlist has the id or name "${idOrName}"; the playlists: ${shown(listed) || 'none yet'}`,
  );
}
