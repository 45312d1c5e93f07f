// Activities of the library analysis that talk to the media server and PostgreSQL only (light work, main task
// queue): run records, album listing, track upserts. The CPU-heavy track analysis lives in analysis.ts.
import type { Client } from '@temporalio/client';
import type { Config } from '../lib/config.ts';
import type { Pool } from '../lib/db.ts';
import { mayBeRunning } from '../lib/temporal.ts';
import { checkInput } from '../contracts/input-spec.ts';
import { counterColumns } from '../lib/store/analysis-runs.ts';
import { beginOrAttachRun, finishRun, recordRunProgress, type RunStatus } from '../lib/store/runs.ts';
import { storeTrackFailure, upsertAlbumTracks, type TrackToAnalyze } from '../lib/store/tracks.ts';
import {
  ANALYZE_LIBRARY_INPUT,
  analyzeInputDefaults,
  type AlbumRef,
  type AnalyzeLibraryInput,
  type CarriedLibraryState,
  type RunCounters,
} from '../contracts/analysis.ts';
import { analysisVersion } from '../engines/analysis/version.ts';
import { mapFailures } from './failures.ts';
import type { MediaProvider } from '../providers/media/provider.ts';

export interface LibraryDeps {
  pool: Pool;
  config: Config;
  media: () => Promise<MediaProvider>;
  /** Used to tell a run that is still going from a row left "running" by a workflow that was terminated. */
  client?: () => Promise<Client | undefined>;
}

/** Albums per listing call: small payloads, few calls. */
export const ALBUM_PAGE = 500;

export function createLibraryActivities(deps: LibraryDeps) {
  const version = analysisVersion(deps.config.analysis);

  return {
    /** Resolves the parameters from the configuration and records the run (or names the one already running). */
    async beginAnalysisRun(input: {
      request: Omit<AnalyzeLibraryInput, 'carried'>;
      workflowId: string;
      firstRunId: string;
    }): Promise<
      { runId: string; source: string; params: CarriedLibraryState['params'] } | { runningWorkflowId: string }
    > {
      return mapFailures(async () => {
        const { request } = input;
        checkInput(ANALYZE_LIBRARY_INPUT, request);
        const params = { ...analyzeInputDefaults(deps.config), ...request };
        const source = (await deps.media()).type;
        const run = {
          workflowId: input.workflowId,
          firstRunId: input.firstRunId,
          source,
          params: { ...params, analysisVersion: version },
        };
        const r = await beginOrAttachRun(deps.pool, 'analysis', run, (id) => mayBeRunning(deps.client, id));
        return 'runId' in r ? { runId: r.runId, source, params } : r;
      });
    },

    /** One page of albums, newest first, capped at `limit` albums in all (0 = no cap). */
    async listAlbumPage(opts: {
      startIndex: number;
      limit: number;
    }): Promise<{ albums: AlbumRef[]; total: number; done: boolean }> {
      return mapFailures(async () => {
        const cap = opts.limit > 0 ? opts.limit : Infinity;
        const size = Math.min(ALBUM_PAGE, cap - opts.startIndex);
        if (size <= 0) return { albums: [], total: Math.min(cap, opts.startIndex), done: true };
        const media = await deps.media();
        if (opts.startIndex === 0) await media.rescan?.();
        const page = await media.listRecentAlbums({ startIndex: opts.startIndex, limit: size });
        const total = Math.min(cap, page.total);
        const albums = page.albums.map((a) => ({ id: a.id, name: a.name }));
        return { albums, total, done: albums.length < size || opts.startIndex + albums.length >= total };
      });
    },

    /** Lists an album's tracks, upserts them and returns those that still need analysis. */
    async prepareAlbum(input: {
      source: string;
      albumId: string;
    }): Promise<{ tracks: TrackToAnalyze[]; tracksTotal: number; skipped: number }> {
      return mapFailures(async () => {
        const tracks = await (await deps.media()).listAlbumTracks(input.albumId);
        const rows = tracks.map((t) => ({
          itemId: t.id,
          title: t.title,
          artist: t.artist,
          album: t.album,
          durationSec: t.duration,
          changeMarker: t.changeMarker,
          path: t.path,
          artistId: t.artistId,
          libraryId: t.libraryId,
        }));
        const { toAnalyze, skipped } = await upsertAlbumTracks(deps.pool, input.source, input.albumId, rows, version);
        return { tracks: toAnalyze, tracksTotal: tracks.length, skipped };
      });
    },

    /** A track whose analysis failed after every retry (server down, timeouts): retried by the next run. */
    async recordTrackFailure(input: {
      trackId: string;
      code: string;
      reason: string;
      attempts: number;
    }): Promise<void> {
      await storeTrackFailure(deps.pool, input.trackId, input);
    },

    async recordAnalysisProgress(input: { runId: string; counters: RunCounters; progress: object }): Promise<void> {
      await recordRunProgress(deps.pool, 'analysis', input.runId, input.progress, counterColumns(input.counters));
    },

    async finishAnalysisRun(input: {
      runId: string;
      status: Exclude<RunStatus, 'running'>;
      counters: RunCounters;
      progress: object;
      error?: string;
    }): Promise<void> {
      await finishRun(deps.pool, 'analysis', input.runId, {
        status: input.status,
        progress: input.progress,
        error: input.error,
        columns: counterColumns(input.counters),
      });
    },
  };
}

export type LibraryActivities = ReturnType<typeof createLibraryActivities>;
