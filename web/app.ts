// The Koa application: the REST API under /api (routes declared once in web/api/*-routes.ts, validated
// against the OpenAPI document built from them), Swagger UI at /apidocs and the page. Dependencies are passed
// in, so tests and `npm start` build the same app.
import fs from 'node:fs/promises';
import path from 'node:path';
import { createRequire } from 'node:module';
import Koa from 'koa';
import Router from '@koa/router';
import type { Client } from '@temporalio/client';
import type { Config } from '../lib/config.ts';
import type { Pool } from '../lib/db.ts';
import type { MediaProvider } from '../providers/media/provider.ts';
import { createAuth, SECURITY_HEADERS } from './api/auth.ts';
import type { ApiDeps, ApiRoute } from './api/deps.ts';
import { ApiError, toApiError } from './api/errors.ts';
import { libraryRoutes } from './api/library-routes.ts';
import { mapRoutes } from './api/map-routes.ts';
import { mediaRoutes } from './api/media-routes.ts';
import { buildOpenApi, compileValidators, type RouteInput } from './api/openapi.ts';
import { requestGuard } from './api/origin.ts';
import { readJsonBody, snakeToCamel } from './api/request.ts';
import { runRoutes } from './api/run-routes.ts';
import { scheduleRoutes } from './api/schedule-routes.ts';
import { indexRoutes } from './api/index-routes.ts';
import { similarityRoutes } from './api/similarity-routes.ts';
import { listeningRoutes } from './api/listening-routes.ts';
import { fingerprintRoutes } from './api/fingerprint-routes.ts';
import { playlistFileRoutes } from './api/playlist-file-routes.ts';
import { systemRoutes } from './api/system-routes.ts';
import { userRoutes } from './api/user-routes.ts';
import { radioRoutes } from './api/radio-routes.ts';
import { ensureUiBundle, UI_DIST_DIR } from './ui-bundle.ts';

export interface WebDeps {
  pool: Pool;
  config: Config;
  /** Set once connected (startWeb connects in the background); until then Temporal calls answer 503. */
  client?: Client;
  temporalAddress: string;
  /** Where users can watch runs (Temporal Web): links on the page and in run answers. */
  temporalUiUrl?: string;
  /** The configured media source, reported by /api/health. */
  media?: MediaProvider;
}

const PUBLIC_DIR = new URL('./public/', import.meta.url);
/** The bundle's files the page may load (its source map included, for the browser's developer tools). */
const UI_FILES = new Set(['main.js', 'main.css', 'main.js.map', 'main.css.map']);
const SWAGGER_DIR = path.dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
const SWAGGER_FILES = new Set([
  'index.html',
  'swagger-ui.css',
  'index.css',
  'swagger-ui-bundle.js',
  'swagger-ui-standalone-preset.js',
  'favicon-32x32.png',
  'favicon-16x16.png',
]);
const SWAGGER_INIT = `window.onload = () => { window.ui = SwaggerUIBundle({ url: '/api/openapi.json', dom_id: '#swagger-ui', deepLinking: true,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset], layout: 'StandaloneLayout' }); };\n`;

export function apiRoutes(deps: ApiDeps): ApiRoute[] {
  return [
    ...runRoutes(deps),
    ...scheduleRoutes(deps),
    ...libraryRoutes(deps),
    ...mapRoutes(deps),
    ...similarityRoutes(deps),
    ...listeningRoutes(deps),
    ...fingerprintRoutes(deps),
    ...playlistFileRoutes(deps),
    ...indexRoutes(deps),
    ...systemRoutes(deps),
    ...mediaRoutes(deps),
    ...userRoutes(deps),
    ...radioRoutes(deps),
  ];
}

export function createApp(web: WebDeps): Koa {
  const app = new Koa();
  // Behind a reverse proxy (TRUST_PROXY): client address, protocol and host from its X-Forwarded-* headers.
  app.proxy = web.config.trustProxy;
  const router = new Router();
  const auth = createAuth(web.config.apiToken);
  // Getters, not copies: `client` arrives after the app is built.
  const deps: ApiDeps = {
    get client() {
      return web.client;
    },
    pool: web.pool,
    config: web.config,
    temporalAddress: web.temporalAddress,
    media: web.media,
    temporalUiUrl: web.temporalUiUrl,
    taskQueue: web.config.temporal.taskQueue,
    namespace: web.config.temporal.namespace,
    auth,
  };
  const routes = apiRoutes(deps);
  const openapi = buildOpenApi(routes, {
    title: 'AudioMuse API',
    version: '1',
    description:
      'Start, watch and cancel library analyses and clusterings; explore tracks, playlists and the library map. A task id is the Temporal workflow id.',
  });
  const validators = compileValidators(openapi);

  app.use(async (ctx, next) => {
    ctx.set(SECURITY_HEADERS);
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined && ctx.path.startsWith('/api/'))
        throw new ApiError(404, `no such endpoint: ${ctx.method} ${ctx.path}`);
    } catch (err) {
      const known = toApiError(err, web.temporalAddress);
      ctx.status = known?.status ?? 500;
      ctx.body = known
        ? { error: known.message, ...(known.field && { field: known.field }), ...known.extra }
        : { error: 'internal error' };
      if (!known) console.error(`web: ${ctx.method} ${ctx.path}: ${(err as Error).stack ?? err}`);
    }
  });
  app.use(requestGuard(web.config.allowedHosts));

  for (const route of routes) {
    const validator = validators.get(route.operationId)!;
    router[route.method](route.path, async (ctx) => {
      if (!route.open && !auth.isAuthenticated(ctx))
        throw new ApiError(401, 'this API needs a login: send Authorization: Bearer <API_TOKEN> or log in on the page');
      const raw = route.body ? await readJsonBody(ctx) : {};
      const input: RouteInput = validator.check({
        params: { ...ctx.params },
        query: { ...ctx.query },
        body: route.snakeCase ? snakeToCamel(raw, route.snakeCase) : raw,
      });
      const result = await route.handler(ctx, input);
      if (!route.stream) ctx.body = result;
    });
  }

  router.get('/api/openapi.json', (ctx) => {
    if (!auth.isAuthenticated(ctx)) throw new ApiError(401, 'this API needs a login');
    ctx.body = openapi;
  });
  router.get(['/apidocs', '/apidocs/:file'], async (ctx) => {
    // Swagger UI's page loads its files relative to itself, so it must be served at /apidocs/.
    if (!ctx.path.endsWith('/') && !ctx.params.file) return ctx.redirect('/apidocs/');
    const file = ctx.params.file ?? 'index.html';
    if (file === 'swagger-initializer.js') {
      ctx.type = 'js';
      ctx.body = SWAGGER_INIT;
      return;
    }
    if (!SWAGGER_FILES.has(file)) return;
    ctx.type = path.extname(file);
    ctx.set('Cache-Control', 'public, max-age=86400');
    ctx.body = await fs.readFile(path.join(SWAGGER_DIR, file));
  });
  router.get('/', async (ctx) => {
    ctx.type = 'html';
    ctx.body = await fs.readFile(new URL('index.html', PUBLIC_DIR));
  });
  router.get('/ui/:file', async (ctx) => {
    if (!UI_FILES.has(ctx.params.file)) return;
    await ensureUiBundle();
    ctx.type = path.extname(ctx.params.file) === '.map' ? 'json' : path.extname(ctx.params.file);
    ctx.set('Cache-Control', 'no-cache');
    ctx.body = await fs.readFile(path.join(UI_DIST_DIR, ctx.params.file));
  });

  app.use(router.routes());
  app.use(router.allowedMethods());
  return app;
}
