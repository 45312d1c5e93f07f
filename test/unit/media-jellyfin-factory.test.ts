// createMediaProvider: picks the provider from the configuration and names missing variables.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { loadConfig } from '../../lib/config.ts';
import { createMediaProvider, type MediaConfig } from '../../providers/media/index.ts';
import { JellyfinProvider } from '../../providers/media/jellyfin.ts';
import { MediaServerError } from '../../providers/media/provider.ts';

const badConfig = (re: RegExp) => (e: unknown) =>
  e instanceof MediaServerError && e.code === 'bad_config' && re.test(e.message);

test('a loaded Jellyfin configuration gives a JellyfinProvider', async () => {
  const cfg = loadConfig({
    JELLYFIN_URL: 'http://jellyfin:8096',
    JELLYFIN_USER_ID: 'alice',
    JELLYFIN_TOKEN: 'k',
    MEDIA_TIMEOUT_SECONDS: '5',
  });
  const provider = await createMediaProvider(cfg);
  assert.ok(provider instanceof JellyfinProvider);
  assert.equal(provider.type, 'jellyfin');
});

test('navidrome and local load their providers on demand', async () => {
  const navidrome = await createMediaProvider({
    mediaServerType: 'navidrome',
    navidromeUrl: 'http://nd:4533',
    navidromeUser: 'u',
    navidromePassword: 'p',
  });
  assert.equal(navidrome.type, 'navidrome');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'jf-factory-'));
  try {
    const local = await createMediaProvider({
      mediaServerType: 'local',
      musicDir: dir,
      playlistDir: path.join(dir, 'Playlists'),
    });
    assert.equal(local.type, 'local');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('missing variables and unknown types are bad_config errors naming them', async () => {
  await assert.rejects(
    createMediaProvider({ mediaServerType: 'jellyfin', jellyfinUrl: 'http://j' }),
    badConfig(/JELLYFIN_USER_ID, JELLYFIN_TOKEN/),
  );
  await assert.rejects(
    createMediaProvider({ mediaServerType: 'navidrome' }),
    badConfig(/NAVIDROME_URL, NAVIDROME_USER, NAVIDROME_PASSWORD/),
  );
  await assert.rejects(
    createMediaProvider({ mediaServerType: 'plex' } as unknown as MediaConfig),
    badConfig(/"plex" is not supported/),
  );
  await assert.rejects(
    createMediaProvider({
      mediaServerType: 'jellyfin',
      jellyfinUrl: 'not a url',
      jellyfinUserId: 'a',
      jellyfinToken: 't',
    }),
    badConfig(/JELLYFIN_URL="not a url" is not a URL/),
  );
});
