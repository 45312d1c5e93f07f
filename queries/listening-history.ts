// A scrobble export (ListenBrainz or Last.fm) as one person's listening history: parsed, matched to the source's
// tracks by artist + title, stored; the answer says how many listens and songs matched. Shared by the API and CLI.
import type { Pool } from '../lib/db.ts';
import { storeListeningHistory, tracksByName } from '../lib/store/listening-history.ts';
import { matchScrobbles, parseScrobbles } from '../engines/history/scrobbles.ts';

export interface ImportReport {
  format: 'listenbrainz' | 'lastfm-csv';
  listens: number;
  /** Entries without an artist or a title. */
  skipped: number;
  matchedListens: number;
  unmatchedListens: number;
  /** Library tracks the file names (stored with their listen count and latest date). */
  matchedTracks: number;
  unmatchedSongs: number;
  /** The most listened songs not found, for checking the tags. */
  unmatched: { artist: string; title: string; listens: number }[];
}

/** Stores the file's counts over the person's rows for the same tracks (importing a file twice counts once). */
export async function importScrobbleFile(
  pool: Pool,
  source: string,
  userId: string,
  text: string,
): Promise<ImportReport> {
  const parsed = parseScrobbles(text);
  const match = matchScrobbles(parsed.listens, await tracksByName(pool, source));
  const stored = await storeListeningHistory(
    pool,
    userId,
    source,
    match.rows.map((r) => ({ ...r, favourite: false })),
  );
  return {
    format: parsed.format,
    listens: parsed.listens.length,
    skipped: parsed.skipped,
    matchedListens: match.matchedListens,
    unmatchedListens: match.unmatchedListens,
    matchedTracks: stored.stored,
    unmatchedSongs: match.unmatchedSongs,
    unmatched: match.unmatched,
  };
}
