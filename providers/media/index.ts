// Builds the configured media provider. Navidrome and local providers are imported on demand so a Jellyfin
// setup never loads music-metadata's folder scanner, and vice versa.
import type { Config } from '../../lib/config.ts';
import { JellyfinProvider } from './jellyfin.ts';
import { MediaServerError, type MediaProvider } from './provider.ts';

/** The part of Config the media layer reads (tests pass only this). */
export type MediaConfig = Pick<Config, 'mediaServerType'> &
  Partial<
    Pick<
      Config,
      | 'jellyfinUrl'
      | 'jellyfinUserId'
      | 'jellyfinToken'
      | 'navidromeUrl'
      | 'navidromeUser'
      | 'navidromePassword'
      | 'navidromeApiKey'
      | 'subsonicAuth'
      | 'musicDir'
      | 'playlistDir'
      | 'musicDirSymlinks'
      | 'tempDir'
      | 'mediaTimeoutMs'
    >
  >;

/** `retries`: HTTP attempts after the first; activities pass 0 because Temporal's retry policy is the one
 *  layer that retries there. */
export async function createMediaProvider(cfg: MediaConfig, opts: { retries?: number } = {}): Promise<MediaProvider> {
  const missing = (names: [string, unknown][]) => names.filter(([, v]) => !v).map(([n]) => n);
  switch (cfg.mediaServerType) {
    case 'jellyfin': {
      const absent = missing([
        ['JELLYFIN_URL', cfg.jellyfinUrl],
        ['JELLYFIN_USER_ID', cfg.jellyfinUserId],
        ['JELLYFIN_TOKEN', cfg.jellyfinToken],
      ]);
      if (absent.length)
        throw new MediaServerError(`${absent.join(', ')} must be set when MEDIA_SERVER_TYPE=jellyfin`, 'bad_config');
      return new JellyfinProvider({
        url: cfg.jellyfinUrl!,
        userId: cfg.jellyfinUserId!,
        token: cfg.jellyfinToken!,
        timeoutMs: cfg.mediaTimeoutMs,
        retries: opts.retries,
      });
    }
    case 'navidrome': {
      const absent = missing(subsonicRequired(cfg.subsonicAuth ?? 'token', cfg));
      if (absent.length)
        throw new MediaServerError(`${absent.join(', ')} must be set when MEDIA_SERVER_TYPE=navidrome`, 'bad_config');
      const { NavidromeProvider } = await import('./navidrome.ts');
      return new NavidromeProvider({
        url: cfg.navidromeUrl!,
        user: cfg.navidromeUser,
        password: cfg.navidromePassword,
        apiKey: cfg.navidromeApiKey,
        auth: cfg.subsonicAuth,
        timeoutMs: cfg.mediaTimeoutMs,
        retries: opts.retries,
      });
    }
    case 'local': {
      const absent = missing([
        ['MUSIC_DIR', cfg.musicDir],
        ['PLAYLIST_DIR', cfg.playlistDir],
      ]);
      if (absent.length)
        throw new MediaServerError(`${absent.join(', ')} must be set when MEDIA_SERVER_TYPE=local`, 'bad_config');
      const { LocalFolderProvider } = await import('./local.ts');
      return new LocalFolderProvider({
        musicDir: cfg.musicDir!,
        playlistDir: cfg.playlistDir!,
        symlinks: cfg.musicDirSymlinks,
      });
    }
    default:
      throw new MediaServerError(
        `MEDIA_SERVER_TYPE=${JSON.stringify(cfg.mediaServerType)} is not supported; use jellyfin, navidrome or local`,
        'bad_config',
      );
  }
}

/** The variables a Subsonic login needs (auto: a password login, or failing that an API key). */
function subsonicRequired(auth: NonNullable<MediaConfig['subsonicAuth']>, cfg: MediaConfig): [string, unknown][] {
  const url: [string, unknown] = ['NAVIDROME_URL', cfg.navidromeUrl];
  const password: [string, unknown][] = [
    ['NAVIDROME_USER', cfg.navidromeUser],
    ['NAVIDROME_PASSWORD', cfg.navidromePassword],
  ];
  if (auth === 'apikey' || (auth === 'auto' && cfg.navidromeApiKey))
    return [url, ['NAVIDROME_API_KEY', cfg.navidromeApiKey]];
  return [url, ...password];
}
