// The media source's setup help: GET /api/media says what is configured, what failed and what to set;
// POST /api/media/check runs the provider's health check. A server that is down is an answer (200), not an error.
import Router from '@koa/router';
import type { Config } from '../../lib/config.ts';
import { createMediaProvider } from '../../activities/media/index.ts';
import type { MediaProvider } from '../../activities/media/provider.ts';
import { checkMediaConnection, mediaSetupAdvice, type ConnectionCheck } from '../../activities/media/setup-advice.ts';

export function mediaRoutes(deps: { config: Config; media?: MediaProvider }): Router {
  const router = new Router();
  const check = async (): Promise<ConnectionCheck> => {
    let media: MediaProvider;
    try {
      media = deps.media ?? (await createMediaProvider(deps.config));
    } catch (err) {
      return { ok: false, message: (err as Error).message };
    }
    return checkMediaConnection(media);
  };
  router.get('/api/media', async (ctx) => {
    ctx.body = mediaSetupAdvice(deps.config, await check());
  });
  router.post('/api/media/check', async (ctx) => {
    ctx.body = await check();
  });
  return router;
}
