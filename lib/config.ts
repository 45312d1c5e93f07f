// One typed configuration, read once from the environment. Every variable is declared in SPEC with its
// default and what it accepts, so a bad value stops start-up with one line naming it (ConfigError), and the
// README table can be checked against this list.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ANALYSIS_PROFILES, type AnalysisProfile } from '../words/analysis-profile.ts';
import { DEFAULT_MAX_DISTANCE_MEDIANS } from '../words/clustering-defaults.ts';
import { parseCredentialsKey } from './credentials.ts';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

type Raw = Record<string, string | undefined>;

interface IntSpec {
  kind: 'int';
  default: number;
  min: number;
  max: number;
  doc: string;
}
interface FloatSpec {
  kind: 'float';
  /** null: unset unless the environment sets it. */
  default: number | null;
  min: number;
  max: number;
  doc: string;
}
interface EnumSpec {
  kind: 'enum';
  default: string;
  values: readonly string[];
  doc: string;
}
interface StrSpec {
  kind: 'string';
  default: string;
  doc: string;
}
interface UrlSpec {
  kind: 'url';
  default: string;
  doc: string;
}
type VarSpec = IntSpec | FloatSpec | EnumSpec | StrSpec | UrlSpec;

const int = (d: number, min: number, max: number, doc: string): IntSpec => ({ kind: 'int', default: d, min, max, doc });
const float = <D extends number | null>(d: D, min: number, max: number, doc: string): FloatSpec & { default: D } => ({
  kind: 'float',
  default: d,
  min,
  max,
  doc,
});

const oneOf = (d: string, values: readonly string[], doc: string): EnumSpec => ({
  kind: 'enum',
  default: d,
  values,
  doc,
});
const str = (d: string, doc: string): StrSpec => ({ kind: 'string', default: d, doc });
const url = (d: string, doc: string): UrlSpec => ({ kind: 'url', default: d, doc });

