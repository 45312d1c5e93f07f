// Routes about the system itself: health, configuration (secrets hidden) and the login of a protected API.
import { checkHealth } from '../../lib/health.ts';
import { checkLogin, isAuthenticated, setSession } from './auth.ts';
import type { ApiDeps, ApiRoute } from './deps.ts';
import { ApiError } from './errors.ts';

export function systemRoutes(deps: ApiDeps): ApiRoute[] {
  const token = deps.config.apiToken;
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
      summary: 'PostgreSQL, Temporal, worker pollers and the media source; 503 when one is down',
      responses: { 200: 'Everything is up', 503: 'Something is down; the answer says what' },
      async handler(ctx, { query }) {
        const health = await checkHealth({
          pool: deps.pool,
          client: deps.client,
          temporalAddress: deps.temporalAddress,
          taskQueue: deps.taskQueue,
          roundTrip: query.deep === '1' || query.deep === 'true',
          media: deps.media,
        });
        ctx.status = health.ok ? 200 : 503;
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
          authRequired: !!token,
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
      handler: async (ctx) => ({ authRequired: !!token, authenticated: isAuthenticated(ctx, token) }),
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
      summary: 'Exchange API_TOKEN for an HttpOnly, SameSite=Strict session cookie',
      responses: { 200: 'Logged in', 401: 'Wrong token' },
      async handler(ctx, { body }) {
        if (!token) return { authRequired: false, authenticated: true };
        if (!checkLogin(String(body.token), token)) throw new ApiError(401, 'wrong token', 'token');
        setSession(ctx, token);
        return { authRequired: true, authenticated: true };
      },
    },
    {
      method: 'post',
      path: '/api/logout',
      operationId: 'logout',
      tag: 'system',
      open: true,
      summary: 'Forget the session cookie',
      responses: { 200: 'Logged out' },
      async handler(ctx) {
        setSession(ctx, undefined);
        return { authRequired: !!token, authenticated: false };
      },
    },
  ];
}
