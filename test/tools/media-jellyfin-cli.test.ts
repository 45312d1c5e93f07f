// `audiomuse albums|tracks|playlists` as a user runs them (a child process configured by environment
// variables) against the Jellyfin stand-in.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { JellyfinStandin, syntheticLibrary, writeSineWav } from '../standins/jellyfin.ts';
import { repoRoot } from '../shared-paths.ts';

const run = promisify(execFile);
const work = mkdtempSync(path.join(os.tmpdir(), 'jf-cli-'));
const wav = path.join(work, 'tone.wav');
writeSineWav(wav);

// The child must not pick up a media configuration from the developer's shell.
const baseEnv = Object.fromEntries(
  Object.entries(process.env).filter(([k]) => !/^(MEDIA_|JELLYFIN_|NAVIDROME_|MUSIC_DIR|PLAYLIST_DIR)/.test(k)),
);

async function audiomuse(args: string[], env: Record<string, string>) {
  try {
    const r = await run(process.execPath, ['--import', 'tsx', 'cli/audiomuse.ts', ...args], {
      cwd: repoRoot,
      env: { ...baseEnv, ...env },
    });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code?: number; stdout: string; stderr: string };
    return { code: e.code ?? -1, stdout: e.stdout, stderr: e.stderr };
  }
}

const lines = (s: string) =>
  s
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe('audiomuse media commands against the Jellyfin stand-in', () => {
  const standin = new JellyfinStandin(
    syntheticLibrary({ albums: 12, tracksPerAlbum: 3, file: wav, artists: 3 }),
    '12.0.0',
  );
  let env: Record<string, string>;
  before(async () => {
    const url = await standin.listen();
    env = {
      MEDIA_SERVER_TYPE: 'jellyfin',
      JELLYFIN_URL: url,
      JELLYFIN_USER_ID: 'alice',
      JELLYFIN_TOKEN: standin.apiKey,
    };
  });
  after(async () => {
    await standin.close();
    rmSync(work, { recursive: true, force: true });
  });

  test('albums --limit 3 prints the three newest albums as JSON lines', async () => {
    const r = await audiomuse(['albums', '--limit', '3'], env);
    assert.equal(r.code, 0, r.stderr);
    const albums = lines(r.stdout);
    assert.deepEqual(
      albums.map((a) => a.id),
      standin.albumIdsNewestFirst().slice(0, 3),
    );
    for (const a of albums) assert.match(String(a.name), /^Album \d+$/);
  });

  test('tracks <albumId> and playlists print JSON lines', async () => {
    const album = standin.albumIdsNewestFirst()[0];
    const t = await audiomuse(['tracks', album], env);
    assert.equal(t.code, 0, t.stderr);
    assert.deepEqual(
      lines(t.stdout).map((x) => x.id),
      standin.trackIds(album),
    );

    const p = await audiomuse(['playlists'], env);
    assert.equal(p.code, 0, p.stderr);
    assert.deepEqual(lines(p.stdout), []);
  });

  test('a rejected token fails with one line naming JELLYFIN_TOKEN and no output', async () => {
    const r = await audiomuse(['albums', '--limit', '3'], {
      ...env,
      JELLYFIN_USER_ID: standin.user('alice').id,
      JELLYFIN_TOKEN: 'wrong',
    });
    assert.notEqual(r.code, 0);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /JELLYFIN_TOKEN/);
    assert.equal(r.stderr.trim().split('\n').length, 1);
  });

  test('a bad --limit is a usage error', async () => {
    const r = await audiomuse(['albums', '--limit', 'many'], env);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /--limit needs a whole number/);
  });
});
