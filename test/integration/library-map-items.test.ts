// The library map's points carry the media server's item ids beside the track ids (the page draws a song path,
// answered in item ids, over the map); a map cached before they did is computed again instead of served without.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, test } from 'node:test';
import { createPool, migrate } from '../../lib/db.ts';
import { libraryMap, libraryMapScope } from '../../queries/library-map.ts';
import { plantLocalLibrary } from '../helpers/planted-library.ts';
import { freshDatabase, releaseServices, scratchDir } from '../helpers/services.ts';

const TRACKS = 24;
const dir = scratchDir('library-map-items');
const pool = createPool(await freshDatabase());

after(async () => {
  await pool.end();
  fs.rmSync(dir, { recursive: true, force: true });
  await releaseServices();
});

test('map points name each track by item id, and a map cached without them is computed again', async () => {
  await migrate(pool);
  const config = await plantLocalLibrary(pool, dir, { tracks: TRACKS, groups: 3, seed: 4 });
  const scope = libraryMapScope(config);

  const first = await libraryMap(pool, scope);
  const { rows } = await pool.query<{ id: string; itemId: string }>(
    'SELECT id::text AS id, item_id AS "itemId" FROM tracks',
  );
  const itemOf = new Map(rows.map((r) => [r.id, r.itemId]));
  assert.deepEqual(
    first.points.itemIds,
    first.points.ids.map((id) => itemOf.get(id)),
    'item_ids[i] is the item id of ids[i]',
  );

  // A map stored by the previous version: the same snapshot, no item ids.
  await pool.query(`UPDATE library_maps SET points = points - 'itemIds'`);
  const again = await libraryMap(pool, scope);
  assert.equal(again.snapshot, first.snapshot);
  assert.equal(again.cached, false, 'computed again');
  assert.deepEqual(again.points.itemIds, first.points.itemIds);
  assert.equal((await libraryMap(pool, scope)).cached, true, 'and cached with them');
});
