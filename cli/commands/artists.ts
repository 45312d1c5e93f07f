// `audiomuse artists <artist> [--n N] [--matches]`: the artists GET /api/similar_artists answers, one JSON line
// each. An artist is named by name or by the media server's artist id.
import { SimilarArtistsQueries } from '../../queries/similar-artists.ts';
import { withSimilarity } from '../with-similarity.ts';

const USAGE = 'usage: audiomuse artists <artist name | artist id> [--n N] [--matches]';

export async function run(args: string[]): Promise<number> {
  const [artist, ...flags] = args;
  if (!artist || artist.startsWith('--')) throw new Error(USAGE);
  let n = 10,
    includeComponentMatches = false;
  for (let i = 0; i < flags.length; i++) {
    if (flags[i] === '--n' && /^\d+$/.test(flags[i + 1] ?? '')) n = Number(flags[++i]);
    else if (flags[i] === '--matches') includeComponentMatches = true;
    else throw new Error(`unknown argument ${flags[i]}; ${USAGE}`);
  }
  return withSimilarity(async (q) => {
    for (const a of await new SimilarArtistsQueries(q).similarArtists({ artist, n, includeComponentMatches }))
      console.log(JSON.stringify(a));
  });
}
