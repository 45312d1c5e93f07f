// Duplicate versions of one song: the same artist and the same title once the version words are gone
// ("Song (Live)", "Song - 2011 Remaster", "Song [Radio Edit]"), so a mix never holds a song twice.

const VERSION_WORDS =
  /\b(live|remaster(ed)?|re-?recorded|mono|stereo|version|edit|mix|demo|acoustic|unplugged|instrumental|single|album|bonus|deluxe|explicit|clean|best of|greatest hits|\d{4})\b/i;

/** Title without bracketed or dashed version notes, lower-cased, punctuation folded. */
export function normalizeTitle(title: string): string {
  let t = title.toLowerCase();
  // "(Live at …)", "[2011 Remaster]": bracketed notes that name a version.
  t = t.replace(/[([{][^)\]}]*[)\]}]/g, (m) => (VERSION_WORDS.test(m) ? ' ' : m));
  // "Song - Remastered 2009", "Song – Live": a dashed tail that names a version.
  t = t.replace(/\s[-–—]\s.*$/, (m) => (VERSION_WORDS.test(m) ? ' ' : m));
  return t
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

/** One key per song: normalised artist and title (the artist's part given when the caller holds it already). */
export function songKey(
  artist: string | null,
  title: string | null,
  artistPart = normalizeTitle(artist ?? ''),
): string {
  return `${artistPart}\u0000${normalizeTitle(title ?? '')}`;
}
