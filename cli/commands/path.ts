// `audiomuse path <a> <b> [--steps N] [--one-per-artist] [--variety K --seed S]`: the path GET /api/find_path
// answers, one JSON line per song, from a to b. Songs are named by item id or as "title - artist".
import { withSimilarity } from '../with-similarity.ts';

const USAGE =
  'usage: audiomuse path <item id | "title - artist"> <item id | "title - artist"> [--steps N] [--one-per-artist] [--variety K] [--seed S]';

export async function run(args: string[]): Promise<number> {
  const [a, b, ...flags] = args;
  if (!a || !b || a.startsWith('--') || b.startsWith('--')) throw new Error(USAGE);
  const opts = { length: 25, onePerArtist: false, variety: 1, seed: 1 };
  for (let i = 0; i < flags.length; i++) {
    const value = () => {
      const v = flags[++i];
      if (!/^\d+$/.test(v ?? '')) throw new Error(`${flags[i - 1]} needs a whole number; ${USAGE}`);
      return Number(v);
    };
    if (flags[i] === '--steps') opts.length = value();
    else if (flags[i] === '--variety') opts.variety = value();
    else if (flags[i] === '--seed') opts.seed = value();
    else if (flags[i] === '--one-per-artist') opts.onePerArtist = true;
    else throw new Error(`unknown argument ${flags[i]}; ${USAGE}`);
  }
  return withSimilarity(async (q) => {
    const [startId, endId] = [await q.resolveSong(a), await q.resolveSong(b)];
    const { path } = await q.findPath({ startId, endId, ...opts });
    for (const s of path) console.log(JSON.stringify(s));
  });
}
