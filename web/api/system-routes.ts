// Routes about the system itself: health, configuration (secrets hidden) and the login of a protected API.
import { checkHealth } from '../../lib/health.ts';
import type { ApiDeps, ApiRoute } from './deps.ts';
import { ApiError } from './errors.ts';

export function systemRoutes(deps: ApiDeps): ApiRoute[] {
  const { auth } = deps;
  return [
    {
      method: 'get',
      path: '/api/health',
      operationId: 'health',
      tag: 'system',
      open: true,
      query: {
        deep: { type: 'string', enum: ['0', '1', 'true', 'false'], description: 'Also run a workflow round trip' },
      },
      summary:
        'PostgreSQL, Temporal, worker pollers and the media source; 503 when one is down. With API_TOKEN set and no login, only whether each part is up (for probes); deep=1 needs the login',
      responses: {
        200: 'Everything is up',
        401: 'deep=1 without the login (API_TOKEN set)',
        503: 'Something is down; the answer says what',
      },
      async handler(ctx, { query }) {
        const roundTrip = query.deep === '1' || query.deep === 'true';
        // Without the login: no workflow started, no row written, no media-server call, no versions or addresses.
        const full = auth.isAuthenticated(ctx);
        if (roundTrip && !full)
          throw new ApiError(401, 'the deep health check needs a login: send Authorization: Bearer <API_TOKEN>');
        const health = await checkHealth({
          pool: deps.pool,
          client: deps.client,
          temporalAddress: deps.temporalAddress,
          taskQueue: deps.taskQueue,
          roundTrip,
          media: full ? deps.media : undefined,
        });
        ctx.status = health.ok ? 200 : 503;
        if (!full)
          return {
            ok: health.ok,
            postgres: { ok: health.postgres.ok },
            temporal: { ok: health.temporal.ok },
            worker: { ok: health.worker.ok },
            checkedAt: health.checkedAt,
          };
        return { ...health, temporalUi: deps.temporalUiUrl };
      },
    },
    {
      method: 'get',
      path: '/api/config',
      operationId: 'config',
      tag: 'system',
      summary:
        'Every configuration variable with its effective value (passwords, tokens and keys shown as ***), default and help',
      responses: { 200: '{variables, mediaSource, temporalUi}' },
      example: {
        response: {
          variables: [
            {
              name: 'CLUSTERING_RUNS',
              value: '1000',
              default: '1000',
              doc: 'Candidate clusterings evaluated by the evolutionary search',
              secret: false,
            },
          ],
        },
      },
      async handler() {
        return {
          variables: deps.config.variables,
          mediaSource: deps.config.mediaServerType,
          temporalUi: deps.temporalUiUrl ?? null,
          temporalNamespace: deps.namespace,
          authRequired: auth.required,
        };
      },
    },
    {
      method: 'get',
      path: '/api/session',
      operationId: 'session',
      tag: 'system',
      open: true,
      summary: 'Whether the API needs a login (API_TOKEN set) and whether this browser has one',
      responses: { 200: '{authRequired, authenticated}' },
      handler: async (ctx) => ({ authRequired: auth.required, authenticated: auth.isAuthenticated(ctx) }),
    },
    {
      method: 'post',
      path: '/api/login',
      operationId: 'login',
      tag: 'system',
      open: true,
      body: {
        type: 'object',
        additionalProperties: false,
        required: ['token'],
        properties: { token: { type: 'string', minLength: 1, maxLength: 1000 } },
      },
      summary: 'Exchange API_TOKEN for an HttpOnly, SameSite=Strict session cookie valid a week',
      responses: { 200: 'Logged in', 401: 'Wrong token', 429: 'Too many wrong tokens from this address (Retry-After)' },
      async handler(ctx, { body }) {
        const result = auth.login(ctx, String(body.token));
        if (result === 'wrong') throw new ApiError(401, 'wrong token', 'token');
        if (result !== 'ok') {
          ctx.set('Retry-After', String(result.retryAfterSeconds));
          throw new ApiError(
            429,
            `too many wrong tokens from this address; try again in ${result.retryAfterSeconds} s`,
            'token',
          );
        }
        return { authRequired: auth.required, authenticated: true };
      },
    },
    {
      method: 'post',
      path: '/api/logout',
      operationId: 'logout',
      tag: 'system',
      open: true,
      summary: 'End the session: the cookie is cleared and revoked (a copy of it stops working too)',
      responses: { 200: 'Logged out' },
      async handler(ctx) {
        auth.logout(ctx);
        return { authRequired: auth.required, authenticated: false };
      },
    },
  ];
}
