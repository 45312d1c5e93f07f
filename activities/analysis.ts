// The CPU-heavy activity of the library analysis, served by the analysis task queue (one track per process at
// a time): open or download the track, run the engine with heartbeats and cancellation, then store features
// and status in one transaction. Bad audio is a result (a typed failure stored on the track), not an error.
import { activityInfo, Context, heartbeat } from '@temporalio/activity';
import { CancelledFailure } from '@temporalio/common';
import type { Config } from '../lib/config.ts';
import type { Pool } from '../lib/db.ts';
import { storeTrackFailure, storeTrackFeatures, trackForAnalysis } from '../lib/store/tracks.ts';
import type { TrackResult } from '../contracts/analysis.ts';
import { analyzeTrack } from '../engines/analysis/analyze-track.ts';
import { AnalysisError } from '../engines/analysis/errors.ts';
import { analysisVersion } from '../engines/analysis/version.ts';
import { mapFailures } from './failures.ts';
import { downloadToTemp } from '../providers/media/download.ts';
import { MediaServerError, type MediaProvider } from '../providers/media/provider.ts';

export interface AnalysisDeps {
  pool: Pool;
  config: Config;
  media: () => Promise<MediaProvider>;
  /** This process's own download folder (removed files of dead processes are cleaned at start-up). */
  tempDir: string;
}

export function createAnalysisActivities(deps: AnalysisDeps) {
  const version = analysisVersion(deps.config.analysis);

  return {
    async analyzeLibraryTrack(input: { trackId: string }): Promise<TrackResult> {
      return mapFailures(async () => {
        const track = await trackForAnalysis(deps.pool, input.trackId, version);
        if (!track) return { status: 'failed', code: 'unknown_track' };
        // An earlier attempt stored it and died before reporting: do not analyse it twice.
        if (track.current) return { status: 'already' };
        const { attempt } = activityInfo();
        const signal = Context.current().cancellationSignal;
        const media = await deps.media();
        heartbeat({ stage: 'opening' });
        let dispose: (() => Promise<void>) | undefined;
        try {
          let file: string;
          if (media.localFile) {
            file = await media.localFile(track.itemId, track.path ?? undefined);
          } else {
            const downloaded = await downloadToTemp(media, track.itemId, deps.tempDir, {
              signal,
              onBytes: (bytes) => heartbeat({ stage: 'downloading', bytes }),
            });
            dispose = downloaded.dispose;
            file = downloaded.path;
          }
          const features = await analyzeTrack(file, {
            modelsDir: deps.config.modelsDir,
            patchHop: deps.config.analysis.patchHop,
            profile: deps.config.analysis.profile,
            signal,
            onProgress: (p) => heartbeat({ stage: 'analysing', ...p }),
          });
          await storeTrackFeatures(deps.pool, input.trackId, features, version, attempt);
          return { status: 'analyzed' };
        } catch (err) {
          if (signal.aborted) throw new CancelledFailure('track analysis cancelled');
          const failure = trackFailure(err);
          if (!failure) throw err;
          await storeTrackFailure(deps.pool, input.trackId, { ...failure, attempts: attempt });
          return { status: 'failed', code: failure.code };
        } finally {
          await dispose?.();
        }
      });
    },
  };

  /** Failures that belong to the track (recorded, the album goes on); undefined for everything else. */
  function trackFailure(err: unknown): { code: string; reason: string; permanentFor?: string } | undefined {
    if (err instanceof AnalysisError && !err.isSetupError && err.code !== 'aborted') {
      return { code: err.code, reason: err.message, permanentFor: version };
    }
    if (err instanceof MediaServerError && (err.code === 'not_found' || err.code === 'refused')) {
      // Gone from the server (deleted, re-scanned under a new id): the next run's listing decides again.
      return { code: 'missing', reason: err.message };
    }
    return undefined;
  }
}

export type AnalysisActivities = ReturnType<typeof createAnalysisActivities>;
