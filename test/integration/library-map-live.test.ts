// The web process's live library map on a real PostgreSQL: once the library is big (here: a threshold of 10), a
// request gets the map in memory without waiting for the snapshot key (the table is locked meanwhile), a change is
// noticed behind the request and the new map computed in the background, once.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { createPool, migrate } from '../../lib/db.ts';
import { libraryMapScope } from '../../queries/library-map.ts';
import { LiveLibraryMap, type MapAnswer } from '../../queries/library-map-live.ts';
import { plantLocalLibrary } from '../helpers/planted-library.ts';
import { freshDatabase, releaseServices, scratchDir } from '../helpers/services.ts';
import { waitFor } from '../helpers/wait.ts';

const TRACKS = 30;

after(() => releaseServices());

test("a big library's request gets the map in memory at once; a change is found behind it and computed once", async () => {
  const dir = scratchDir('library-map-live');
  const url = await freshDatabase();
  const pool = createPool(url);
  const locker = createPool(url);
  try {
    await migrate(pool);
    const config = await plantLocalLibrary(pool, dir, { tracks: TRACKS, groups: 3, seed: 4 });
    const live = new LiveLibraryMap(pool, libraryMapScope(config), 10);

    const first = await live.current();
    assert.deepEqual([first.computed, first.stale, first.map.points.ids.length], [true, false, TRACKS]);

    // While the features table is locked the snapshot key cannot be read: the request still answers.
    const lock = await locker.connect();
    try {
      await lock.query('BEGIN');
      await lock.query('LOCK TABLE track_features IN ACCESS EXCLUSIVE MODE');
      let held: MapAnswer | undefined;
      void live.current().then((a) => (held = a));
      const outcome = await waitFor('an answer, or a request blocked on the lock', async () => {
        const { rows } = await lock.query(`SELECT count(*)::int AS n FROM pg_locks WHERE NOT granted`);
        return held ?? (rows[0].n > 0 ? 'blocked' : undefined);
      });
      assert.notEqual(outcome, 'blocked', 'the request waited for the snapshot key');
      assert.deepEqual([held!.computed, held!.stale, held!.map.snapshot], [false, false, first.map.snapshot]);
      await lock.query('ROLLBACK');
    } finally {
      lock.release();
    }

    // One track leaves the analysed library: the next request still gets the old map, the new one follows.
    await pool.query(`UPDATE tracks SET analysis_status = 'pending' WHERE id = (SELECT min(id) FROM tracks)`);
    await waitFor('the changed library mapped behind the requests', async () => {
      const answer = await live.current();
      return answer.map.points.ids.length === TRACKS - 1 && answer;
    });
    const settled = await live.current();
    assert.deepEqual([settled.stale, settled.computed, settled.map.points.ids.length], [false, false, TRACKS - 1]);
    assert.notEqual(settled.map.snapshot, first.map.snapshot);
  } finally {
    await locker.end();
    await pool.end();
  }
});
