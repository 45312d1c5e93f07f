// `audiomuse fingerprint <user> [--n N] [--no-seeds]`: the songs GET /api/sonic_fingerprint/generate answers, one JSON
// line each; the fingerprint itself (seeds, centroids and their weights) as one JSON line on stderr. A user is our
// id (digits) or the media server's user id or name.
import { libraryMapScope } from '../../queries/library-map.ts';
import { SimilarityQueries } from '../../queries/similarity.ts';
import { FINGERPRINT_SONGS, SonicFingerprintQueries } from '../../queries/sonic-fingerprint.ts';
import { withDatabase } from '../database.ts';

const USAGE = 'usage: audiomuse fingerprint <user id | server user id | name> [--n N] [--no-seeds]';

export async function run(args: string[]): Promise<number> {
  const [user, ...flags] = args;
  if (!user || user.startsWith('--')) throw new Error(USAGE);
  let n = FINGERPRINT_SONGS,
    includeSeeds = true;
  for (let i = 0; i < flags.length; i++) {
    if (flags[i] === '--n' && /^\d+$/.test(flags[i + 1] ?? '')) n = Number(flags[++i]);
    else if (flags[i] === '--no-seeds') includeSeeds = false;
    else throw new Error(`unknown argument ${flags[i]}; ${USAGE}`);
  }
  await withDatabase(async (pool, config) => {
    const scope = libraryMapScope(config);
    const queries = new SonicFingerprintQueries(pool, scope, new SimilarityQueries(pool, scope));
    const byId = /^[1-9]\d{0,17}$/.test(user);
    const answer = await queries.generate({
      user: byId ? { id: user, field: 'user' } : { identifier: user, field: 'user' },
      n,
      includeSeeds,
      eliminateDuplicates: true,
      filters: {},
    });
    const { songs, ...fingerprint } = answer;
    console.error(JSON.stringify(fingerprint));
    for (const s of songs) console.log(JSON.stringify(s));
  });
  return 0;
}
