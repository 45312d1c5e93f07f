// What to tell someone whose media source is missing or unreachable: whether one is configured, what failed
// (one line), and the variables to set for Jellyfin, Navidrome or a music folder, with example values.
import { SPEC, type Config } from '../../lib/config.ts';
import { mediaServerHealth } from '../../lib/health.ts';
import type { MediaProvider } from './provider.ts';

/** The one-line answer of a provider's health check. */
export interface ConnectionCheck {
  ok: boolean;
  message: string;
}

export interface SourceSetup {
  type: Config['mediaServerType'];
  title: string;
  variables: { name: string; example: string; meaning: string }[];
  /** The same variables as one shell line, to adapt and run. */
  example: string;
}

export interface MediaSetupAdvice {
  /** False when no media variable is set and the default music folder is used. */
  configured: boolean;
  type: Config['mediaServerType'];
  /** What the configuration points at now. */
  target: string;
  /** The connection check's answer, when one ran. */
  ok?: boolean;
  /** What is wrong, in one line. */
  problem?: string;
  /** What to do about it, in one line. */
  action?: string;
  sources: SourceSetup[];
}

type SetupVar = keyof typeof SPEC;

const SOURCES: { type: Config['mediaServerType']; title: string; variables: [SetupVar, string][] }[] = [
  {
    type: 'jellyfin',
    title: 'Jellyfin',
    variables: [
      ['MEDIA_SERVER_TYPE', 'jellyfin'],
      ['JELLYFIN_URL', 'http://192.168.1.10:8096'],
      ['JELLYFIN_USER_ID', 'your-user-name-or-32-hex-id'],
      ['JELLYFIN_TOKEN', 'an-api-key-from-dashboard-api-keys'],
    ],
  },
  {
    type: 'navidrome',
    title: 'Navidrome or another Subsonic server',
    variables: [
      ['MEDIA_SERVER_TYPE', 'navidrome'],
      ['NAVIDROME_URL', 'http://192.168.1.10:4533'],
      ['NAVIDROME_USER', 'admin'],
      ['NAVIDROME_PASSWORD', 'your-password'],
    ],
  },
  {
    type: 'local',
    title: 'A music folder on this machine',
    variables: [
      ['MEDIA_SERVER_TYPE', 'local'],
      ['MUSIC_DIR', '/srv/music'],
      ['PLAYLIST_DIR', '/srv/music/Playlists'],
    ],
  },
];

const WHAT_TO_CHECK: Record<Config['mediaServerType'], string> = {
  jellyfin: 'Check that Jellyfin runs at JELLYFIN_URL and that JELLYFIN_USER_ID and JELLYFIN_TOKEN are right',
  navidrome: 'Check that the server runs at NAVIDROME_URL and that NAVIDROME_USER and NAVIDROME_PASSWORD are right',
  local: 'Set MUSIC_DIR to a readable folder holding your music (PLAYLIST_DIR, where playlists go, must be writable)',
};

function target(config: Config): string {
  switch (config.mediaServerType) {
    case 'jellyfin':
      return `Jellyfin at ${config.jellyfinUrl}`;
    case 'navidrome':
      return `Navidrome at ${config.navidromeUrl}`;
    case 'local':
      return `the music folder ${config.musicDir}`;
  }
}

/** Advice for the page and `GET /api/media`, from the configuration and (optionally) a connection check. */
export function mediaSetupAdvice(config: Config, check?: ConnectionCheck): MediaSetupAdvice {
  const sources = SOURCES.map((s) => ({
    type: s.type,
    title: s.title,
    variables: s.variables.map(([name, example]) => ({ name, example, meaning: SPEC[name].doc })),
    example: `${s.variables.map(([name, example]) => `${name}=${example}`).join(' ')} npm start`,
  }));
  const advice: MediaSetupAdvice = {
    configured: config.mediaSourceSet,
    type: config.mediaServerType,
    target: target(config),
    sources,
  };
  if (check) {
    advice.ok = check.ok;
    if (!check.ok) advice.problem = check.message;
  }
  const restart = 'then restart `npm start`';
  if (!config.mediaSourceSet) {
    if (!check)
      advice.problem = `No media source is configured, so AudioMuse looks in the default music folder ${config.musicDir}.`;
    else if (!check.ok)
      advice.problem = `No media source is configured, and the default music folder does not work: ${check.message}`;
    advice.action = check?.ok
      ? 'That folder works; to use Jellyfin or Navidrome instead, set the variables shown for it, then restart `npm start`.'
      : `Set the variables of Jellyfin, Navidrome or a music folder (examples below), ${restart}.`;
  } else if (check && !check.ok) {
    advice.action = `${WHAT_TO_CHECK[config.mediaServerType]}, ${restart} and check the connection again.`;
  }
  return advice;
}

const oneLine = (s: string) => s.replace(/\s*\n\s*/g, ' ').trim();

/** Runs the provider's health check (bounded in time) and answers in one line; never throws. Providers' errors
 *  already name the server and what failed, so they are the message. */
export async function checkMediaConnection(provider: MediaProvider): Promise<ConnectionCheck> {
  const health = await mediaServerHealth(provider);
  const server = typeof health.server === 'string' ? health.server : provider.type;
  return health.ok
    ? { ok: true, message: `Connected to ${server}.` }
    : { ok: false, message: oneLine(health.error ?? `${server} gave no answer`) };
}
