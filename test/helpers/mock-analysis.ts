// Mocked activities of the library analysis, for workflow-level tests (scale test, recorded histories): a fake
// library held in memory, every call counted, no PostgreSQL and no media server. The workers are real.
import os from 'node:os';
import { Context, heartbeat } from '@temporalio/activity';
import { Client, Connection } from '@temporalio/client';
import { CancelledFailure } from '@temporalio/common';
import { NativeConnection, Worker } from '@temporalio/worker';
import type { AnalysisActivities } from '../../activities/analysis.ts';
import { ALBUM_PAGE, type LibraryActivities } from '../../activities/library.ts';
import { installRuntime } from '../../lib/runtime.ts';
import { analysisTaskQueue } from '../../words/task-queues.ts';
import type { TrackResult } from '../../contracts/analysis.ts';
import { runWorkers, workflowBundle } from './worker.ts';

/** A mocked run's parameters: the real activity's defaults (albumsPerRun 500); the rest as a small configuration
 *  would set them. */
export function mockRunParams(r: Parameters<LibraryActivities['beginAnalysisRun']>[0]['request']) {
  return {
    numRecentAlbums: r.numRecentAlbums ?? 0,
    topNMoods: r.topNMoods ?? 10,
    maxConcurrentAlbums: r.maxConcurrentAlbums ?? 4,
    albumsPerRun: r.albumsPerRun ?? 500,
  };
}

export interface FakeAlbum {
  id: string;
  name: string;
  /** Tracks prepareAlbum reports as needing analysis. */
  tracks: { trackId: string; title: string }[];
  /** Tracks prepareAlbum reports as already analysed (counted as skipped). */
  skipped: number;
}

export interface MockOptions {
  albums: FakeAlbum[];
  /** What analyzeLibraryTrack does with a track (default: analysed). May throw an ApplicationFailure. */
  analyzeTrack?: (trackId: string) => Promise<TrackResult>;
  /** beginAnalysisRun answers "already running" with this workflow id. */
  alreadyRunning?: string;
  source?: string;
}

export interface MockCalls {
  begin: Parameters<LibraryActivities['beginAnalysisRun']>[0][];
  pages: Parameters<LibraryActivities['listAlbumPage']>[0][];
  /** prepareAlbum calls per album id. */
  prepared: Map<string, number>;
  /** analyzeLibraryTrack calls per track id. */
  tracks: Map<string, number>;
  trackFailures: Parameters<LibraryActivities['recordTrackFailure']>[0][];
  progress: number;
  finished: Parameters<LibraryActivities['finishAnalysisRun']>[0][];
}

export function mockActivities(opts: MockOptions): {
  library: LibraryActivities;
  analysis: AnalysisActivities;
  calls: MockCalls;
} {
  const byId = new Map(opts.albums.map((a) => [a.id, a]));
  const calls: MockCalls = {
    begin: [],
    pages: [],
    prepared: new Map(),
    tracks: new Map(),
    trackFailures: [],
    progress: 0,
    finished: [],
  };
  const bump = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);

  const library: LibraryActivities = {
    async beginAnalysisRun(input) {
      calls.begin.push(input);
      if (opts.alreadyRunning) return { runningWorkflowId: opts.alreadyRunning };
      return {
        runId: `run-${calls.begin.length}`,
        source: opts.source ?? 'mock',
        params: mockRunParams(input.request),
      };
    },
    // Pages of at most ALBUM_PAGE, `limit` caps the whole listing (0 = all): the real activity's contract.
    async listAlbumPage(input) {
      calls.pages.push(input);
      const cap = input.limit > 0 ? Math.min(input.limit, opts.albums.length) : opts.albums.length;
      const size = Math.min(ALBUM_PAGE, cap - input.startIndex);
      if (size <= 0) return { albums: [], total: Math.min(cap, input.startIndex), done: true };
      const albums = opts.albums
        .slice(input.startIndex, input.startIndex + size)
        .map((a) => ({ id: a.id, name: a.name }));
      return { albums, total: cap, done: input.startIndex + albums.length >= cap };
    },
    async prepareAlbum(input) {
      bump(calls.prepared, input.albumId);
      const a = byId.get(input.albumId);
      if (!a) throw new Error(`unknown album ${input.albumId}`);
      return { tracks: a.tracks, tracksTotal: a.tracks.length + a.skipped, skipped: a.skipped };
    },
    async recordTrackFailure(input) {
      calls.trackFailures.push(input);
    },
    async recordAnalysisProgress() {
      calls.progress++;
    },
    async finishAnalysisRun(input) {
      calls.finished.push(input);
    },
  };
  const analysis: AnalysisActivities = {
    async analyzeLibraryTrack(input) {
      bump(calls.tracks, input.trackId);
      return opts.analyzeTrack ? opts.analyzeTrack(input.trackId) : { status: 'analyzed' };
    },
  };
  return { library, analysis, calls };
}

/** An activity that heartbeats until it is cancelled, then ends as the real ones do (CancelledFailure). */
export async function heartbeatUntilCancelled(stage: string): Promise<never> {
  const signal = Context.current().cancellationSignal;
  while (!signal.aborted) {
    heartbeat({ stage });
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new CancelledFailure(`${stage} cancelled`);
}

/** A track analysis that runs until it is cancelled. */
export const analyzeUntilCancelled = (): Promise<TrackResult> => heartbeatUntilCancelled('analysing');

/**
 * Our bundled workflows with the mocked activities on `taskQueue`, and an activity-only worker on the analysis
 * queue, both running in this process; plus a client.
 */
export async function startMockWorkers(opts: {
  address: string;
  taskQueue: string;
  mocks: { library: LibraryActivities; analysis: AnalysisActivities };
  /** Track analyses at once on the analysis queue. */
  analysisSlots?: number;
}): Promise<{ client: Client; stop(): Promise<void> }> {
  installRuntime();
  const connection = await NativeConnection.connect({ address: opts.address });
  const clientConnection = await Connection.connect({ address: opts.address });
  const client = new Client({ connection: clientConnection });
  const identity = `audiomuse-mock@${os.hostname()}:${process.pid}`;
  const workers = [
    await Worker.create({
      connection,
      taskQueue: opts.taskQueue,
      identity,
      workflowBundle: await workflowBundle(),
      activities: opts.mocks.library,
    }),
    await Worker.create({
      connection,
      taskQueue: analysisTaskQueue(opts.taskQueue),
      identity,
      activities: opts.mocks.analysis,
      maxConcurrentActivityTaskExecutions: opts.analysisSlots ?? 100,
      // Cancellation reaches an activity with a heartbeat response: keep it quick.
      maxHeartbeatThrottleInterval: '1 second',
    }),
  ];
  return { client, stop: runWorkers(workers, [connection, clientConnection]) };
}
