// The Koa application: REST API under /api and the UI pages. Dependencies are passed in, so tests and
// `npm start` build the same app.
import fs from 'node:fs/promises';
import Koa from 'koa';
import Router from '@koa/router';
import type { Client } from '@temporalio/client';
import type { Pool } from '../lib/db.ts';
import { checkHealth } from '../lib/health.ts';
import type { MediaProvider } from '../activities/media/provider.ts';

export interface WebDeps {
  pool: Pool;
  client?: Client;
  temporalAddress: string;
  taskQueue: string;
  /** Where users can watch runs (Temporal Web), shown on the page. */
  temporalUiUrl?: string;
  /** The configured media source, reported by /api/health. */
  media?: MediaProvider;
}

/** An error whose message is safe and useful to show to the API caller. */
export class HttpError extends Error {
  constructor(readonly status: number, message: string, readonly field?: string) {
    super(message);
  }
}

const page = (name: string) => fs.readFile(new URL(`./public/${name}`, import.meta.url), 'utf8');

export function createApp(deps: WebDeps): Koa {
  const app = new Koa();
  const router = new Router();

  app.use(async (ctx, next) => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined && ctx.path.startsWith('/api/')) {
        ctx.status = 404;
        ctx.body = { error: `no such endpoint: ${ctx.method} ${ctx.path}` };
      }
    } catch (err) {
      const status = err instanceof HttpError ? err.status : 500;
      ctx.status = status;
      ctx.body = { error: status === 500 ? 'internal error' : (err as Error).message, ...(err instanceof HttpError && err.field ? { field: err.field } : {}) };
      if (status === 500) console.error(`web: ${ctx.method} ${ctx.path}: ${(err as Error).stack ?? err}`);
    }
  });

  router.get('/api/health', async (ctx) => {
    const deep = ctx.query.deep;
    if (deep !== undefined && deep !== '0' && deep !== '1' && deep !== 'true' && deep !== 'false') {
      throw new HttpError(400, 'query parameter "deep" must be 0, 1, true or false', 'deep');
    }
    const health = await checkHealth({
      pool: deps.pool,
      client: deps.client,
      temporalAddress: deps.temporalAddress,
      taskQueue: deps.taskQueue,
      roundTrip: deep === '1' || deep === 'true',
      media: deps.media,
    });
    ctx.status = health.ok ? 200 : 503;
    ctx.body = { ...health, temporalUi: deps.temporalUiUrl };
  });

  router.get('/', async (ctx) => {
    ctx.type = 'html';
    ctx.body = await page('index.html');
  });

  app.use(router.routes());
  app.use(router.allowedMethods());
  return app;
}
