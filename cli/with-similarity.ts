// What `audiomuse similar` and `audiomuse path` share: the similarity queries of the configured library.
import { libraryMapScope } from '../queries/library-map.ts';
import { SimilarityQueries } from '../queries/similarity.ts';
import { withDatabase } from './database.ts';

/** Runs `work` with the similarity queries of the configured library, then closes the database. */
export async function withSimilarity(work: (q: SimilarityQueries) => Promise<void>): Promise<number> {
  await withDatabase((pool, config) => work(new SimilarityQueries(pool, libraryMapScope(config))));
  return 0;
}
