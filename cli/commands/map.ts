// `audiomuse map [--points]`: the library map the web page draws (GET /api/map), computed here when it is not
// cached yet: one JSON object with the snapshot, whether it was cached, and the point count (the points too
// with --points).
import { libraryMap, libraryMapScope } from '../../queries/library-map.ts';
import { withDatabase } from '../database.ts';

const USAGE = 'usage: audiomuse map [--points]';

export async function run(args: string[]): Promise<number> {
  const bad = args.find((a) => a !== '--points');
  if (bad) throw new Error(`unknown argument ${bad}; ${USAGE}`);
  const map = await withDatabase((pool, config) => libraryMap(pool, libraryMapScope(config)));
  const { points, ...summary } = map;
  console.log(JSON.stringify({ ...summary, total: points.ids.length, ...(args.includes('--points') && { points }) }));
  return 0;
}
