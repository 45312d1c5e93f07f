// Scrobble exports read as listening history, for a local folder (which keeps none): a ListenBrainz export
// (JSON lines, a JSON array of listens, or an API answer's payload.listens) or a Last.fm scrobble CSV
// (artist, album, track, date; with or without a header). Listens are counted per song and matched to the
// library by normalised artist + title. Pure: text in, counts out.

export interface Listen {
  artist: string;
  title: string;
  /** ISO-8601, when the file has a usable date. */
  at?: string;
}

export interface ParsedScrobbles {
  format: 'listenbrainz' | 'lastfm-csv';
  listens: Listen[];
  /** Lines or entries without an artist and a title. */
  skipped: number;
}

export class ScrobbleFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScrobbleFileError';
  }
}

/** Reads either format, told apart by the first character that is not white space. */
export function parseScrobbles(text: string): ParsedScrobbles {
  const body = text.replace(/^\uFEFF/, '').trim();
  if (!body) throw new ScrobbleFileError('the file is empty');
  return body[0] === '{' || body[0] === '[' ? parseListenBrainz(body) : parseLastFmCsv(body);
}

interface LbListen {
  listened_at?: number | string;
  track_metadata?: { artist_name?: string; track_name?: string };
}

function parseListenBrainz(body: string): ParsedScrobbles {
  let entries: unknown[];
  try {
    const whole = JSON.parse(body) as unknown;
    entries = Array.isArray(whole)
      ? whole
      : ((whole as { payload?: { listens?: unknown[] } }).payload?.listens ?? [whole]);
  } catch {
    // JSON lines: one listen per line.
    entries = body.split(/\r?\n/).flatMap((line, i) => {
      if (!line.trim()) return [];
      try {
        return [JSON.parse(line) as unknown];
      } catch {
        throw new ScrobbleFileError(`line ${i + 1} is not JSON (expected a ListenBrainz export: one listen per line)`);
      }
    });
  }
  const listens: Listen[] = [];
  let skipped = 0;
  for (const e of entries as LbListen[]) {
    const artist = e?.track_metadata?.artist_name?.trim();
    const title = e?.track_metadata?.track_name?.trim();
    if (!artist || !title) {
      skipped++;
      continue;
    }
    listens.push({ artist, title, at: toIso(e.listened_at) });
  }
  return { format: 'listenbrainz', listens, skipped };
}

function parseLastFmCsv(body: string): ParsedScrobbles {
  const rows = csvRows(body);
  const header = rows[0].map((h) => h.trim().toLowerCase());
  const named = header.includes('artist') && header.some((h) => h === 'track' || h === 'title' || h === 'name');
  const col = (...names: string[]) => header.findIndex((h) => names.includes(h));
  // Without a header: artist, album, track, date (the common Last.fm exporters' order).
  const [artistAt, titleAt, dateAt] = named
    ? [col('artist'), col('track', 'title', 'name'), col('uts', 'date', 'utc_time', 'timestamp', 'time')]
    : [0, 2, 3];
  const listens: Listen[] = [];
  let skipped = 0;
  for (const row of named ? rows.slice(1) : rows) {
    if (row.length === 1 && !row[0].trim()) continue;
    const artist = row[artistAt]?.trim();
    const title = row[titleAt]?.trim();
    if (!artist || !title) {
      skipped++;
      continue;
    }
    listens.push({ artist, title, at: dateAt >= 0 ? toIso(row[dateAt]) : undefined });
  }
  if (!listens.length && skipped)
    throw new ScrobbleFileError(
      'no listen found: expected ListenBrainz JSON or a Last.fm CSV (artist, album, track, date)',
    );
  return { format: 'lastfm-csv', listens, skipped };
}

/** RFC 4180 rows: quoted fields may hold commas, quotes ("") and line breaks. */
function csvRows(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') field += text[++i];
      else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') (row.push(field), (field = ''));
    else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      ((row = []), (field = ''));
    } else field += ch;
  }
  row.push(field);
  rows.push(row);
  return rows;
}

/** Unix seconds (number or digits), or a date text Date can read ("31 Jan 2021 12:34", ISO); else undefined. */
function toIso(value: unknown): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const text = String(value).trim();
  const date = /^\d{9,11}$/.test(text)
    ? new Date(Number(text) * 1000)
    : new Date(`${text}${/\d{1,2}:\d{2}$/.test(text) && !/[zZ]|[+-]\d\d:?\d\d$/.test(text) ? ' UTC' : ''}`);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

/** Artist or title for comparison: case, accents, punctuation and "&"/"and" do not matter. */
export function normaliseName(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/&/g, ' and ')
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

/** The looser form: without bracketed parts ("(Remastered 2011)") and featured artists. */
function looseName(text: string): string {
  return normaliseName(text.replace(/[([{][^)\]}]*[)\]}]/g, ' ').replace(/\s(feat\.?|ft\.?|featuring)\s.*$/i, ''));
}

export interface LibraryTrack {
  itemId: string;
  artist: string | null;
  title: string;
}

export interface ScrobbleMatch {
  /** One row per matched track: its listens counted, the latest as last played. */
  rows: { itemId: string; playCount: number; lastPlayed?: string }[];
  matchedListens: number;
  unmatchedListens: number;
  /** Songs not found in the library, most listened first (at most `keepUnmatched`). */
  unmatched: { artist: string; title: string; listens: number }[];
  unmatchedSongs: number;
}

/** Counts listens per library track: the exact normalised artist + title first, else the looser form. */
export function matchScrobbles(
  listens: readonly Listen[],
  library: readonly LibraryTrack[],
  keepUnmatched = 20,
): ScrobbleMatch {
  const exact = new Map<string, string>();
  const loose = new Map<string, string | null>(); // null: two tracks share the loose form, so it decides nothing
  for (const t of library) {
    if (!t.artist) continue;
    const e = `${normaliseName(t.artist)}\u0000${normaliseName(t.title)}`;
    if (!exact.has(e)) exact.set(e, t.itemId);
    const l = `${looseName(t.artist)}\u0000${looseName(t.title)}`;
    loose.set(l, loose.has(l) && loose.get(l) !== t.itemId ? null : t.itemId);
  }
  const counts = new Map<string, { playCount: number; lastPlayed?: string }>();
  const missing = new Map<string, { artist: string; title: string; listens: number }>();
  let matchedListens = 0;
  for (const listen of listens) {
    const itemId =
      exact.get(`${normaliseName(listen.artist)}\u0000${normaliseName(listen.title)}`) ??
      loose.get(`${looseName(listen.artist)}\u0000${looseName(listen.title)}`);
    if (!itemId) {
      const key = `${normaliseName(listen.artist)}\u0000${normaliseName(listen.title)}`;
      const m = missing.get(key) ?? { artist: listen.artist, title: listen.title, listens: 0 };
      m.listens++;
      missing.set(key, m);
      continue;
    }
    matchedListens++;
    const c = counts.get(itemId) ?? { playCount: 0 };
    c.playCount++;
    if (listen.at && (!c.lastPlayed || listen.at > c.lastPlayed)) c.lastPlayed = listen.at;
    counts.set(itemId, c);
  }
  const unmatched = [...missing.values()].sort((a, b) => b.listens - a.listens);
  return {
    rows: [...counts].map(([itemId, c]) => ({ itemId, ...c })),
    matchedListens,
    unmatchedListens: listens.length - matchedListens,
    unmatched: unmatched.slice(0, keepUnmatched),
    unmatchedSongs: unmatched.length,
  };
}
