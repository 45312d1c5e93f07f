// Workflow `analyzeLibrary`: pages through the newest albums and runs one `analyzeAlbum` child per album,
// at most `maxConcurrentAlbums` at a time. Every `albumsPerRun` albums (or when Temporal suggests it) it stops
// starting children, drains the running ones and continues as new with its cursor and counters, so no
// history grows large and no child is orphaned: children are never handed across runs.
import {
  CancellationScope,
  ContinueAsNew,
  ParentClosePolicy,
  executeChild,
  isCancellation,
  makeContinueAsNewFunc,
  patched,
  proxyActivities,
  setHandler,
  upsertMemo,
  workflowInfo,
} from '@temporalio/workflow';
import type { LibraryActivities } from '../activities/library.ts';
import { FATAL_FAILURE_TYPES } from '../words/failure-types.ts';
import { analyzeAlbum } from './analyze-album.ts';
import {
  addSample,
  progressQuery,
  rateAndEta,
  type AlbumRef,
  type AnalyzeLibraryInput,
  type CarriedLibraryState,
  type LibraryProgress,
} from '../contracts/analysis.ts';
import { STEP_RETRY } from './retry-policies.ts';
import { failureDetails, workflowFailure } from './failure-details.ts';

/** Progress goes to PostgreSQL and the memo (Temporal Web) at most this often: each write is history. */
const RECORD_EVERY_MS = 15_000;

const { beginAnalysisRun, listAlbumPage, recordAnalysisProgress, finishAnalysisRun } =
  proxyActivities<LibraryActivities>({
    startToCloseTimeout: '5 minutes',
    retry: STEP_RETRY,
  });

