import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError, loadConfig, maskCredentials, repoRoot, SPEC } from '../../lib/config.ts';

const expectError = (env: Record<string, string>, pattern: RegExp) => {
  assert.throws(
    () => loadConfig(env),
    (err: unknown) => {
      assert.ok(err instanceof ConfigError, `expected ConfigError, got ${err}`);
      assert.doesNotMatch(err.message, /\n/, 'the error must be one line');
      assert.match(err.message, pattern);
      return true;
    },
  );
};

test('defaults follow the seed and pick the local folder without a media server', () => {
  const c = loadConfig({});
  assert.equal(c.mediaServerType, 'local');
  assert.equal(c.webPort, 8000);
  assert.equal(c.analysis.topNMoods, 5);
  assert.equal(c.analysis.numRecentAlbums, 2000);
  assert.deepEqual(c.clustering.numClusters, [20, 60]);
  assert.deepEqual(c.clustering.dbscanEps, [0.1, 0.5]);
  assert.deepEqual(c.clustering.pcaComponents, [0, 5]);
  assert.equal(c.clustering.algorithm, 'kmeans');
  assert.equal(c.ai.provider, 'NONE');
  assert.equal(c.databaseUrl, undefined, 'no database configured means the embedded one');
  assert.equal(c.temporal.address, undefined);
  assert.equal(c.temporal.taskQueue, 'audiomuse');
});

test('a non-number names the variable, the value and what is accepted', () => {
  expectError({ NUM_CLUSTERS_MIN: 'abc' }, /NUM_CLUSTERS_MIN="abc".*integer from 2 to 10000/);
  expectError({ MAX_DISTANCE: '0.5x' }, /MAX_DISTANCE="0.5x".*number from 0 to 1000/);
  expectError({ WEB_PORT: '3.5' }, /WEB_PORT="3.5"/);
});

test('out of range, min > max and unknown enum values are refused', () => {
  expectError({ WEB_PORT: '70000' }, /WEB_PORT="70000".*1 to 65535/);
  expectError(
    { NUM_CLUSTERS_MIN: '80', NUM_CLUSTERS_MAX: '60' },
    /NUM_CLUSTERS_MIN=80 is greater than NUM_CLUSTERS_MAX=60/,
  );
  expectError({ DBSCAN_EPS_MIN: '0.9' }, /DBSCAN_EPS_MIN=0.9 is greater than DBSCAN_EPS_MAX=0.5/);
  expectError({ CLUSTER_ALGORITHM: 'spectral' }, /CLUSTER_ALGORITHM="spectral".*one of kmeans, dbscan, gmm/);
  expectError({ GMM_COVARIANCE_TYPE: 'tied' }, /GMM_COVARIANCE_TYPE="tied".*full, diag/);
  expectError({ JELLYFIN_URL: 'jellyfin:8096' }, /JELLYFIN_URL="jellyfin:8096".*URL/);
});

test('values are parsed: numbers, case-insensitive enums, trailing slashes', () => {
  const c = loadConfig({
    NUM_CLUSTERS_MIN: '10',
    CLUSTER_ALGORITHM: 'GMM',
    DBSCAN_EPS_MAX: '1e-1',
    DBSCAN_EPS_MIN: '0.05',
    JELLYFIN_URL: 'http://jf:8096/',
    JELLYFIN_USER_ID: 'a'.repeat(32),
    JELLYFIN_TOKEN: 't',
  });
  assert.equal(c.clustering.numClusters[0], 10);
  assert.equal(c.clustering.algorithm, 'gmm');
  assert.deepEqual(c.clustering.dbscanEps, [0.05, 0.1]);
  assert.equal(c.jellyfinUrl, 'http://jf:8096');
  assert.equal(c.mediaServerType, 'jellyfin');
});

