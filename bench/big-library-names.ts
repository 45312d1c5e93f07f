// Plausible names for the big generated library: artists, album and track titles from small word lists, so
// that a search for a word finds a realistic share of the library (a common word thousands, a name a few).
const ADJECTIVES = (
  'Silent Electric Golden Broken Velvet Hollow Crimson Northern Lonely Wild Burning Distant Frozen ' +
  'Midnight Paper Neon Quiet Restless Secret Violet Wooden Young Ancient Blue Cosmic Dusty Empty Fading ' +
  'Glass Heavy'
).split(' ');
const NOUNS = (
  'Owls Rivers Machines Harbour Lights Wolves Gardens Engines Tides Shadows Mirrors Horses Satellites ' +
  'Lanterns Canyons Ghosts Orchards Towers Echoes Birds Oceans Cities Forests Kings Sparrows Dreams ' +
  'Islands Bells Roads Stars'
).split(' ');
const FIRST = (
  'Anna Ben Clara David Elena Felix Greta Hugo Iris Jonas Karin Leo Maya Nils Olga Paul Rosa Sami Tove ' +
  'Victor Wanda Yann Zoe Marco Lucia'
).split(' ');
const LAST = (
  'Berg Costa Duval Eriksen Fischer Garcia Holm Ivanova Jensen Kowalski Larsen Moreau Novak Okafor ' +
  'Petrov Quinn Rossi Schmidt Tanaka Underwood Varga Weber'
).split(' ');
const WORDS = (
  'love night fire rain home light heart road summer winter dance dream time river city sky storm ' +
  'morning shadow gold ocean stone echo fever glory honey island jungle kingdom lullaby machine ' +
  'northern orbit paradise quiet radio silver thunder velvet wonder yesterday zero after before under ' +
  'over'
).split(' ');

const pick = <T>(list: readonly T[], r: number): T => list[Math.floor(r * list.length) % list.length];
const cap = (w: string) => w[0].toUpperCase() + w.slice(1);

/** Artist `i` of the library: a band ("The Velvet Owls") or a person ("Clara Moreau"), numbered past the
 *  lists. combinations (two artists may still share a name, as in real libraries). */
export function artistName(i: number, r: () => number): string {
  const round = Math.floor(i / (ADJECTIVES.length * NOUNS.length));
  const base =
    r() < 0.6
      ? `The ${ADJECTIVES[i % ADJECTIVES.length]} ${NOUNS[Math.floor(i / ADJECTIVES.length) % NOUNS.length]}`
      : `${pick(FIRST, r())} ${LAST[i % LAST.length]}`;
  return round > 0 ? `${base} ${toRoman(round + 1)}` : base;
}

/** A title of one to four words. */
export function titleOf(r: () => number): string {
  const n = 1 + Math.floor(r() * 4);
  return Array.from({ length: n }, () => cap(pick(WORDS, r()))).join(' ');
}

function toRoman(n: number): string {
  const values = [1000, 900, 500, 400, 100, 90, 50, 40, 10, 9, 5, 4, 1];
  const numerals = 'M CM D CD C XC L XL X IX V IV I'.split(' ');
  let out = '';
  values.forEach((v, i) => {
    for (; n >= v; n -= v) out += numerals[i];
  });
  return out;
}

/** A file name part without the characters file systems refuse. */
export const fileSafe = (s: string) => s.replace(/[/\\:*?"<>|]/g, '_');