export async function analyzeLibrary(input: AnalyzeLibraryInput = {}): Promise<LibraryProgress> {
  const { carried, ...request } = input;
  const current = new Map<string, AlbumRef>();
  let s: CarriedLibraryState | undefined = carried;
  let status: LibraryProgress['status'] = s ? 'running' : 'starting';
  let error: string | undefined;
  let runningWorkflowId: string | undefined;

  const snapshot = (): LibraryProgress => {
    const left = s?.counters.albumsTotal != null ? s.counters.albumsTotal - s.counters.albumsDone : null;
    const { tracksPerHour, etaSeconds } = s ? rateAndEta(s.samples, left) : { tracksPerHour: null, etaSeconds: null };
    return {
      workflowId: workflowInfo().workflowId,
      status,
      source: s?.source ?? null,
      params: s?.params ?? null,
      albumsTotal: s?.counters.albumsTotal ?? null,
      albumsDone: s?.counters.albumsDone ?? 0,
      albumsFailed: s?.counters.albumsFailed ?? 0,
      tracksAnalyzed: s?.counters.tracksAnalyzed ?? 0,
      tracksSkipped: s?.counters.tracksSkipped ?? 0,
      tracksFailed: s?.counters.tracksFailed ?? 0,
      currentAlbums: [...current.values()],
      tracksPerHour,
      etaSeconds: status === 'running' ? etaSeconds : null,
      startedAt: s ? new Date(s.startedAt).toISOString() : null,
      updatedAt: new Date().toISOString(),
      runNumber: s?.runNumber ?? 1,
      ...(error !== undefined && { error }),
      ...(runningWorkflowId !== undefined && { runningWorkflowId }),
    };
  };
  setHandler(progressQuery, snapshot);

  if (!s) {
    const begun = await beginAnalysisRun({
      request,
      workflowId: workflowInfo().workflowId,
      firstRunId: workflowInfo().firstExecutionRunId,
    }).catch((err: unknown) => {
      throw workflowFailure(err); // the activity's own message: bad input names the field
    });
    if ('runningWorkflowId' in begun) {
      status = 'already_running';
      runningWorkflowId = begun.runningWorkflowId;
      return snapshot();
    }
    s = {
      runId: begun.runId,
      source: begun.source,
      params: begun.params,
      startedAt: Date.now(),
      cursor: 0,
      queue: [],
      listingDone: false,
      counters: {
        albumsTotal: null,
        albumsDone: 0,
        albumsFailed: 0,
        tracksAnalyzed: 0,
        tracksSkipped: 0,
        tracksFailed: 0,
      },
      samples: [],
      runNumber: 1,
    };
    status = 'running';
    // Progress reads answer from the memo while the busy workflow is late to answer its query: a copy from the
    // start (runs recorded before this have their first copy after RECORD_EVERY_MS).
    if (patched('progress-memo-from-start')) upsertMemo({ progress: snapshot() });
  }
  const state = s;
  let lastRecord = Date.now();
  const record = async () => {
    lastRecord = Date.now();
    const p = snapshot();
    upsertMemo({ progress: p });
    await recordAnalysisProgress({ runId: state.runId, counters: state.counters, progress: p });
    return p;
  };
  const finish = (final: 'completed' | 'cancelled' | 'failed') =>
    // Runs even when the workflow is being cancelled: the run must end up marked.
    CancellationScope.nonCancellable(async () => {
      status = final;
      current.clear();
      const p = snapshot();
      upsertMemo({ progress: p });
      await finishAnalysisRun({ runId: state.runId, status: final, counters: state.counters, progress: p, error });
    });

  const children = new CancellationScope();
  let fatal: unknown;
  let cancelled: unknown;

  const runAlbum = async (album: AlbumRef) => {
    current.set(album.id, album);
    try {
      const r = await children.run(() =>
        executeChild(analyzeAlbum, {
          workflowId: `analyze-album-${state.source}-${album.id}`,
          args: [{ source: state.source, albumId: album.id, albumName: album.name }],
          // A terminated parent asks its children to stop instead of leaving them running unseen.
          parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
        }),
      );
      state.counters.tracksAnalyzed += r.analyzed + r.alreadyStored;
      state.counters.tracksSkipped += r.skipped;
      state.counters.tracksFailed += r.failed;
      state.counters.albumsDone++;
    } catch (err) {
      if (isCancellation(err)) {
        // Either the whole run was cancelled, or a fatal failure elsewhere cancelled the other children.
        if (fatal === undefined) cancelled ??= err;
        return;
      }
      state.counters.albumsDone++;
      state.counters.albumsFailed++;
      const { type, message } = failureDetails(err);
      if (FATAL_FAILURE_TYPES.includes(type ?? '') && fatal === undefined) {
        fatal = err;
        error = message;
        children.cancel();
      }
    } finally {
      current.delete(album.id);
      state.samples = addSample(state.samples, {
        t: Date.now(),
        albums: state.counters.albumsDone,
        tracks: state.counters.tracksAnalyzed,
      });
    }
  };

  const nextAlbum = async (): Promise<AlbumRef | undefined> => {
    if (state.queue.length === 0 && !state.listingDone) {
      const page = await listAlbumPage({ startIndex: state.cursor, limit: state.params.numRecentAlbums });
      state.queue = page.albums;
      state.cursor += page.albums.length;
      state.counters.albumsTotal = page.total;
      state.listingDone = page.done;
    }
    return state.queue.shift();
  };

  try {
    const running = new Set<Promise<void>>();
    let startedHere = 0;
    for (;;) {
      const stop = fatal !== undefined || cancelled !== undefined;
      // Checked before every start: a window that frees up near the cadence must not overshoot albumsPerRun.
      const draining = () => startedHere >= state.params.albumsPerRun || workflowInfo().continueAsNewSuggested;
      while (!stop && !draining() && running.size < state.params.maxConcurrentAlbums) {
        const album = await nextAlbum();
        if (!album) break;
        startedHere++;
        const p: Promise<void> = runAlbum(album).finally(() => running.delete(p));
        running.add(p);
      }
      if (running.size === 0) {
        if (stop || !draining() || (state.queue.length === 0 && state.listingDone)) break;
        // The next run starts with this progress in its memo (a memo is not carried over by itself): progress
        // reads answer from it while the busy workflow is late to answer its query.
        const progress = await record();
        await makeContinueAsNewFunc<typeof analyzeLibrary>({ memo: { progress } })({
          ...request,
          carried: { ...state, runNumber: state.runNumber + 1 },
        });
      }
      await Promise.race(running);
      if (Date.now() - lastRecord >= RECORD_EVERY_MS) await record();
    }
  } catch (err) {
    if (err instanceof ContinueAsNew) throw err;
    if (isCancellation(err)) {
      await finish('cancelled');
      throw err;
    }
    // Listing failed after its retries, or credentials were refused: say why in the workflow's own failure.
    error = failureDetails(err).message;
    await finish('failed');
    throw workflowFailure(err, 'analysis stopped: ');
  }
  if (cancelled !== undefined) {
    await finish('cancelled');
    throw cancelled; // the workflow ends as cancelled, not failed
  }
  if (fatal !== undefined) {
    await finish('failed');
    throw workflowFailure(fatal, 'analysis stopped: ');
  }
  await finish('completed');
  return snapshot();
}
