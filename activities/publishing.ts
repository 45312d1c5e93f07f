// Publishing a clustering run's stored playlists to the media server, idempotently: each playlist is created
// once (a retry after a crash finds it by the publish intent recorded before the create, and replaces it when
// it was left half-filled), then the playlists of earlier runs are deleted — only those AudioMuse recorded
// creating, so a user's own playlist survives even when its name ends in `_automatic`. One of ours the user
// renamed, took over or replaced is theirs now: it is left alone (counted), never deleted or written over.
import { heartbeat, log } from '@temporalio/activity';
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
  type StoredPlaylist,
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
  /** Playlists of earlier runs now the user's (renamed, or the server refused the delete): kept, superseded. */
  leftAlone: number;
  /** Tracks left out because the server no longer has them. */
  missingTracks: number;
}

/** Songs whose presence on the server is checked between two heartbeats. */
const LOOKUP_CHUNK = 1_000;

export function createPublishingActivities(deps: PublishingDeps) {
  return {
    async publishClusteringPlaylists(input: { runId: string }): Promise<PublishResult> {
      return mapFailures(async () => {
        const run = await clusteringRun(deps.pool, input.runId);
        if (!run) throw new Error(`no clustering run ${input.runId}`);
        const media = await deps.media();
        const result: PublishResult = { created: 0, adopted: 0, deleted: 0, leftAlone: 0, missingTracks: 0 };
        const onServer = await media.listPlaylists();
        // The server's playlists before this publish first ran: anything not in it, not recorded by us, and
        // named like one of our drafts can only be a create of ours whose completion was lost.
        const baseline = await setPublishBaseline(
          deps.pool,
          input.runId,
          onServer.map((p) => p.id),
        );
        const recorded = await recordedServerIds(deps.pool, run.source);
        const serverName = new Map(onServer.map((p) => [p.id, p.name]));
        const earlier = await publishedPlaylists(deps.pool, run.source, input.runId);
        // A playlist of ours the user renamed on the server is theirs now.
        const renamed = (old: StoredPlaylist) =>
          serverName.has(old.serverPlaylistId!) && serverName.get(old.serverPlaylistId!) !== old.name;

        const mine = await runPlaylists(deps.pool, input.runId);
        // Server objects this run's playlists own: written in place over an earlier one of ours (the local folder
        // keeps a name's file), or created where a file the user deleted freed the name. Never deleted below.
        const owned = new Set(
          mine.flatMap((p) => (p.status === 'published' && p.serverPlaylistId ? [p.serverPlaylistId] : [])),
        );
        const replaceable = new Set(
          earlier.flatMap((old) =>
            old.serverPlaylistId &&
            isAutomaticPlaylistName(old.name) &&
            !renamed(old) &&
            !owned.has(old.serverPlaylistId)
              ? [old.serverPlaylistId]
              : [],
          ),
        );
        const drafts = mine.filter((p) => p.status === 'draft');
        // Looked up for the whole run (Jellyfin answers 100 ids a request, Subsonic one), a heartbeat between chunks:
        // 224,000 songs of a 300,000-track library took the stand-in longer than the heartbeat timeout in one call.
        const wanted = [...new Set(drafts.flatMap((p) => p.itemIds))];
        const existing = new Set<string>();
        for (let i = 0; i < wanted.length; i += LOOKUP_CHUNK) {
          heartbeat({ checking: `songs ${i + 1}–${Math.min(wanted.length, i + LOOKUP_CHUNK)} of ${wanted.length}` });
          for (const id of await media.existingTrackIds(wanted.slice(i, i + LOOKUP_CHUNK))) existing.add(id);
        }
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
              owned.add(complete.id);
              await markPublished(deps.pool, p.id, complete.id, missing);
              result.adopted++;
              result.missingTracks += missing;
              continue;
            }
          }
          await markPublishStarted(deps.pool, p.id);
          const created = await media.createPlaylist(p.name, present, { replace: replaceable });
          replaceable.delete(created.id); // one playlist per server object
          owned.add(created.id);
          recorded.add(created.id);
          await markPublished(deps.pool, p.id, created.id, missing);
          result.created++;
          result.missingTracks += missing;
        }

        for (const old of earlier) {
          heartbeat({ deleting: old.name });
          const id = old.serverPlaylistId;
          if (id && isAutomaticPlaylistName(old.name) && !owned.has(id)) {
            const outcome = renamed(old)
              ? { leftAlone: `renamed to "${serverName.get(id)}" on the server` }
              : await deleteIfOurs(media, id);
            if (outcome === 'deleted') result.deleted++;
            else if (outcome !== 'gone') {
              result.leftAlone++;
              log.warn(`left alone: playlist "${old.name}" (${id}) is the user's now (${outcome.leftAlone})`);
            }
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

/** Deletes one of our earlier playlists; a refusal (the user's file now, another owner) is an answer, not a failure. */
async function deleteIfOurs(
  media: MediaProvider,
  playlistId: string,
): Promise<'deleted' | 'gone' | { leftAlone: string }> {
  try {
    return (await deleteIfPresent(media, playlistId)) ? 'deleted' : 'gone';
  } catch (err) {
    if (err instanceof MediaServerError && err.code === 'refused') return { leftAlone: err.message };
    throw err;
  }
}

export type PublishingActivities = ReturnType<typeof createPublishingActivities>;
