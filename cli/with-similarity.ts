// What `audiomuse similar` and `audiomuse path` share: the similarity queries of the configured library.
import { loadConfig } from '../lib/config.ts';
import { createPool, migrate } from '../lib/db.ts';
import { resolveEndpoints } from '../lib/endpoints.ts';
import { libraryMapScope } from '../queries/library-map.ts';
import { SimilarityQueries } from '../queries/similarity.ts';

/** Runs `work` with the similarity queries of the configured library, then closes the database. */
export async function withSimilarity(work: (q: SimilarityQueries) => Promise<void>): Promise<number> {
  const config = loadConfig();
  const pool = createPool(resolveEndpoints(config).databaseUrl, {
    max: 1,
    statementTimeoutMs: config.database.statementTimeoutMs,
  });
  try {
    await migrate(pool);
    await work(new SimilarityQueries(pool, libraryMapScope(config)));
    return 0;
  } finally {
    await pool.end();
  }
}
