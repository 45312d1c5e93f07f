// The page's calls to the REST API: JSON in and out, failures as ApiFailure carrying the server's
// `{error, field}`, and the shapes of the answers the page reads.
export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly field?: string,
    readonly body?: Record<string, unknown>,
  ) {
    super(message);
  }
}

/** Called when an answer says a login is needed (API_TOKEN set and the session expired). */
let onUnauthorized: () => void = () => {};
export function whenUnauthorized(fn: () => void): void {
  onUnauthorized = fn;
}

export async function api<T>(
  path: string,
  init: { method?: 'GET' | 'POST' | 'PUT' | 'DELETE'; body?: unknown; okStatuses?: number[] } = {},
): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, {
      method: init.method ?? 'GET',
      headers: init.body === undefined ? {} : { 'content-type': 'application/json' },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
      credentials: 'same-origin',
    });
  } catch {
    throw new ApiFailure(0, 'The AudioMuse web server does not answer.');
  }
  const body = (await res.json().catch(() => ({}))) as Record<string, unknown>;
  if (res.ok || init.okStatuses?.includes(res.status)) return body as T;
  if (res.status === 401 && path !== '/api/login') onUnauthorized();
  throw new ApiFailure(
    res.status,
    typeof body.error === 'string' ? body.error : `HTTP ${res.status}`,
    typeof body.field === 'string' ? body.field : undefined,
    body,
  );
}

export type { HealthAnswer as Health, PartHealth } from '../../lib/health-types.ts';

export type TaskState = 'PENDING' | 'PROGRESS' | 'SUCCESS' | 'FAILURE' | 'REVOKED';
export interface TaskStatus {
  task_id: string;
  task_type: 'main_analysis' | 'main_clustering';
  run_id: string | null;
  state: TaskState;
  running: boolean;
  progress: number;
  details: Record<string, unknown>;
  temporal_url: string | null;
}

export interface RunSummary {
  id: string;
  kind: 'analysis' | 'clustering';
  workflowId: string;
  status: string;
  error: string | null;
  startedAt: string;
  finishedAt: string | null;
  temporalUrl: string | null;
}

export interface Playlist {
  id: string;
  name: string;
  status: string;
  profile: { tempo: number; energy: number; moods: Record<string, number> } | null;
  /** How many tracks it has; the tracks come from GET /api/playlists/:id when it is opened. */
  size: number;
}

export interface PlaylistTracks {
  tracks: { id: string; title: string | null; artist: string | null }[];
}

export interface SavedPlaylist {
  id: string;
  name: string;
  status: string;
  itemIds: string[];
}

export interface LibraryMap {
  total: number;
  playlists: { id: string; name: string }[];
  points: {
    ids: string[];
    item_ids: string[];
    x: number[];
    y: number[];
    titles: (string | null)[];
    artists: (string | null)[];
    playlist: (number | null)[];
  };
}

/** A song as the similarity routes answer it (the original's shape; ids are the media server's). */
export interface Song {
  item_id: string;
  title: string | null;
  author: string | null;
  album: string | null;
}
/** `distance`: to the seed (similar songs), to the first song (a path) or to the mix (alchemy). */
export interface SongAt extends Song {
  distance: number;
}

export interface MediaAdvice {
  configured: boolean;
  type: string;
  target: string;
  ok?: boolean;
  problem?: string;
  action?: string;
  sources: {
    type: string;
    title: string;
    variables: { name: string; example: string; meaning: string }[];
    example: string;
  }[];
}

/** A JSON Schema as the OpenAPI document gives the clustering body. */
export interface FieldSchema {
  type?: 'integer' | 'number' | 'string' | 'boolean' | 'object';
  enum?: string[];
  minimum?: number;
  maximum?: number;
  default?: unknown;
  description?: string;
  properties?: Record<string, FieldSchema>;
}