test('the chosen media server needs its variables', () => {
  expectError(
    { MEDIA_SERVER_TYPE: 'jellyfin' },
    /JELLYFIN_URL, JELLYFIN_USER_ID, JELLYFIN_TOKEN must be set when MEDIA_SERVER_TYPE=jellyfin/,
  );
  expectError(
    { NAVIDROME_URL: 'http://nd:4533', NAVIDROME_USER: 'u' },
    /NAVIDROME_PASSWORD must be set when MEDIA_SERVER_TYPE=navidrome/,
  );
  expectError({ AI_MODEL_PROVIDER: 'gemini' }, /GEMINI_API_KEY must be set/);
  expectError({ MEDIA_SERVER_TYPE: 'plex' }, /MEDIA_SERVER_TYPE="plex".*jellyfin, navidrome, local/);
});

test('DATABASE_URL or POSTGRES_HOST selects an external database', () => {
  assert.equal(
    loadConfig({ POSTGRES_HOST: 'db', POSTGRES_PASSWORD: 'p@ss' }).databaseUrl,
    'postgresql://audiomuse:p%40ss@db:5432/audiomusedb',
  );
  assert.equal(loadConfig({ DATABASE_URL: 'postgres://u:p@h:1/d' }).databaseUrl, 'postgres://u:p@h:1/d');
});

test('REDIS_URL is accepted and ignored with a warning', () => {
  const c = loadConfig({ REDIS_URL: 'redis://redis:6379/0' });
  assert.equal(c.warnings.length, 1);
  assert.match(c.warnings[0], /REDIS_URL.*ignored.*Temporal/);
});

test('the README documents every configuration variable', () => {
  const readme = fs.readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
  const missing = Object.keys(SPEC).filter((name) => !readme.includes(`\`${name}\``));
  assert.deepEqual(missing, []);
});

test('Subsonic: SUBSONIC_AUTH decides which variables are needed, and SUBSONIC_* are other names of NAVIDROME_*', () => {
  const url = { NAVIDROME_URL: 'http://nd:4533' };
  assert.equal(loadConfig({ ...url, NAVIDROME_USER: 'u', NAVIDROME_PASSWORD: 'p' }).subsonicAuth, 'token');
  expectError(
    { ...url, SUBSONIC_AUTH: 'apikey', NAVIDROME_USER: 'u', NAVIDROME_PASSWORD: 'p' },
    /NAVIDROME_API_KEY must be set when MEDIA_SERVER_TYPE=navidrome and SUBSONIC_AUTH=apikey/,
  );
  expectError({ ...url, SUBSONIC_AUTH: 'auto' }, /NAVIDROME_USER, NAVIDROME_PASSWORD must be set .*SUBSONIC_AUTH=auto/);
  expectError({ ...url, SUBSONIC_AUTH: 'ldap' }, /SUBSONIC_AUTH="ldap".*token, apikey, password, auto/);
  const byKey = loadConfig({ ...url, SUBSONIC_AUTH: 'AUTO', NAVIDROME_API_KEY: 'k' });
  assert.deepEqual([byKey.subsonicAuth, byKey.navidromeApiKey, byKey.navidromeUser], ['auto', 'k', undefined]);
  const aliased = loadConfig({
    MEDIA_SERVER_TYPE: 'subsonic',
    SUBSONIC_URL: 'http://sup:5722/',
    SUBSONIC_USER: 'u',
    SUBSONIC_PASSWORD: 'p',
    SUBSONIC_AUTH: 'password',
  });
  assert.deepEqual(
    [
      aliased.mediaServerType,
      aliased.navidromeUrl,
      aliased.navidromeUser,
      aliased.navidromePassword,
      aliased.subsonicAuth,
    ],
    ['navidrome', 'http://sup:5722', 'u', 'p', 'password'],
  );
  assert.equal(
    loadConfig({ SUBSONIC_URL: 'http://sup:5722', NAVIDROME_USER: 'u', NAVIDROME_PASSWORD: 'p' }).mediaServerType,
    'navidrome',
  );
  expectError(
    { ...url, SUBSONIC_URL: 'http://other:1', NAVIDROME_USER: 'u', NAVIDROME_PASSWORD: 'p' },
    /NAVIDROME_URL and SUBSONIC_URL .* different values/,
  );
});

