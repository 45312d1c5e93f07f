// `audiomuse map [--points]`: the library map the web page draws (GET /api/map), computed here when it is not
// cached yet: one JSON object with the snapshot, whether it was cached, and the point count (the points too
// with --points).
import { loadConfig } from '../../lib/config.ts';
import { createPool, migrate } from '../../lib/db.ts';
import { resolveEndpoints } from '../../lib/endpoints.ts';
import { libraryMap, libraryMapScope } from '../../queries/library-map.ts';

const USAGE = 'usage: audiomuse map [--points]';

export async function run(args: string[]): Promise<number> {
  const bad = args.find((a) => a !== '--points');
  if (bad) throw new Error(`unknown argument ${bad}; ${USAGE}`);
  const config = loadConfig();
  const pool = createPool(resolveEndpoints(config).databaseUrl, {
    max: 1,
    statementTimeoutMs: config.database.statementTimeoutMs,
  });
  try {
    await migrate(pool);
    const map = await libraryMap(pool, libraryMapScope(config));
    const { points, ...summary } = map;
    console.log(JSON.stringify({ ...summary, total: points.ids.length, ...(args.includes('--points') && { points }) }));
    return 0;
  } finally {
    await pool.end();
  }
}
