// Optional protection for an API exposed beyond the LAN: with API_TOKEN set, a request needs
// `Authorization: Bearer <token>` or the session cookie that POST /api/login hands to the page. The cookie is
// `<expiry>.<id>.<HMAC keyed by the token>`: it reveals nothing of the token, dies when the token changes, and
// its expiry is checked here, not left to the browser. Logout revokes the id in this process (see README).
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type Koa from 'koa';

export const SESSION_COOKIE = 'audiomuse_session';
/** A session lasts a week; the login form asks again after that. */
export const SESSION_SECONDS = 7 * 24 * 3600;
/** Wrong tokens one client address may send per window before logins from it get 429. */
export const LOGIN_FAILURES_ALLOWED = 10;
const LOGIN_WINDOW_MS = 60_000;

function same(a: string, b: string): boolean {
  const x = Buffer.from(a),
    y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

const mac = (token: string, payload: string) =>
  createHmac('sha256', token).update(`audiomuse-session-v2.${payload}`).digest('base64url');

/** A signed session value expiring `SESSION_SECONDS` after `issuedAtMs`. */
export function signSession(token: string, issuedAtMs = Date.now(), id = randomBytes(12).toString('base64url')) {
  const payload = `${Math.floor(issuedAtMs / 1000) + SESSION_SECONDS}.${id}`;
  return `${payload}.${mac(token, payload)}`;
}

export interface Auth {
  /** Whether the API needs a login at all (API_TOKEN set). */
  required: boolean;
  isAuthenticated(ctx: Koa.Context): boolean;
  /** Checks the candidate token; on success sets the session cookie. 429 (with Retry-After) when rate-limited. */
  login(ctx: Koa.Context, candidate: string): 'ok' | 'wrong' | { retryAfterSeconds: number };
  /** Clears the cookie and revokes its session, so a copy of it stops working too. */
  logout(ctx: Koa.Context): void;
}

export function createAuth(token: string | undefined): Auth {
  /** Revoked session ids → their expiry (seconds); forgotten once expired, when the cookie is dead anyway. */
  const revoked = new Map<string, number>();
  /** Failed logins per client address in the current window. */
  const failures = new Map<string, { count: number; resetAt: number }>();

  const session = (ctx: Koa.Context): { id: string; expires: number } | undefined => {
    const value = ctx.cookies.get(SESSION_COOKIE);
    if (!token || !value) return undefined;
    const [expires, id, signature, extra] = value.split('.');
    if (extra !== undefined || !signature || !same(signature, mac(token, `${expires}.${id}`))) return undefined;
    const exp = Number(expires);
    if (!(exp * 1000 > Date.now()) || revoked.has(id)) return undefined;
    return { id, expires: exp };
  };
  const setCookie = (ctx: Koa.Context, value: string) =>
    ctx.cookies.set(SESSION_COOKIE, value, {
      httpOnly: true,
      sameSite: 'strict',
      path: '/',
      // TLS, or a trusted proxy's X-Forwarded-Proto: https (TRUST_PROXY).
      secure: ctx.secure,
      overwrite: true,
      maxAge: value ? SESSION_SECONDS * 1000 : 0,
    });
  const prune = <V>(map: Map<string, V>, dead: (v: V) => boolean) => {
    for (const [k, v] of map) if (dead(v)) map.delete(k);
  };

  return {
    required: !!token,
    isAuthenticated(ctx) {
      if (!token) return true;
      const header = ctx.get('authorization');
      if (header.startsWith('Bearer ') && same(header.slice(7).trim(), token)) return true;
      return session(ctx) !== undefined;
    },
    login(ctx, candidate) {
      if (!token) return 'ok';
      const now = Date.now();
      if (failures.size > 10_000) prune(failures, (f) => f.resetAt <= now);
      const seen = failures.get(ctx.ip);
      const current = seen && seen.resetAt > now ? seen : { count: 0, resetAt: now + LOGIN_WINDOW_MS };
      // Locked out: not even a right token is checked, so answers reveal nothing until the window ends.
      if (current.count >= LOGIN_FAILURES_ALLOWED)
        return { retryAfterSeconds: Math.ceil((current.resetAt - now) / 1000) };
      if (!same(candidate, token)) {
        current.count++;
        failures.set(ctx.ip, current);
        return 'wrong';
      }
      setCookie(ctx, signSession(token, now));
      return 'ok';
    },
    logout(ctx) {
      const s = session(ctx);
      if (s) {
        prune(revoked, (exp) => exp * 1000 <= Date.now());
        revoked.set(s.id, s.expires);
      }
      setCookie(ctx, '');
    },
  };
}

/** On every answer: no sniffing, no framing, no referrer, scripts and data only from this origin. */
export const SECURITY_HEADERS: Record<string, string> = {
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Permissions-Policy': 'camera=(), microphone=(), geolocation=()',
  // Swagger UI sets inline styles; no inline script anywhere.
  'Content-Security-Policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'",
};