/** Every variable the system reads. Empty-string defaults mean "unset". */
export const SPEC = {
  // Media server
  MEDIA_SERVER_TYPE: oneOf(
    '',
    ['jellyfin', 'navidrome', 'local', 'subsonic'],
    'Media source (subsonic = navidrome: any Subsonic server); default: jellyfin if JELLYFIN_URL is set, navidrome if NAVIDROME_URL is set, else local',
  ),
  JELLYFIN_URL: url('', 'Jellyfin base URL, e.g. http://jellyfin:8096'),
  JELLYFIN_USER_ID: str(
    '',
    'Jellyfin user id (32 hex characters; a user name is resolved when the token is an admin key)',
  ),
  JELLYFIN_TOKEN: str('', 'Jellyfin API key or access token'),
  NAVIDROME_URL: url('', 'Navidrome / OpenSubsonic base URL'),
  NAVIDROME_USER: str('', 'Navidrome user name'),
  NAVIDROME_PASSWORD: str(
    '',
    'Navidrome / Subsonic password (a salted md5 token; with SUBSONIC_AUTH=password sent only in POST bodies)',
  ),
  NAVIDROME_API_KEY: str('', 'OpenSubsonic API key (SUBSONIC_AUTH=apikey, or auto)'),
  SUBSONIC_AUTH: oneOf(
    'token',
    ['token', 'apikey', 'password', 'auto'],
    'Subsonic login: salted token, OpenSubsonic API key, password, or auto (the first the server accepts)',
  ),
  SUBSONIC_URL: url('', 'Other name of NAVIDROME_URL'),
  SUBSONIC_USER: str('', 'Other name of NAVIDROME_USER'),
  SUBSONIC_PASSWORD: str('', 'Other name of NAVIDROME_PASSWORD'),
  SUBSONIC_API_KEY: str('', 'Other name of NAVIDROME_API_KEY'),
  MUSIC_DIR: str(path.join(os.homedir(), 'Music'), 'Music folder scanned by the local provider'),
  PLAYLIST_DIR: str('', 'Where the local provider writes .m3u8 playlists (default: <MUSIC_DIR>/Playlists)'),
  MUSIC_DIR_SYMLINKS: oneOf(
    'contain',
    ['contain', 'follow'],
    'Symlinks in MUSIC_DIR: contain = skip one whose target is outside MUSIC_DIR (with one warning), follow = follow it anywhere',
  ),
  MEDIA_TIMEOUT_SECONDS: int(120, 1, 3600, 'Timeout of one media server request'),
  USER_CREDENTIALS_KEY: str(
    '',
    "32 bytes (64 hex digits or base64, e.g. `openssl rand -base64 32`) encrypting each person's own Subsonic login at rest (AES-256-GCM); needed only to store such logins",
  ),
  // Storage and orchestration
  DATABASE_URL: url('', 'PostgreSQL URL; overrides the POSTGRES_* variables'),
  POSTGRES_USER: str('audiomuse', 'PostgreSQL user'),
  POSTGRES_PASSWORD: str('audiomusepassword', 'PostgreSQL password'),
  POSTGRES_DB: str('audiomusedb', 'PostgreSQL database'),
  POSTGRES_HOST: str(
    '',
    'PostgreSQL host; with neither this nor DATABASE_URL, `npm start` runs an embedded PostgreSQL',
  ),
  POSTGRES_PORT: int(5432, 1, 65535, 'PostgreSQL port'),
  DATABASE_POOL_SIZE: int(
    10,
    1,
    1000,
    'PostgreSQL connections the web, the worker (its main process) and `npm start` each keep at most',
  ),
  ANALYSIS_DATABASE_POOL_SIZE: int(2, 1, 100, 'PostgreSQL connections each analysis process keeps at most'),
  DATABASE_STATEMENT_TIMEOUT_SECONDS: int(
    60,
    0,
    86_400,
    'PostgreSQL cancels a statement running longer than this (0 = no limit); migrations have no limit',
  ),
  MIGRATION_LOCK_TIMEOUT_SECONDS: int(
    30,
    1,
    3600,
    'A migration waiting this long for a table lock fails (the process exits; its restart retries) instead of queueing every query behind it',
  ),
  SIMILARITY_INDEX_MIN_TRACKS: int(
    20_000,
    0,
    100_000_000,
    'From this many analysed tracks similarity queries use the persisted vector index (below: the exact scan, as fast there)',
  ),
  EMBEDDED_POSTGRES_PORT: int(5433, 1, 65535, 'Port of the embedded PostgreSQL'),
  EMBEDDED_POSTGRES_ROOT_DIR: str(
    '/var/lib/audiomuse',
    "Run as root: where the embedded PostgreSQL's binaries and data go when the `postgres` user cannot reach node_modules or DATA_DIR",
  ),
  TEMPORAL_ADDRESS: str('', 'Temporal frontend host:port; unset → `npm start` runs `temporal server start-dev`'),
  TEMPORAL_NAMESPACE: str('default', 'Temporal namespace'),
  TEMPORAL_TASK_QUEUE: str('audiomuse', 'Task queue of our workflows and activities'),
  TEMPORAL_CLI_PATH: str(
    '',
    'Path of the `temporal` executable for the embedded dev server (default: PATH, then the SDK download)',
  ),
  TEMPORAL_PORT: int(7233, 1, 65535, 'gRPC port of the embedded Temporal dev server'),
  TEMPORAL_UI_PORT: int(8233, 1, 65535, 'Web UI port of the embedded Temporal dev server'),
  TEMPORAL_TLS: oneOf(
    'auto',
    ['auto', 'on', 'off'],
    'TLS to TEMPORAL_ADDRESS; auto: on when a TEMPORAL_TLS_* variable or TEMPORAL_API_KEY is set (system CAs unless TEMPORAL_TLS_CA_FILE)',
  ),
  TEMPORAL_TLS_CA_FILE: str(
    '',
    "PEM file of the CA that signed the Temporal server's certificate (default: system CAs)",
  ),
  TEMPORAL_TLS_CERT_FILE: str('', 'PEM client certificate for mutual TLS (with TEMPORAL_TLS_KEY_FILE)'),
  TEMPORAL_TLS_KEY_FILE: str('', 'PEM private key of TEMPORAL_TLS_CERT_FILE'),
  TEMPORAL_TLS_SERVER_NAME: str(
    '',
    "Name the Temporal server's certificate is checked against (default: the host of TEMPORAL_ADDRESS)",
  ),
  TEMPORAL_API_KEY: str('', 'API key sent to Temporal (Temporal Cloud API keys); implies TLS'),
  DATA_DIR: str(path.join(repoRoot, '.data'), 'Persistent folder of the embedded PostgreSQL and Temporal databases'),
  REDIS_URL: str('', 'Accepted for compatibility and ignored: Temporal replaces Redis Queue'),
  WEB_PORT: int(8000, 1, 65535, 'Port of the web UI and REST API'),
  WEB_HOST: str('0.0.0.0', 'Interface the web server binds'),
  API_TOKEN: str(
    '',
    "When set (at least 16 characters), every /api call but a minimal health answer needs `Authorization: Bearer <token>` or the session cookie of the page's login form; unset, the UI and API are open to anyone who can reach WEB_PORT",
  ),
  ALLOWED_HOSTS: str(
    '',
    "Comma-separated host names the web server answers to besides localhost, IP addresses and this machine's name (e.g. the name of a reverse proxy); * accepts any (turns off the DNS-rebinding check)",
  ),
  TRUST_PROXY: oneOf(
    'false',
    ['false', 'true'],
    'true behind a reverse proxy: take the client address, protocol (Secure cookie) and host from its X-Forwarded-* headers',
  ),
  TEMP_DIR: str(path.join(os.tmpdir(), 'audiomuse'), 'Downloads of tracks being analysed (always cleaned up)'),
  MODELS_DIR: str(
    path.join(repoRoot, '.data', 'models'),
    'Folder with the MusiCNN ONNX files (`npm start` and `npm run models:fetch` fetch missing ones)',
  ),
  WORKFLOW_BUNDLE: str(
    '',
    'Pre-built workflow bundle (`worker/build-workflow-bundle.ts`, done at image build) the worker loads instead of bundling workflows/ at start-up',
  ),
  WORKER_SHUTDOWN_GRACE_SECONDS: int(
    30,
    0,
    3600,
    'On SIGTERM, how long `npm run worker` lets running activities finish before cancelling them (Temporal retries them elsewhere)',
  ),
  MODELS_BASE_URL: url(
    '',
    'Where missing model files are downloaded from, as <url>/<file> (default: the release URLs in models/manifest.json)',
  ),
  // Analysis
  NUM_RECENT_ALBUMS: int(2000, 0, 10_000_000, 'Albums analysed per run, newest first (0 = all)'),
  TOP_N_MOODS: int(5, 1, 50, 'Mood tags kept per track and used in the clustering feature vector'),
  PATCH_HOP: int(187, 1, 187, 'MusiCNN patch hop in mel frames (187 = no overlap, 93 = Essentia default)'),
  ANALYSIS_PROFILE: oneOf(
    'exact',
    ANALYSIS_PROFILES,
    'exact: MusiCNN on every patch (the reference); fast: on every sixth patch, at least twelve per track; tempo, key and energy unchanged (docs/analysis.md, Profiles)',
  ),
  MAX_CONCURRENT_ALBUMS: int(4, 1, 1000, 'Album child workflows of a library analysis in flight at once'),
  ANALYSIS_WORKERS: int(
    os.availableParallelism(),
    0,
    256,
    'Analysis processes a worker runs, one track each (default: one per CPU core; 0 = none)',
  ),
  // Clustering
  CLUSTER_ALGORITHM: oneOf('kmeans', ['kmeans', 'dbscan', 'gmm'], 'Clustering algorithm'),
  CLUSTER_FEATURE_SPACE: oneOf(
    'moods+heads',
    ['moods', 'moods+heads', 'embedding'],
    'What is clustered: tempo, energy and the top mood tags; the same plus the six mood heads; or the 200-d MusiCNN embedding',
  ),
  MAX_SONGS_PER_CLUSTER: int(40, 0, 100_000, 'Playlist length cap; longer clusters are split (0 = no cap)'),
  MAX_SONGS_PER_ARTIST: int(
    3,
    0,
    100_000,
    'Songs of one artist per playlist (0 = no cap); an artist holding a larger share of the library may fill that share of a 40-song playlist',
  ),
  MAX_DISTANCE_MEDIANS: float(
    DEFAULT_MAX_DISTANCE_MEDIANS,
    0,
    1000,
    "Songs farther from their centroid than this many times the clustering's median song distance are left out of playlists (0 = keep all); the same meaning in every feature space",
  ),
  MAX_DISTANCE: float(
    null,
    0,
    1000,
    "The original's filter instead, when set: songs farther than this fraction of the run's largest centroid distance are left out (0.5 there; in the embedding space it leaves out most songs)",
  ),
  CLUSTERING_RUNS: int(1000, 1, 1_000_000, 'Candidate clusterings evaluated by the evolutionary search'),
  NUM_CLUSTERS_MIN: int(20, 2, 10_000, 'K-Means: fewest clusters'),
  NUM_CLUSTERS_MAX: int(60, 2, 10_000, 'K-Means: most clusters'),
  DBSCAN_EPS_MIN: float(0.1, 0.000001, 1000, 'DBSCAN: smallest eps'),
  DBSCAN_EPS_MAX: float(0.5, 0.000001, 1000, 'DBSCAN: largest eps'),
  DBSCAN_MIN_SAMPLES_MIN: int(5, 1, 10_000, 'DBSCAN: smallest min_samples'),
  DBSCAN_MIN_SAMPLES_MAX: int(20, 1, 10_000, 'DBSCAN: largest min_samples'),
  GMM_N_COMPONENTS_MIN: int(20, 1, 10_000, 'GMM: fewest components'),
  GMM_N_COMPONENTS_MAX: int(60, 1, 10_000, 'GMM: most components'),
  GMM_COVARIANCE_TYPE: oneOf('full', ['full', 'diag'], 'GMM covariance type'),
  PCA_COMPONENTS_MIN: int(0, 0, 200, 'Fewest PCA components (0 = no PCA)'),
  PCA_COMPONENTS_MAX: int(5, 0, 200, 'Most PCA components'),
  // AI naming
  AI_MODEL_PROVIDER: oneOf(
    'NONE',
    ['NONE', 'OLLAMA', 'GEMINI', 'OPENAI'],
    'Who names the playlists (NONE keeps the tag names)',
  ),
  OLLAMA_SERVER_URL: url('http://localhost:11434/api/generate', 'Ollama generate endpoint'),
  OLLAMA_MODEL_NAME: str('llama3.1:8b', 'Ollama model'),
  GEMINI_API_KEY: str('', 'Gemini API key (required when AI_MODEL_PROVIDER=GEMINI)'),
  GEMINI_MODEL_NAME: str('gemini-2.5-pro', 'Gemini model'),
  GEMINI_API_CALL_DELAY_SECONDS: float(7, 0, 3600, 'Pause before each Gemini call (free-tier rate limits)'),
  OPENAI_SERVER_URL: url('', 'OpenAI-compatible chat completions URL (required when AI_MODEL_PROVIDER=OPENAI)'),
  OPENAI_MODEL_NAME: str('llama3.1:8b', 'OpenAI-compatible model'),
  OPENAI_API_KEY: str('no-key-needed', 'Bearer key of the OpenAI-compatible server'),
} as const satisfies Record<string, VarSpec>;

