// Publishing a clustering run's stored playlists to the media server, idempotently: each playlist is created
// once (a retry after a crash finds it by the publish intent recorded before the create, and replaces it when
// it was left half-filled), then the playlists of earlier runs are deleted — only those AudioMuse recorded
// creating, so a user's own playlist survives even when its name ends in `_automatic`.
import { heartbeat } from '@temporalio/activity';
import type { Config } from '../lib/config.ts';
import type { Pool } from '../lib/db.ts';
import {
  clusteringRun,
  markPublished,
  markPublishStarted,
  markSuperseded,
  publishedPlaylists,
  recordedServerIds,
  runPlaylists,
  setPublishBaseline,
} from '../lib/store/clustering.ts';
import { isAutomaticPlaylistName } from '../engines/clustering/postprocess.ts';
import { mapFailures } from './failures.ts';
import { MediaServerError, type MediaProvider } from '../providers/media/provider.ts';

export interface PublishingDeps {
  pool: Pool;
  config: Config;
  media: () => Promise<MediaProvider>;
}

export interface PublishResult {
  created: number;
  /** Created by an earlier attempt of this publish and found on the server. */
  adopted: number;
  deleted: number;
  /** Tracks left out because the server no longer has them. */
  missingTracks: number;
}

export function createPublishingActivities(deps: PublishingDeps) {
  return {
    async publishClusteringPlaylists(input: { runId: string }): Promise<PublishResult> {
      return mapFailures(async () => {
        const run = await clusteringRun(deps.pool, input.runId);
        if (!run) throw new Error(`no clustering run ${input.runId}`);
        const media = await deps.media();
        const result: PublishResult = { created: 0, adopted: 0, deleted: 0, missingTracks: 0 };
        const onServer = await media.listPlaylists();
        // The server's playlists before this publish first ran: anything not in it, not recorded by us, and
        // named like one of our drafts can only be a create of ours whose completion was lost.
        const baseline = await setPublishBaseline(
          deps.pool,
          input.runId,
          onServer.map((p) => p.id),
        );
        const recorded = await recordedServerIds(deps.pool, run.source);

        const drafts = (await runPlaylists(deps.pool, input.runId)).filter((p) => p.status === 'draft');
        // One lookup for the whole run (Jellyfin answers 100 ids a request, Subsonic one).
        const existing = await media.existingTrackIds([...new Set(drafts.flatMap((p) => p.itemIds))]);
        for (const p of drafts) {
          heartbeat({ publishing: p.name });
          const present = p.itemIds.filter((id) => existing.has(id));
          const missing = p.itemIds.length - present.length;
          if (p.publishStartedAt) {
            const orphans = onServer.filter((s) => s.name === p.name && !baseline.has(s.id) && !recorded.has(s.id));
            const complete = orphans.find((s) => s.trackCount === present.length);
            for (const o of orphans) if (o !== complete) await deleteIfPresent(media, o.id); // half-filled by a crashed attempt
            if (complete) {
              recorded.add(complete.id);
              await markPublished(deps.pool, p.id, complete.id, missing);
              result.adopted++;
              result.missingTracks += missing;
              continue;
            }
          }
          await markPublishStarted(deps.pool, p.id);
          const created = await media.createPlaylist(p.name, present);
          recorded.add(created.id);
          await markPublished(deps.pool, p.id, created.id, missing);
          result.created++;
          result.missingTracks += missing;
        }

        for (const old of await publishedPlaylists(deps.pool, run.source, input.runId)) {
          heartbeat({ deleting: old.name });
          if (old.serverPlaylistId && isAutomaticPlaylistName(old.name)) {
            if (await deleteIfPresent(media, old.serverPlaylistId)) result.deleted++;
          }
          await markSuperseded(deps.pool, [old.id]);
        }
        return result;
      });
    },
  };
}

/** Deletes a server playlist; false when it is already gone. */
async function deleteIfPresent(media: MediaProvider, playlistId: string): Promise<boolean> {
  try {
    await media.deletePlaylist(playlistId);
    return true;
  } catch (err) {
    if (err instanceof MediaServerError && err.code === 'not_found') return false;
    throw err;
  }
}

export type PublishingActivities = ReturnType<typeof createPublishingActivities>;
