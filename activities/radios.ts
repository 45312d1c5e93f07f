// A radio's refresh: compute its songs (the request-time queries, handed in by the worker as `radioSongs`), then
// replace the content of its one server playlist in a single request, or create that playlist once, as the
// radio's person where the server keeps people. Where the server cannot change a playlist in place (Jellyfin with
// an API key) a new one, made whole in one request, takes the old one's place. Idempotent: the intent is recorded
// before a create and a retry adopts the playlist of that name; a run is recorded once.
import { heartbeat } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { Config } from '../lib/config.ts';
import type { Pool } from '../lib/db.ts';
import {
  getRadio,
  markRadioPublishStarted,
  publishedRadioTracks,
  recordRadioRun,
  setRadioPlaylist,
  type Radio,
} from '../lib/store/radios.ts';
import { userById } from '../lib/store/users.ts';
import { mediaAsPerson } from '../providers/media/person.ts';
import { MediaServerError, type MediaProvider } from '../providers/media/provider.ts';
import type { RadioRecipe, RadioSongs, RefreshRadioResult } from '../contracts/radios.ts';
import { FailureType } from '../words/failure-types.ts';
import { mapFailures } from './failures.ts';

export interface RadioDeps {
  pool: Pool;
  config: Pick<Config, 'userCredentialsKey'>;
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
        const media = await publisher(deps, radio);
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
        const { playlistId, note } = await writePlaylist(deps.pool, media, radio, trackIds);
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
          reason: note ?? null,
        });
        return note ? { ...result, reason: note } : result;
      });
    },
  };
}

/** The server as the radio's person (their playlists, their login), or as the configured account. */
async function publisher(deps: RadioDeps, radio: Radio): Promise<MediaProvider> {
  const media = await deps.media();
  if (!radio.userId) return media;
  const user = await userById(deps.pool, radio.source, radio.userId);
  if (!user) return media; // a radio outlives no person (deleted with them); a source switch leaves the account
  return mediaAsPerson(deps.pool, media, user, deps.config.userCredentialsKey);
}

/**
 * Replaces the playlist's songs in one request, or creates it (first run, the user deleted it, or the server
 * cannot change it in place); its id, and a note when an old playlist could not be deleted.
 */
async function writePlaylist(
  pool: Pool,
  media: MediaProvider,
  radio: Radio,
  trackIds: string[],
): Promise<{ playlistId: string; note?: string }> {
  const name = radioPlaylistName(radio);
  let id = radio.serverPlaylistId;
  let note: string | undefined;
  let adopted = false;
  if (radio.publishStartedAt) {
    // A create whose reply was lost (the worker died, maybe mid-create): a playlist of that name that was not
    // there before the create is ours. One that was (a person's own of the same name) is never adopted.
    const before = new Set(radio.publishBaseline ?? []);
    const named = (await media.listPlaylists()).find((p) => p.name === name && !before.has(p.id));
    if (named) {
      note = await takePlace(pool, media, radio, named.id);
      id = named.id;
      adopted = true;
    }
  }
  if (id) {
    try {
      if (!media.replacePlaylistTracks)
        throw new MediaServerError(`the ${media.type} source cannot replace a playlist's songs`, 'refused');
      await media.replacePlaylistTracks(id, name, trackIds);
      return { playlistId: id, note };
    } catch (err) {
      if (!(err instanceof MediaServerError && (err.code === 'not_found' || err.code === 'refused'))) throw err;
      // Refused after adopting: made whole by this run's one-request create, it already holds these songs.
      if (err.code === 'refused' && adopted) return { playlistId: id, note };
      // Else deleted on the server, or not changeable in place: a new one is made below.
    }
  }
  const sameName = (await media.listPlaylists()).filter((p) => p.name === name).map((p) => p.id);
  await markRadioPublishStarted(pool, radio.id, sameName);
  const created = await media.createPlaylist(name, trackIds);
  return { playlistId: created.id, note: await takePlace(pool, media, radio, created.id) };
}

/**
 * The new playlist takes the old one's place: the old one is deleted first and the new id stored last, so a
 * retry after a crash in between still finds the intent, adopts the new one and deletes the old one again.
 */
async function takePlace(pool: Pool, media: MediaProvider, radio: Radio, id: string): Promise<string | undefined> {
  const old = radio.serverPlaylistId;
  let note: string | undefined;
  if (old && old !== id) {
    try {
      await media.deletePlaylist(old);
    } catch (err) {
      if (!(err instanceof MediaServerError)) throw err;
      if (err.code === 'refused' || err.code === 'auth') note = `the old playlist ${old} stays: ${err.message}`;
      else if (err.code !== 'not_found') throw err;
    }
  }
  await setRadioPlaylist(pool, radio.id, id);
  return note;
}

export type RadioActivities = ReturnType<typeof createRadioActivities>;