export type VarName = keyof typeof SPEC;

export interface Config {
  mediaServerType: 'jellyfin' | 'navidrome' | 'local';
  /** False when no media variable is set at all: the local provider then runs on the default MUSIC_DIR. */
  mediaSourceSet: boolean;
  jellyfinUrl?: string;
  jellyfinUserId?: string;
  jellyfinToken?: string;
  navidromeUrl?: string;
  navidromeUser?: string;
  navidromePassword?: string;
  navidromeApiKey?: string;
  subsonicAuth: 'token' | 'apikey' | 'password' | 'auto';
  musicDir: string;
  playlistDir: string;
  /** MUSIC_DIR_SYMLINKS: whether the local scan follows symlinks out of MUSIC_DIR. */
  musicDirSymlinks: 'contain' | 'follow';
  mediaTimeoutMs: number;
  /** USER_CREDENTIALS_KEY, checked to be 32 bytes: seals people's own media-server logins (lib/credentials.ts). */
  userCredentialsKey?: string;
  /** Set when DATABASE_URL or POSTGRES_HOST is given; otherwise the embedded PostgreSQL is used. */
  databaseUrl?: string;
  postgres: {
    user: string;
    password: string;
    database: string;
    host: string;
    port: number;
    embeddedPort: number;
    embeddedRootDir: string;
  };
  /** Pool sizes and timeouts of every PostgreSQL pool (README "Connections"). */
  database: { poolSize: number; analysisPoolSize: number; statementTimeoutMs: number; migrationLockTimeoutMs: number };
  /** The similarity index (docs/similarity.md). */
  similarity: { indexMinTracks: number };
  temporal: {
    address?: string;
    namespace: string;
    taskQueue: string;
    cliPath?: string;
    port: number;
    uiPort: number;
    security: TemporalSecurity;
  };
  dataDir: string;
  webPort: number;
  webHost: string;
  /** Required by the web API when set. */
  apiToken?: string;
  /** Extra Host names the web server answers to (lower case); '*' accepts any. */
  allowedHosts: string[] | '*';
  /** Behind a reverse proxy: trust its X-Forwarded-* headers (koa `app.proxy`). */
  trustProxy: boolean;
  /** Every variable as read (secrets masked), for GET /api/config. */
  variables: VariableInfo[];
  tempDir: string;
  modelsDir: string;
  modelsBaseUrl?: string;
  worker: { workflowBundle?: string; shutdownGraceMs: number };
  analysis: {
    numRecentAlbums: number;
    topNMoods: number;
    patchHop: number;
    profile: AnalysisProfile;
    maxConcurrentAlbums: number;
    workers: number;
  };
  clustering: {
    algorithm: 'kmeans' | 'dbscan' | 'gmm';
    featureSpace: 'moods' | 'moods+heads' | 'embedding';
    maxSongsPerCluster: number;
    maxSongsPerArtist: number;
    /** MAX_DISTANCE when set (the original's filter, a fraction of the largest distance), else null. */
    maxDistance: number | null;
    maxDistanceMedians: number;
    runs: number;
    numClusters: [number, number];
    dbscanEps: [number, number];
    dbscanMinSamples: [number, number];
    gmmComponents: [number, number];
    gmmCovarianceType: 'full' | 'diag';
    pcaComponents: [number, number];
  };
  ai: {
    provider: 'NONE' | 'OLLAMA' | 'GEMINI' | 'OPENAI';
    ollamaUrl: string;
    ollamaModel: string;
    geminiApiKey?: string;
    geminiModel: string;
    geminiDelaySeconds: number;
    openaiUrl?: string;
    openaiModel: string;
    openaiApiKey: string;
  };
  /** Non-fatal remarks for the log (e.g. REDIS_URL ignored). */
  warnings: string[];
}

