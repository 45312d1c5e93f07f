// A person's own media-server login (Subsonic user + password or API key), sealed with AES-256-GCM under
// USER_CREDENTIALS_KEY before it reaches the database. The row's source and name are bound in as associated
// data, so a sealed value copied onto another person's row does not open.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

export interface UserCredentials {
  user?: string;
  password?: string;
  apiKey?: string;
}

/** A missing, malformed or wrong key: the message names USER_CREDENTIALS_KEY and never shows its value. */
export class CredentialsKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CredentialsKeyError';
  }
}

const FORMAT = 1; // first byte: the layout below, so a later scheme can be told apart
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** The 32-byte key from 64 hex digits or base64 (e.g. `openssl rand -base64 32`). */
export function parseCredentialsKey(raw: string): Buffer {
  const text = raw.trim();
  const key = /^[0-9a-f]{64}$/i.test(text)
    ? Buffer.from(text, 'hex')
    : /^[A-Za-z0-9+/_-]+={0,2}$/.test(text)
      ? Buffer.from(text, 'base64')
      : Buffer.alloc(0);
  if (key.length !== 32)
    throw new CredentialsKeyError(
      'USER_CREDENTIALS_KEY must be 32 bytes as 64 hex digits or base64 (e.g. `openssl rand -base64 32`)',
    );
  return key;
}

function requireKey(raw: string | undefined, what: string): Buffer {
  if (!raw) throw new CredentialsKeyError(`USER_CREDENTIALS_KEY is not set: it is needed to ${what}`);
  return parseCredentialsKey(raw);
}

export function sealCredentials(rawKey: string | undefined, owner: string, credentials: UserCredentials): Buffer {
  const key = requireKey(rawKey, 'store a user’s credentials encrypted');
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(owner, 'utf8'));
  const body = Buffer.concat([cipher.update(JSON.stringify(credentials), 'utf8'), cipher.final()]);
  return Buffer.concat([Buffer.of(FORMAT), iv, cipher.getAuthTag(), body]);
}

export function openCredentials(rawKey: string | undefined, owner: string, sealed: Buffer): UserCredentials {
  const key = requireKey(rawKey, 'read a user’s stored credentials');
  if (sealed[0] !== FORMAT || sealed.length < 1 + IV_BYTES + TAG_BYTES)
    throw new CredentialsKeyError('stored credentials are in an unknown format');
  const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(1, 1 + IV_BYTES));
  decipher.setAAD(Buffer.from(owner, 'utf8'));
  decipher.setAuthTag(sealed.subarray(1 + IV_BYTES, 1 + IV_BYTES + TAG_BYTES));
  try {
    const text = Buffer.concat([decipher.update(sealed.subarray(1 + IV_BYTES + TAG_BYTES)), decipher.final()]);
    return JSON.parse(text.toString('utf8')) as UserCredentials;
  } catch {
    throw new CredentialsKeyError(
      'stored credentials do not open with USER_CREDENTIALS_KEY (the key changed since they were stored? add the user again)',
    );
  }
}
