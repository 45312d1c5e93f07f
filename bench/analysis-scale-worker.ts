// The worker process of `bench:analysis:scale`: our real workflows (analyzeLibrary, analyzeAlbum) with mocked
// activities over a synthetic library of ALBUMS albums, so the bench can kill it with -9 and sample its memory.
//
// Album i is `a<i>`; it has one track `t<i>` to analyse when i % 10 == 0. The mock stores each album (its
// preparation) and each track the way the real store does, insert-if-absent, and appends one line per event
// to RECORD_FILE (O_APPEND, written before the activity returns, so a process killed afterwards still counts):
//   <ms> <pid> begin <id> <attempt>   an attempt started (prepareAlbum or analyzeLibraryTrack)
//   <ms> <pid> stored <id> <attempt>  the attempt stored it (first completion)
//   <ms> <pid> already <id> <attempt> the attempt found it stored by an earlier attempt (the real activities'
//                                     "already": stored once, attempted twice)
// A new process reads the file first: what a killed process stored stays stored. Nothing here grows with the
// number of albums done (one byte per album and per track, allocated at start), so the RSS is the product's.
import fs from 'node:fs';
import { Context } from '@temporalio/activity';
import type { AnalysisActivities } from '../activities/analysis.ts';
import { ALBUM_PAGE, type LibraryActivities } from '../activities/library.ts';
import { mockRunParams, startMockWorkers } from '../test/helpers/mock-analysis.ts';

const env = (name: string): string => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};
const ALBUMS = Number(env('ALBUMS'));
const RECORD_FILE = env('RECORD_FILE');

/** 1 where the album (by index) / the track (by album index) is stored. */
const albumStored = new Uint8Array(ALBUMS);
const trackStored = new Uint8Array(ALBUMS);
const index = (id: string) => Number(id.slice(1));
for (const line of fs.existsSync(RECORD_FILE) ? fs.readFileSync(RECORD_FILE, 'utf8').split('\n') : []) {
  const [, , what, id] = line.split(' ');
  if (what === 'stored') (id[0] === 'a' ? albumStored : trackStored)[index(id)] = 1;
}
const fd = fs.openSync(RECORD_FILE, 'a');
const record = (what: string, id: string, attempt: number) =>
  fs.writeSync(fd, `${Date.now()} ${process.pid} ${what} ${id} ${attempt}\n`);

/** Records the attempt and stores `id` unless an earlier attempt did; true when this one stored it. */
function store(stored: Uint8Array, id: string): boolean {
  const { attempt } = Context.current().info;
  record('begin', id, attempt);
  const first = stored[index(id)] === 0;
  stored[index(id)] = 1;
  record(first ? 'stored' : 'already', id, attempt);
  return first;
}

const library: LibraryActivities = {
  async beginAnalysisRun(input) {
    return { runId: 'bench-run', source: 'bench', params: mockRunParams(input.request) };
  },
  async listAlbumPage({ startIndex }) {
    const size = Math.max(0, Math.min(ALBUM_PAGE, ALBUMS - startIndex));
    const albums = Array.from({ length: size }, (_, k) => ({
      id: `a${startIndex + k}`,
      name: `Album ${startIndex + k}`,
    }));
    return { albums, total: ALBUMS, done: startIndex + size >= ALBUMS };
  },
  async prepareAlbum({ albumId }) {
    const i = index(albumId);
    store(albumStored, albumId);
    const tracks = i % 10 === 0 ? [{ trackId: `t${i}`, title: `Track ${i}` }] : [];
    const skipped = i % 7 === 0 ? 1 : 0;
    return { tracks, tracksTotal: tracks.length + skipped, skipped };
  },
  async recordTrackFailure() {},
  async recordAnalysisProgress() {},
  async finishAnalysisRun() {},
};
const analysis: AnalysisActivities = {
  async analyzeLibraryTrack({ trackId }) {
    return { status: store(trackStored, trackId) ? 'analyzed' : 'already' };
  },
};

const w = await startMockWorkers({
  address: env('TEMPORAL_ADDRESS'),
  taskQueue: env('TASK_QUEUE'),
  mocks: { library, analysis },
});
console.log(`[worker ${process.pid}] polling ${env('TASK_QUEUE')}`);
process.on('SIGTERM', () => void w.stop().then(() => process.exit(0)));
