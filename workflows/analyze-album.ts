// Child workflow `analyzeAlbum`: lists and upserts the album's tracks, then analyses those that need it, a few
// at a time, on the analysis task queue. A bad track is recorded and the album goes on; only failures that
// would hit every track (setup, credentials) end it. Very large "albums" continue as new.
import {
  ActivityCancellationType,
  continueAsNew,
  isCancellation,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { AnalysisActivities } from '../activities/analysis.ts';
import type { LibraryActivities } from '../activities/library.ts';
import { FATAL_FAILURE_TYPES } from '../words/failure-types.ts';
import { analysisTaskQueue } from '../words/task-queues.ts';
import { albumProgressQuery, type AlbumResult, type AnalyzeAlbumInput } from '../contracts/analysis.ts';
import { STEP_RETRY, TRACK_RETRY } from './retry-policies.ts';
import { failureDetails } from './failure-details.ts';

/** Tracks of one album in flight: with MAX_CONCURRENT_ALBUMS albums, enough to keep every analysis slot busy. */
export const TRACKS_IN_FLIGHT = 2;
/** Events before a huge album hands its remaining tracks to a fresh run (each track costs about 6). */
const MAX_ALBUM_HISTORY = 6000;
const TRACK_ATTEMPTS = TRACK_RETRY.maximumAttempts;

const { recordTrackFailure } = proxyActivities<LibraryActivities>({
  startToCloseTimeout: '5 minutes',
  retry: STEP_RETRY,
});
// Listing an album is short and runs once per album of every run: as a local activity it costs the server one
// marker event instead of a task round trip, which halves the server's work per album in a re-run of a big library.
const { prepareAlbum } = proxyLocalActivities<LibraryActivities>({
  startToCloseTimeout: '5 minutes',
  retry: STEP_RETRY,
});

export async function analyzeAlbum(input: AnalyzeAlbumInput): Promise<AlbumResult> {
  const { analyzeLibraryTrack } = proxyActivities<AnalysisActivities>({
    taskQueue: analysisTaskQueue(workflowInfo().taskQueue),
    // A 60-minute mix on a slow CPU stays far below this; a dead worker is noticed by the heartbeat timeout.
    startToCloseTimeout: '2 hours',
    heartbeatTimeout: '30 seconds',
    // Wait for the activity to stop (ffmpeg killed, temp file removed) before the album reports cancelled.
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    retry: TRACK_RETRY,
  });

  const c = input.carried ?? (await prepare(input));
  const inFlight = new Map<string, string>();
  setHandler(albumProgressQuery, () => ({
    albumId: input.albumId,
    albumName: input.albumName,
    tracksTotal: c.tracksTotal,
    analyzed: c.analyzed + c.alreadyStored,
    skipped: c.skipped,
    failed: c.failed,
    inFlight: [...inFlight.values()],
  }));

  let fatal: unknown;
  const analyzeOne = async (t: { trackId: string; title: string }) => {
    inFlight.set(t.trackId, t.title);
    try {
      const r = await analyzeLibraryTrack({ trackId: t.trackId });
      if (r.status === 'analyzed') c.analyzed++;
      else if (r.status === 'already') c.alreadyStored++;
      else c.failed++;
    } catch (err) {
      const { type, message, retriesExhausted } = failureDetails(err);
      if (isCancellation(err) || FATAL_FAILURE_TYPES.includes(type ?? '')) {
        fatal ??= err;
        return;
      }
      // Retries exhausted on a transient problem (server down, timeouts): recorded, retried by the next run.
      c.failed++;
      await recordTrackFailure({
        trackId: t.trackId,
        code: type ?? 'error',
        reason: message,
        attempts: retriesExhausted ? TRACK_ATTEMPTS : 1,
      });
    } finally {
      inFlight.delete(t.trackId);
    }
  };

  const running = new Set<Promise<void>>();
  while (c.tracks.length > 0 && fatal === undefined) {
    if (workflowInfo().historyLength > MAX_ALBUM_HISTORY || workflowInfo().continueAsNewSuggested) {
      await Promise.all(running);
      if (fatal !== undefined) break;
      await continueAsNew<typeof analyzeAlbum>({ ...input, carried: c });
    }
    const t = c.tracks.shift()!;
    const p: Promise<void> = analyzeOne(t).finally(() => running.delete(p));
    running.add(p);
    if (running.size >= TRACKS_IN_FLIGHT) await Promise.race(running);
  }
  await Promise.all(running);
  if (fatal !== undefined) throw fatal;
  return {
    albumId: input.albumId,
    tracksTotal: c.tracksTotal,
    analyzed: c.analyzed,
    skipped: c.skipped,
    failed: c.failed,
    alreadyStored: c.alreadyStored,
  };
}

async function prepare(input: AnalyzeAlbumInput): Promise<NonNullable<AnalyzeAlbumInput['carried']>> {
  const p = await prepareAlbum({ source: input.source, albumId: input.albumId });
  return { tracks: p.tracks, tracksTotal: p.tracksTotal, analyzed: 0, skipped: p.skipped, failed: 0, alreadyStored: 0 };
}
