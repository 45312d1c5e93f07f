// The media source's setup help: GET /api/media says what is configured, what failed and what to set;
// POST /api/media/check runs the provider's health check. A server that is down is an answer (200), not an error.
import { createMediaProvider } from '../../providers/media/index.ts';
import type { MediaProvider } from '../../providers/media/provider.ts';
import { checkMediaConnection, mediaSetupAdvice, type ConnectionCheck } from '../../providers/media/setup-advice.ts';
import type { ApiDeps, ApiRoute } from './deps.ts';

export function mediaRoutes(deps: Pick<ApiDeps, 'config' | 'media'>): ApiRoute[] {
  const check = async (): Promise<ConnectionCheck> => {
    let media: MediaProvider;
    try {
      media = deps.media ?? (await createMediaProvider(deps.config));
    } catch (err) {
      return { ok: false, message: (err as Error).message };
    }
    return checkMediaConnection(media);
  };
  return [
    {
      method: 'get',
      path: '/api/media',
      operationId: 'mediaSetup',
      tag: 'system',
      summary:
        'The media source: configured or not, what failed in one line, and the variables to set for Jellyfin, Navidrome or a folder, with examples',
      responses: { 200: 'The advice (a server that is down is an answer, not an error)' },
      handler: async () => mediaSetupAdvice(deps.config, await check()),
    },
    {
      method: 'post',
      path: '/api/media/check',
      operationId: 'checkMedia',
      tag: 'system',
      summary: "Run the media source's health check now",
      responses: { 200: '{ok, message}' },
      example: { response: { ok: true, message: 'Connected to Jellyfin 10.11.11.' } },
      handler: () => check(),
    },
  ];
}
