// The configured media server for routes that write to it or read its users: the one the composition root
// passed in, else made on first use (a failed start is tried again by the next request).
import { createMediaProvider } from '../../providers/media/index.ts';
import type { MediaProvider } from '../../providers/media/provider.ts';
import type { ApiDeps } from './deps.ts';

export function lazyMediaProvider(deps: ApiDeps): () => Promise<MediaProvider> {
  let media: Promise<MediaProvider> | undefined;
  return () => {
    if (deps.media) return Promise.resolve(deps.media);
    media ??= createMediaProvider(deps.config).catch((err: unknown) => {
      media = undefined;
      throw err;
    });
    return media;
  };
}