/** How the web, workers and CLI reach an external Temporal: TLS (false = plaintext) and an API key. */
export interface TemporalSecurity {
  tls:
    | false
    | {
        serverNameOverride?: string;
        serverRootCACertificate?: Buffer;
        clientCertPair?: { crt: Buffer; key: Buffer };
      };
  apiKey?: string;
}

function temporalSecurity(v: {
  TEMPORAL_ADDRESS: string;
  TEMPORAL_TLS: string;
  TEMPORAL_TLS_CA_FILE: string;
  TEMPORAL_TLS_CERT_FILE: string;
  TEMPORAL_TLS_KEY_FILE: string;
  TEMPORAL_TLS_SERVER_NAME: string;
  TEMPORAL_API_KEY: string;
}): TemporalSecurity {
  const fail = (why: string): never => {
    throw new ConfigError(`Invalid configuration: ${why}.`);
  };
  const set = (
    ['TEMPORAL_TLS_CA_FILE', 'TEMPORAL_TLS_CERT_FILE', 'TEMPORAL_TLS_KEY_FILE', 'TEMPORAL_TLS_SERVER_NAME'] as const
  ).filter((n) => v[n] !== '');
  if (v.TEMPORAL_TLS_CERT_FILE && !v.TEMPORAL_TLS_KEY_FILE)
    fail('TEMPORAL_TLS_CERT_FILE is set without TEMPORAL_TLS_KEY_FILE; set both for mutual TLS');
  if (v.TEMPORAL_TLS_KEY_FILE && !v.TEMPORAL_TLS_CERT_FILE)
    fail('TEMPORAL_TLS_KEY_FILE is set without TEMPORAL_TLS_CERT_FILE; set both for mutual TLS');
  const on = v.TEMPORAL_TLS === 'on' || (v.TEMPORAL_TLS === 'auto' && (set.length > 0 || v.TEMPORAL_API_KEY !== ''));
  if (v.TEMPORAL_TLS === 'off' && set.length) fail(`TEMPORAL_TLS=off but ${set.join(', ')} is set`);
  if ((on || v.TEMPORAL_API_KEY) && !v.TEMPORAL_ADDRESS)
    fail(
      `${on ? 'TLS' : 'TEMPORAL_API_KEY'} needs TEMPORAL_ADDRESS (an external Temporal; the embedded dev server has neither)`,
    );
  const read = (name: 'TEMPORAL_TLS_CA_FILE' | 'TEMPORAL_TLS_CERT_FILE' | 'TEMPORAL_TLS_KEY_FILE') => {
    if (!v[name]) return undefined;
    try {
      return fs.readFileSync(v[name]);
    } catch (err) {
      return fail(
        `${name}=${v[name]} cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
      );
    }
  };
  const apiKey = v.TEMPORAL_API_KEY || undefined;
  if (!on) return { tls: false, apiKey };
  const ca = read('TEMPORAL_TLS_CA_FILE');
  const crt = read('TEMPORAL_TLS_CERT_FILE');
  const key = read('TEMPORAL_TLS_KEY_FILE');
  return {
    tls: {
      ...(v.TEMPORAL_TLS_SERVER_NAME && { serverNameOverride: v.TEMPORAL_TLS_SERVER_NAME }),
      ...(ca && { serverRootCACertificate: ca }),
      ...(crt && key && { clientCertPair: { crt, key } }),
    },
    apiKey,
  };
}

function accepted(spec: VarSpec): string {
  switch (spec.kind) {
    case 'int':
      return `an integer from ${spec.min} to ${spec.max}`;
    case 'float':
      return `a number from ${spec.min} to ${spec.max}`;
    case 'enum':
      return `one of ${spec.values.join(', ')}`;
    case 'url':
      return 'an http:// or https:// URL (or postgres:// for DATABASE_URL)';
    case 'string':
      return 'a string';
  }
}

function parseVar(name: VarName, raw: string | undefined): string | number | null {
  const spec: VarSpec = SPEC[name];
  const value = raw?.trim();
  if (value === undefined || value === '') return spec.default;
  // A secret's rejected value is not echoed; a URL's credentials are masked.
  const shown = SECRET.test(name) ? '(value hidden)' : JSON.stringify(maskCredentials(raw ?? ''));
  const fail = (): never => {
    throw new ConfigError(`Invalid configuration: ${name}=${shown} is not accepted; expected ${accepted(spec)}.`);
  };
  switch (spec.kind) {
    case 'int': {
      if (!/^[+-]?\d+$/.test(value)) fail();
      const n = Number(value);
      if (n < spec.min || n > spec.max) fail();
      return n;
    }
    case 'float': {
      const n = Number(value);
      if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(value) || !Number.isFinite(n) || n < spec.min || n > spec.max)
        fail();
      return n;
    }
    case 'enum': {
      const match = spec.values.find((v) => v.toLowerCase() === value.toLowerCase());
      if (match === undefined) fail();
      return match as string;
    }
    case 'url': {
      try {
        const u = new URL(value);
        if (!['http:', 'https:', 'postgres:', 'postgresql:'].includes(u.protocol)) fail();
      } catch {
        fail();
      }
      return value.replace(/\/+$/, '');
    }
    case 'string':
      return value;
  }
}

/** Variables whose values are never shown (API, logs): passwords, tokens, keys, URLs that may embed them. */
const SECRET = /PASSWORD|TOKEN|_KEY$|SECRET|DATABASE_URL/;
/** Query parameters whose values are credentials (`?token=`, `?api_key=`, `?password=`, `?sig=` …). */
const SECRET_QUERY = /token|key|pass|secret|sig|auth|credential|session|jwt/i;

/**
 * A URL with its userinfo and secret-looking query values replaced by "***" (other text unchanged), for
 * GET /api/config, error messages and logs. URLs inside free text are masked too.
 */
export function maskCredentials(text: string): string {
  return text.replace(/[a-z][a-z0-9+.-]*:\/\/[^\s"'<>]+/gi, (found) => {
    let u: URL;
    try {
      u = new URL(found);
    } catch {
      return found.replace(/\/\/[^/@]*@/, '//***@');
    }
    let masked = false;
    if (u.username || u.password) {
      u.username = '***';
      u.password = '';
      masked = true;
    }
    for (const key of new Set(u.searchParams.keys()))
      if (SECRET_QUERY.test(key)) {
        u.searchParams.set(key, '***');
        masked = true;
      }
    // Unchanged URLs keep their exact spelling (URL would add a trailing slash).
    return masked ? u.toString().replace(/%2A%2A%2A/g, '***') : found;
  });
}

/** Every variable with its effective value (secrets as "***" when set), default and help. */
export interface VariableInfo {
  name: VarName;
  value: string;
  default: string;
  doc: string;
  secret: boolean;
}

function describeVariables(env: Raw): VariableInfo[] {
  return (Object.keys(SPEC) as VarName[]).map((name) => {
    const secret = SECRET.test(name);
    const value = String(parseVar(name, env[name]) ?? '');
    return {
      name,
      value: secret && value ? '***' : maskCredentials(value),
      default: secret ? '' : String(SPEC[name].default ?? ''),
      doc: SPEC[name].doc,
      secret,
    };
  });
}

/** Shorter tokens could be guessed through the login form despite its rate limit. */
export const MIN_TOKEN_LENGTH = 16;

function parseAllowedHosts(raw: string): string[] | '*' {
  const names = raw
    .split(',')
    .map((n) => n.trim().toLowerCase())
    .filter(Boolean);
  if (names.includes('*')) return '*';
  const bad = names.find((n) => !/^[a-z0-9.-]+$|^\[[0-9a-f:.]+\]$/.test(n));
  if (bad !== undefined)
    throw new ConfigError(
      `Invalid configuration: ALLOWED_HOSTS entry ${JSON.stringify(bad)} is not accepted; expected comma-separated host names without scheme or port, or *.`,
    );
  return names;
}

/** A PostgreSQL connection URL with its parts escaped (the one place this format is written). */
export function postgresUrl(p: {
  user: string;
  password: string;
  host: string;
  port: number;
  database: string;
}): string {
  return `postgresql://${encodeURIComponent(p.user)}:${encodeURIComponent(p.password)}@${p.host}:${p.port}/${encodeURIComponent(p.database)}`;
}

/** Reads and validates the whole configuration. Throws ConfigError with a one-line message. */
export function loadConfig(env: Raw = process.env): Config {
  const v = {} as { [K in VarName]: (typeof SPEC)[K]['default'] };
  for (const name of Object.keys(SPEC) as VarName[]) (v as Record<string, unknown>)[name] = parseVar(name, env[name]);

  const range = (lo: VarName, hi: VarName): [number, number] => {
    const a = v[lo] as number,
      b = v[hi] as number;
    if (a > b)
      throw new ConfigError(`Invalid configuration: ${lo}=${a} is greater than ${hi}=${b}; expected ${lo} <= ${hi}.`);
    return [a, b];
  };
  const numClusters = range('NUM_CLUSTERS_MIN', 'NUM_CLUSTERS_MAX');
  const dbscanEps = range('DBSCAN_EPS_MIN', 'DBSCAN_EPS_MAX');
  const dbscanMinSamples = range('DBSCAN_MIN_SAMPLES_MIN', 'DBSCAN_MIN_SAMPLES_MAX');
  const gmmComponents = range('GMM_N_COMPONENTS_MIN', 'GMM_N_COMPONENTS_MAX');
  const pcaComponents = range('PCA_COMPONENTS_MIN', 'PCA_COMPONENTS_MAX');

  // The SUBSONIC_* names are the same variables as NAVIDROME_* (which serve every Subsonic server).
  for (const [name, alias] of [
    ['NAVIDROME_URL', 'SUBSONIC_URL'],
    ['NAVIDROME_USER', 'SUBSONIC_USER'],
    ['NAVIDROME_PASSWORD', 'SUBSONIC_PASSWORD'],
    ['NAVIDROME_API_KEY', 'SUBSONIC_API_KEY'],
  ] as const) {
    if (v[name] && v[alias] && v[name] !== v[alias])
      throw new ConfigError(
        `Invalid configuration: ${name} and ${alias} are the same variable but set to different values; set one of them.`,
      );
    v[name] ||= v[alias];
  }
  const mediaServerType = (
    v.MEDIA_SERVER_TYPE === 'subsonic'
      ? 'navidrome'
      : v.MEDIA_SERVER_TYPE || (v.JELLYFIN_URL ? 'jellyfin' : v.NAVIDROME_URL ? 'navidrome' : 'local')
  ) as Config['mediaServerType'];
  const require = (names: VarName[], why: string) => {
    const missing = names.filter((n) => v[n] === '');
    if (missing.length) throw new ConfigError(`Invalid configuration: ${missing.join(', ')} must be set ${why}.`);
  };
  if (mediaServerType === 'jellyfin')
    require(['JELLYFIN_URL', 'JELLYFIN_USER_ID', 'JELLYFIN_TOKEN'], 'when MEDIA_SERVER_TYPE=jellyfin');
  if (mediaServerType === 'navidrome') {
    const auth = v.SUBSONIC_AUTH;
    const byKey = auth === 'apikey' || (auth === 'auto' && v.NAVIDROME_API_KEY !== '');
    require(byKey
      ? ['NAVIDROME_URL', 'NAVIDROME_API_KEY']
      : [
          'NAVIDROME_URL',
          'NAVIDROME_USER',
          'NAVIDROME_PASSWORD',
        ], `when MEDIA_SERVER_TYPE=navidrome${auth === 'token' ? '' : ` and SUBSONIC_AUTH=${auth}`}`);
  }
  if (v.AI_MODEL_PROVIDER === 'GEMINI') require(['GEMINI_API_KEY'], 'when AI_MODEL_PROVIDER=GEMINI');
  if (v.AI_MODEL_PROVIDER === 'OPENAI') require(['OPENAI_SERVER_URL'], 'when AI_MODEL_PROVIDER=OPENAI');

  if (v.API_TOKEN && v.API_TOKEN.length < MIN_TOKEN_LENGTH)
    throw new ConfigError(
      `Invalid configuration: API_TOKEN is ${v.API_TOKEN.length} characters long; expected at least ${MIN_TOKEN_LENGTH} (e.g. \`openssl rand -hex 16\`).`,
    );
  const allowedHosts = parseAllowedHosts(v.ALLOWED_HOSTS);
  if (v.USER_CREDENTIALS_KEY) {
    try {
      parseCredentialsKey(v.USER_CREDENTIALS_KEY);
    } catch (err) {
      throw new ConfigError(`Invalid configuration: ${(err as Error).message}.`);
    }
  }

  const warnings: string[] = [];
  if (v.REDIS_URL) warnings.push('REDIS_URL is set but ignored: Temporal replaces Redis Queue in this version.');
  if (allowedHosts === '*')
    warnings.push('ALLOWED_HOSTS=* accepts any Host name: the web server no longer refuses DNS-rebinding requests.');

  const pg = {
    user: v.POSTGRES_USER,
    password: v.POSTGRES_PASSWORD,
    database: v.POSTGRES_DB,
    host: v.POSTGRES_HOST,
    port: v.POSTGRES_PORT,
  };
  const databaseUrl = v.DATABASE_URL || (pg.host ? postgresUrl(pg) : undefined);
  const opt = (s: string) => (s === '' ? undefined : s);

  return {
    mediaServerType,
    mediaSourceSet: (['MEDIA_SERVER_TYPE', 'JELLYFIN_URL', 'NAVIDROME_URL', 'SUBSONIC_URL', 'MUSIC_DIR'] as const).some(
      (n) => !!env[n]?.trim(),
    ),
    jellyfinUrl: opt(v.JELLYFIN_URL),
    jellyfinUserId: opt(v.JELLYFIN_USER_ID),
    jellyfinToken: opt(v.JELLYFIN_TOKEN),
    navidromeUrl: opt(v.NAVIDROME_URL),
    navidromeUser: opt(v.NAVIDROME_USER),
    navidromePassword: opt(v.NAVIDROME_PASSWORD),
    navidromeApiKey: opt(v.NAVIDROME_API_KEY),
    subsonicAuth: v.SUBSONIC_AUTH as Config['subsonicAuth'],
    musicDir: path.resolve(v.MUSIC_DIR),
    playlistDir: path.resolve(v.PLAYLIST_DIR || path.join(v.MUSIC_DIR, 'Playlists')),
    musicDirSymlinks: v.MUSIC_DIR_SYMLINKS as Config['musicDirSymlinks'],
    mediaTimeoutMs: v.MEDIA_TIMEOUT_SECONDS * 1000,
    userCredentialsKey: opt(v.USER_CREDENTIALS_KEY),
    databaseUrl,
    postgres: {
      ...pg,
      embeddedPort: v.EMBEDDED_POSTGRES_PORT,
      embeddedRootDir: path.resolve(v.EMBEDDED_POSTGRES_ROOT_DIR),
    },
    database: {
      poolSize: v.DATABASE_POOL_SIZE,
      analysisPoolSize: v.ANALYSIS_DATABASE_POOL_SIZE,
      statementTimeoutMs: v.DATABASE_STATEMENT_TIMEOUT_SECONDS * 1000,
      migrationLockTimeoutMs: v.MIGRATION_LOCK_TIMEOUT_SECONDS * 1000,
    },
    similarity: { indexMinTracks: v.SIMILARITY_INDEX_MIN_TRACKS },
    temporal: {
      address: opt(v.TEMPORAL_ADDRESS),
      namespace: v.TEMPORAL_NAMESPACE,
      taskQueue: v.TEMPORAL_TASK_QUEUE,
      cliPath: opt(v.TEMPORAL_CLI_PATH),
      port: v.TEMPORAL_PORT,
      uiPort: v.TEMPORAL_UI_PORT,
      security: temporalSecurity(v),
    },
    dataDir: path.resolve(v.DATA_DIR),
    webPort: v.WEB_PORT,
    webHost: v.WEB_HOST,
    apiToken: opt(v.API_TOKEN),
    allowedHosts,
    trustProxy: v.TRUST_PROXY === 'true',
    variables: describeVariables(env),
    tempDir: path.resolve(v.TEMP_DIR),
    modelsDir: path.resolve(v.MODELS_DIR),
    modelsBaseUrl: opt(v.MODELS_BASE_URL),
    worker: {
      workflowBundle: v.WORKFLOW_BUNDLE ? path.resolve(v.WORKFLOW_BUNDLE) : undefined,
      shutdownGraceMs: v.WORKER_SHUTDOWN_GRACE_SECONDS * 1000,
    },
    analysis: {
      numRecentAlbums: v.NUM_RECENT_ALBUMS,
      topNMoods: v.TOP_N_MOODS,
      patchHop: v.PATCH_HOP,
      profile: v.ANALYSIS_PROFILE as AnalysisProfile,
      maxConcurrentAlbums: v.MAX_CONCURRENT_ALBUMS,
      workers: v.ANALYSIS_WORKERS,
    },
    clustering: {
      algorithm: v.CLUSTER_ALGORITHM as Config['clustering']['algorithm'],
      featureSpace: v.CLUSTER_FEATURE_SPACE as Config['clustering']['featureSpace'],
      maxSongsPerCluster: v.MAX_SONGS_PER_CLUSTER,
      maxSongsPerArtist: v.MAX_SONGS_PER_ARTIST,
      maxDistance: v.MAX_DISTANCE,
      maxDistanceMedians: v.MAX_DISTANCE_MEDIANS,
      runs: v.CLUSTERING_RUNS,
      numClusters,
      dbscanEps,
      dbscanMinSamples,
      gmmComponents,
      gmmCovarianceType: v.GMM_COVARIANCE_TYPE as Config['clustering']['gmmCovarianceType'],
      pcaComponents,
    },
    ai: {
      provider: v.AI_MODEL_PROVIDER as Config['ai']['provider'],
      ollamaUrl: v.OLLAMA_SERVER_URL,
      ollamaModel: v.OLLAMA_MODEL_NAME,
      geminiApiKey: opt(v.GEMINI_API_KEY),
      geminiModel: v.GEMINI_MODEL_NAME,
      geminiDelaySeconds: v.GEMINI_API_CALL_DELAY_SECONDS,
      openaiUrl: opt(v.OPENAI_SERVER_URL),
      openaiModel: v.OPENAI_MODEL_NAME,
      openaiApiKey: v.OPENAI_API_KEY,
    },
    warnings,
  };
}
