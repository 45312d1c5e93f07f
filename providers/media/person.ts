// One of our people as the media server knows them: their server user id and their own login, opened from the
// store only here, for the provider that reads or publishes as them.
import type { Pool } from '../../lib/db.ts';
import { userCredentials, type User } from '../../lib/store/users.ts';
import type { MediaProvider, ServerPerson } from './provider.ts';

export async function serverPerson(
  pool: Pool,
  user: Pick<User, 'id' | 'source' | 'name' | 'serverUserId'>,
  credentialsKey: string | undefined,
): Promise<ServerPerson> {
  return {
    serverUserId: user.serverUserId ?? user.name,
    credentials: await userCredentials(pool, user, credentialsKey),
  };
}

/** The provider acting as `user` where the server keeps people; the provider itself where it keeps none. */
export async function mediaAsPerson(
  pool: Pool,
  media: MediaProvider,
  user: Pick<User, 'id' | 'source' | 'name' | 'serverUserId'>,
  credentialsKey: string | undefined,
): Promise<MediaProvider> {
  return media.asPerson ? media.asPerson(await serverPerson(pool, user, credentialsKey)) : media;
}
