// A radio's refresh: compute its songs (the request-time queries, handed in by the worker as `radioSongs`), then
// replace the content of its one server playlist in a single request, or create that playlist once. Idempotent:
// the intent is recorded before a create and a retry adopts the playlist of that name; a run is recorded once.
import { heartbeat } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { Pool } from '../lib/db.ts';
import {
  getRadio,
  markRadioPublishStarted,
  publishedRadioTracks,
  recordRadioRun,
  setRadioPlaylist,
  type Radio,
} from '../lib/store/radios.ts';
import { MediaServerError, type MediaProvider } from '../providers/media/provider.ts';
import type { RadioRecipe, RadioSongs, RefreshRadioResult } from '../contracts/radios.ts';
import { FailureType } from '../words/failure-types.ts';
import { mapFailures } from './failures.ts';

export interface RadioDeps {
  pool: Pool;
  media: () => Promise<MediaProvider>;
  /** The songs a recipe gives now (queries/radio-songs.ts, built by the worker over the similarity library). */
  radioSongs?: (source: string, recipe: RadioRecipe, size: number) => Promise<RadioSongs>;
}

/** The playlist name on the server: the radio's name, always. */
export const radioPlaylistName = (radio: Pick<Radio, 'name'>): string => radio.name;

function noRadio(id: string): never {
  throw ApplicationFailure.create({
    type: FailureType.invalidInput,
    message: `refreshRadio input radioId: no radio ${id}`,
    nonRetryable: true,
  });
}

export function createRadioActivities(deps: RadioDeps) {
  return {
    async computeRadioSongs(input: { radioId: string }): Promise<RadioSongs> {
      return mapFailures(async () => {
        const radio = (await getRadio(deps.pool, input.radioId)) ?? noRadio(input.radioId);
        if (!deps.radioSongs) throw new Error('this worker was built without the radio queries');
        return deps.radioSongs(radio.source, radio.recipe as unknown as RadioRecipe, radio.size);
      });
    },

    async publishRadio(input: {
      radioId: string;
      runKey: string;
      startedAt: string;
      songs: RadioSongs;
    }): Promise<RefreshRadioResult> {
      return mapFailures(async () => {
        const radio = (await getRadio(deps.pool, input.radioId)) ?? noRadio(input.radioId);
        const media = await deps.media();
        const before = await publishedRadioTracks(deps.pool, radio.id);
        const existing = input.songs.trackIds.length
          ? await media.existingTrackIds(input.songs.trackIds)
          : new Set<string>();
        const trackIds = input.songs.trackIds.filter((id) => existing.has(id));
        const reason =
          input.songs.reason ??
          (input.songs.trackIds.length ? 'none of its songs is on the server any more' : 'the recipe gave no songs');
        if (!trackIds.length) {
          // The old content stays: an empty radio is worse than yesterday's.
          await recordRadioRun(deps.pool, radio.id, {
            runKey: input.runKey,
            startedAt: input.startedAt,
            status: 'skipped',
            added: 0,
            removed: 0,
            kept: 0,
            trackIds: [],
            reason,
          });
          return { status: 'skipped', playlistId: radio.serverPlaylistId, added: 0, removed: 0, kept: 0, reason };
        }
        heartbeat({ publishing: radio.name });
        const playlistId = await writePlaylist(deps.pool, media, radio, trackIds);
        const old = new Set(before);
        const now = new Set(trackIds);
        const kept = trackIds.filter((id) => old.has(id)).length;
        const result: RefreshRadioResult = {
          status: 'published',
          playlistId,
          added: now.size - kept,
          removed: before.filter((id) => !now.has(id)).length,
          kept,
        };
        await recordRadioRun(deps.pool, radio.id, {
          runKey: input.runKey,
          startedAt: input.startedAt,
          status: 'published',
          added: result.added,
          removed: result.removed,
          kept,
          trackIds,
          reason: null,
        });
        return result;
      });
    },
  };
}

/** Replaces the playlist's songs in one request, or creates it (first run, or the user deleted it); its id. */
async function writePlaylist(pool: Pool, media: MediaProvider, radio: Radio, trackIds: string[]): Promise<string> {
  const name = radioPlaylistName(radio);
  let id = radio.serverPlaylistId;
  if (radio.publishStartedAt) {
    // A create whose reply was lost (the worker died, maybe mid-create): a playlist of that name that was not
    // there before the create is ours, and the replace below makes it whole. One that was (a person's own of the
    // same name) is never adopted.
    const before = new Set(radio.publishBaseline ?? []);
    const named = (await media.listPlaylists()).find((p) => p.name === name && !before.has(p.id));
    if (named) {
      id = named.id;
      await setRadioPlaylist(pool, radio.id, id);
    }
  }
  if (id) {
    if (!media.replacePlaylistTracks)
      throw new MediaServerError(
        `the ${media.type} source cannot replace a playlist's songs in one request`,
        'refused',
      );
    try {
      await media.replacePlaylistTracks(id, name, trackIds);
      return id;
    } catch (err) {
      if (!(err instanceof MediaServerError && err.code === 'not_found')) throw err;
      // Deleted on the server: made anew below.
    }
  }
  const sameName = (await media.listPlaylists()).filter((p) => p.name === name).map((p) => p.id);
  await markRadioPublishStarted(pool, radio.id, sameName);
  const created = await media.createPlaylist(name, trackIds);
  await setRadioPlaylist(pool, radio.id, created.id);
  return created.id;
}

export type RadioActivities = ReturnType<typeof createRadioActivities>;
