// SQL of the people whose listening makes fingerprints and radios: one row each, their own Subsonic login sealed
// (lib/credentials.ts) on the way in and opened only for the provider that logs in as them. Deleting a person
// removes their history and sealed login by cascade; their playlists on the media server are not touched.
import type { Pool } from '../db.ts';
import { openCredentials, sealCredentials, type UserCredentials } from '../credentials.ts';

export interface User {
  id: string;
  source: string;
  /** Jellyfin's user id, or the Subsonic user name; null for a local folder's person. */
  serverUserId: string | null;
  name: string;
  /** Whether a sealed login is stored (the login itself is never returned). */
  hasCredentials: boolean;
  createdAt: string;
  /** Tracks in their listening history, and when it last changed. */
  historyTracks: number;
  historyUpdatedAt: string | null;
}

export interface NewUser {
  source: string;
  name: string;
  serverUserId?: string;
  credentials?: UserCredentials;
}

/** The associated data a sealed login is bound to: it opens only on the row it was sealed for. */
const owner = (source: string, name: string) => `${source}\n${name}`;

const COLUMNS = `u.id::text AS id, u.source, u.server_user_id AS "serverUserId", u.name,
  u.credentials IS NOT NULL AS "hasCredentials", u.created_at::text AS "createdAt",
  (SELECT count(*)::int FROM listening_history h WHERE h.user_id = u.id) AS "historyTracks",
  (SELECT max(h.updated_at)::text FROM listening_history h WHERE h.user_id = u.id) AS "historyUpdatedAt"`;

/** Adds a person; undefined when the source already has one of that name. Credentials need `key`. */
export async function createUser(pool: Pool, user: NewUser, key: string | undefined): Promise<User | undefined> {
  const sealed = user.credentials ? sealCredentials(key, owner(user.source, user.name), user.credentials) : null;
  const { rows } = await pool.query<{ id: string }>(
    `INSERT INTO users (source, server_user_id, name, credentials) VALUES ($1, $2, $3, $4)
     ON CONFLICT (source, name) DO NOTHING RETURNING id::text`,
    [user.source, user.serverUserId ?? null, user.name, sealed],
  );
  return rows[0] && getUser(pool, user.source, rows[0].id);
}

export async function listUsers(pool: Pool, source: string): Promise<User[]> {
  const { rows } = await pool.query<User>(`SELECT ${COLUMNS} FROM users u WHERE u.source = $1 ORDER BY u.name`, [
    source,
  ]);
  return rows;
}

/** A person of the source by our id or by name. */
export async function getUser(pool: Pool, source: string, idOrName: string): Promise<User | undefined> {
  const { rows } = await pool.query<User>(
    `SELECT ${COLUMNS} FROM users u WHERE u.source = $1 AND (u.id::text = $2 OR u.name = $2)
      ORDER BY (u.id::text = $2) DESC LIMIT 1`,
    [source, idOrName],
  );
  return rows[0];
}

/** A person of the source by our id only (users.id). */
export async function userById(pool: Pool, source: string, id: string): Promise<User | undefined> {
  const { rows } = await pool.query<User>(`SELECT ${COLUMNS} FROM users u WHERE u.source = $1 AND u.id = $2::bigint`, [
    source,
    id,
  ]);
  return rows[0];
}

/** A person of the source by the media server's user id or their name (any case), as the original resolves a
 *  Jellyfin "username or user id"; the server's id wins over a name. */
export async function userByServerIdentity(pool: Pool, source: string, identifier: string): Promise<User | undefined> {
  const { rows } = await pool.query<User>(
    `SELECT ${COLUMNS} FROM users u
      WHERE u.source = $1 AND (u.server_user_id = $2 OR lower(u.name) = lower($2))
      ORDER BY (u.server_user_id = $2) DESC NULLS LAST, (u.name = $2) DESC, u.id LIMIT 1`,
    [source, identifier],
  );
  return rows[0];
}

/** Removes a person with their history and stored login; false when there was none. */
export async function deleteUser(pool: Pool, source: string, id: string): Promise<boolean> {
  const { rowCount } = await pool.query(`DELETE FROM users WHERE source = $1 AND id::text = $2`, [source, id]);
  return (rowCount ?? 0) > 0;
}

/** The person's own login, opened with `key`; undefined when none is stored. */
export async function userCredentials(
  pool: Pool,
  user: Pick<User, 'id' | 'source' | 'name'>,
  key: string | undefined,
): Promise<UserCredentials | undefined> {
  const { rows } = await pool.query<{ credentials: Buffer | null }>(`SELECT credentials FROM users WHERE id = $1`, [
    user.id,
  ]);
  const sealed = rows[0]?.credentials;
  return sealed ? openCredentials(key, owner(user.source, user.name), sealed) : undefined;
}
