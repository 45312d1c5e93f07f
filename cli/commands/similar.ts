// `audiomuse similar <song> [--n N] [--nearest]`: the songs GET /api/similar_tracks answers, one JSON line each.
// A song is named by its media-server item id or as "title - artist".
import { withSimilarity } from '../with-similarity.ts';

const USAGE = 'usage: audiomuse similar <item id | "title - artist"> [--n N] [--nearest]';

export async function run(args: string[]): Promise<number> {
  const [song, ...flags] = args;
  if (!song || song.startsWith('--')) throw new Error(USAGE);
  let n = 10,
    radius = true;
  for (let i = 0; i < flags.length; i++) {
    if (flags[i] === '--n' && /^\d+$/.test(flags[i + 1] ?? '')) n = Number(flags[++i]);
    else if (flags[i] === '--nearest') radius = false;
    else throw new Error(`unknown argument ${flags[i]}; ${USAGE}`);
  }
  return withSimilarity(async (q) => {
    const itemId = await q.resolveSong(song);
    for (const s of await q.similarTracks({ itemId, n, eliminateDuplicates: true, radius }))
      console.log(JSON.stringify(s));
  });
}
