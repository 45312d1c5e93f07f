// Reads one person's listening history from the media server and stores it in place of the last one: the same
// sync run twice stores the same rows. Called by the syncListeningHistory activity and directly by the CLI and API.
import type { Pool } from '../../lib/db.ts';
import { storeListeningHistory } from '../../lib/store/listening-history.ts';
import type { User } from '../../lib/store/users.ts';
import type { SyncListeningHistoryResult } from '../../contracts/listening-history.ts';
import { serverPerson } from './person.ts';
import { MediaServerError, type MediaProvider } from './provider.ts';

export async function syncUserHistory(
  pool: Pool,
  media: MediaProvider,
  user: Pick<User, 'id' | 'source' | 'name' | 'serverUserId'>,
  credentialsKey: string | undefined,
  onProgress?: (read: number) => void,
): Promise<SyncListeningHistoryResult> {
  if (!media.listeningHistory)
    throw new MediaServerError(
      `a ${media.type} source keeps no listening history: import a ListenBrainz or Last.fm export for ${user.name} instead`,
      'refused',
    );
  if (user.source !== media.type)
    throw new MediaServerError(
      `${user.name} is a ${user.source} user; the media source is ${media.type}`,
      'bad_config',
    );
  const played = await media.listeningHistory(await serverPerson(pool, user, credentialsKey), onProgress);
  const stored = await storeListeningHistory(
    pool,
    user.id,
    user.source,
    played.map((p) => ({
      itemId: p.trackId,
      playCount: p.playCount,
      lastPlayed: p.lastPlayed,
      favourite: p.favourite,
    })),
    { replace: true },
  );
  return { userId: user.id, read: played.length, ...stored };
}