test('/api/config values: userinfo and secret-looking query values of every URL variable are masked', () => {
  const env = {
    OLLAMA_SERVER_URL: 'http://olly:olly-pass@ollama:11434/api/generate',
    JELLYFIN_URL: 'https://jf-user:jf-pass@jellyfin.example/?api_key=jf-query-key',
    JELLYFIN_USER_ID: 'a'.repeat(32),
    JELLYFIN_TOKEN: 'jf-token-value',
    NAVIDROME_URL: 'http://nd-user:nd-pass@navidrome:4533?sig=nd-signature',
    MODELS_BASE_URL: 'https://mirror.example/models?token=mirror-token&x=kept',
    REDIS_URL: 'redis://:redis-pass@redis:6379/0',
    OPENAI_SERVER_URL: 'https://llm.example/v1/chat/completions?password=llm-password&auth=llm-auth',
    DATABASE_URL: 'postgres://db-user@db:5432/audiomuse?password=db-query-password',
    OPENAI_API_KEY: 'sk-openai-secret-key',
  };
  const shown = JSON.stringify(loadConfig(env).variables);
  for (const secret of [
    'olly-pass',
    'jf-pass',
    'jf-query-key',
    'jf-token-value',
    'nd-pass',
    'nd-signature',
    'mirror-token',
    'redis-pass',
    'llm-password',
    'llm-auth',
    'db-query-password',
    'sk-openai-secret-key',
  ])
    assert.doesNotMatch(shown, new RegExp(secret), `${secret} is shown by /api/config`);
  const value = (name: string) => loadConfig(env).variables.find((v) => v.name === name)!.value;
  assert.equal(value('MODELS_BASE_URL'), 'https://mirror.example/models?token=***&x=kept', 'the rest of the URL stays');
  assert.equal(value('REDIS_URL'), 'redis://***@redis:6379/0');
  assert.equal(value('OLLAMA_SERVER_URL'), 'http://***@ollama:11434/api/generate');
  assert.equal(value('DATABASE_URL'), '***');
  assert.equal(
    loadConfig({}).variables.find((v) => v.name === 'OLLAMA_SERVER_URL')!.value,
    SPEC.OLLAMA_SERVER_URL.default,
  );
});

test("log lines and config errors mask URL credentials; a secret variable's rejected value is not echoed", () => {
  assert.equal(
    maskCredentials('PostgreSQL at postgresql://u:pw@h:5432/d?password=q&sslmode=require is not usable'),
    'PostgreSQL at postgresql://***@h:5432/d?password=***&sslmode=require is not usable',
  );
  expectError({ DATABASE_URL: 'mysql://u:db-secret@h/d' }, /DATABASE_URL=\(value hidden\) is not accepted/);
  assert.throws(
    () => loadConfig({ DATABASE_URL: 'mysql://u:db-secret@h/d' }),
    (err: Error) => !/db-secret/.test(err.message),
  );
  expectError(
    { JELLYFIN_URL: 'ftp://u:ftp-secret@jf/?token=tk-secret' },
    /JELLYFIN_URL="ftp:\/\/\*\*\*@jf\/\?token=\*\*\*"/,
  );
});

test('API_TOKEN needs 16 characters; ALLOWED_HOSTS and TRUST_PROXY are parsed', () => {
  expectError(
    { API_TOKEN: 'short-token' },
    /^Invalid configuration: API_TOKEN is 11 characters long; expected at least 16/,
  );
  assert.throws(
    () => loadConfig({ API_TOKEN: 'short-token' }),
    (err: Error) => !err.message.includes('short-token'),
  );
  assert.equal(loadConfig({ API_TOKEN: 'a-long-enough-token' }).apiToken, 'a-long-enough-token');
  const c = loadConfig({ ALLOWED_HOSTS: ' Music.Example.org , nas.local,', TRUST_PROXY: 'TRUE' });
  assert.deepEqual(c.allowedHosts, ['music.example.org', 'nas.local']);
  assert.equal(c.trustProxy, true);
  assert.equal(loadConfig({}).trustProxy, false);
  expectError({ ALLOWED_HOSTS: 'https://music.example.org' }, /ALLOWED_HOSTS entry "https:\/\/music.example.org"/);
  const any = loadConfig({ ALLOWED_HOSTS: '*' });
  assert.equal(any.allowedHosts, '*');
  assert.match(any.warnings.join('\n'), /ALLOWED_HOSTS=\* .*DNS-rebinding/);
});
