// Optional protection for an API exposed beyond the LAN: with API_TOKEN set, a request needs
// `Authorization: Bearer <token>` or the session cookie that POST /api/login hands to the page. The cookie
// holds an HMAC of the token, not the token, so it changes when the token does and reveals nothing.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type Koa from 'koa';

export const SESSION_COOKIE = 'audiomuse_session';
/** A session lasts a week; the login form asks again after that. */
const SESSION_SECONDS = 7 * 24 * 3600;

const sessionValue = (token: string) => createHmac('sha256', token).update('audiomuse-session-v1').digest('hex');

function same(a: string, b: string): boolean {
  const x = Buffer.from(a),
    y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function isAuthenticated(ctx: Koa.Context, token: string | undefined): boolean {
  if (!token) return true;
  const header = ctx.get('authorization');
  if (header.startsWith('Bearer ') && same(header.slice(7).trim(), token)) return true;
  const cookie = ctx.cookies.get(SESSION_COOKIE);
  return cookie !== undefined && same(cookie, sessionValue(token));
}

export function checkLogin(candidate: string, token: string): boolean {
  return same(candidate, token);
}

export function setSession(ctx: Koa.Context, token: string | undefined): void {
  ctx.cookies.set(SESSION_COOKIE, token ? sessionValue(token) : '', {
    httpOnly: true,
    sameSite: 'strict',
    path: '/',
    secure: ctx.secure,
    overwrite: true,
    maxAge: token ? SESSION_SECONDS * 1000 : 0,
  });
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
