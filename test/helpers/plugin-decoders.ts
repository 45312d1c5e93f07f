// The players' AudioMuse plugins' own answer parsing, ported rule for rule so a contract test fails where the
// plugin would: Go's encoding/json (Navidrome plugins), System.Text.Json's JsonNode (Jellyfin plugin), the
// Lyrion mixer's Perl. Sources and rules: docs/similarity.md, "Plugin contracts".

/** A Go type a JSON value is decoded into: a field tag maps a JSON key to a Go type. */
export type GoType = 'string' | 'float64' | 'bool' | { slice: GoType } | { struct: Record<string, GoType> };

const goKind = (v: unknown) =>
  Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v === 'object' ? 'object' : typeof v;

/**
 * Go's json.Unmarshal: null leaves the zero value, a missing key leaves the zero value (or `defaults`, as a
 * custom UnmarshalJSON sets them), unknown keys are ignored, keys match tags case-insensitively, and a value of
 * another JSON kind than the Go type is an UnmarshalTypeError — the plugins drop the whole answer on it.
 */
export function goUnmarshal(v: unknown, t: GoType, where = '', defaults: Record<string, unknown> = {}): any {
  const mismatch = (goType: string) =>
    new Error(
      `json: cannot unmarshal ${goKind(v) === 'boolean' ? 'bool' : goKind(v)} into Go value${where} of type ${goType}`,
    );
  if (t === 'string') {
    if (v === null || v === undefined) return '';
    if (typeof v !== 'string') throw mismatch('string');
    return v;
  }
  if (t === 'float64') {
    if (v === null || v === undefined) return 0;
    if (typeof v !== 'number') throw mismatch('float64');
    return v;
  }
  if (t === 'bool') {
    if (v === null || v === undefined) return false;
    if (typeof v !== 'boolean') throw mismatch('bool');
    return v;
  }
  if ('slice' in t) {
    if (v === null || v === undefined) return [];
    if (!Array.isArray(v)) throw mismatch('[]…');
    return v.map((x, i) => goUnmarshal(x, t.slice, `${where}[${i}]`, defaults));
  }
  if (v === null || v === undefined)
    return Object.fromEntries(Object.keys(t.struct).map((k) => [k, zero(t.struct[k])]));
  if (goKind(v) !== 'object') throw mismatch('struct');
  const obj = v as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [tag, type] of Object.entries(t.struct)) {
    // An exact key wins, else the first key equal under case folding.
    const key = tag in obj ? tag : Object.keys(obj).find((k) => k.toLowerCase() === tag.toLowerCase());
    const fieldDefault = tag in defaults ? defaults[tag] : zero(type);
    out[tag] =
      key === undefined || obj[key] === null ? fieldDefault : goUnmarshal(obj[key], type, `${where}.${tag}`, defaults);
  }
  return out;
}

function zero(t: GoType): unknown {
  return t === 'string' ? '' : t === 'float64' ? 0 : t === 'bool' ? false : 'slice' in t ? [] : goUnmarshal(null, t);
}

/** NeptuneHub/AudioMuse-AI-NV-plugin main.go audioMuseTrackResponse (the fork adds similarity and is_seed). */
export const GO_TRACK: GoType = {
  struct: { item_id: 'string', title: 'string', author: 'string', album: 'string', distance: 'float64' },
};
export const GO_FORK_TRACK: GoType = {
  struct: { ...(GO_TRACK as { struct: Record<string, GoType> }).struct, similarity: 'float64', is_seed: 'bool' },
};
/** audioMusePathResponse. */
export const GO_PATH: GoType = { struct: { path: { slice: GO_TRACK } } };
/** audiomuse_api.go SimilarArtistsResponse. */
const GO_SONG_REF: GoType = { slice: { struct: { item_id: 'string', title: 'string' } } };
export const GO_ARTIST: GoType = {
  struct: {
    artist: 'string',
    artist_id: 'string',
    component_matches: {
      slice: { struct: { artist1_representative_songs: GO_SONG_REF, artist2_representative_songs: GO_SONG_REF } },
    },
  },
};

/** main.go normalizeSimilarity; the fork answers −1 for a distance it never got (its UnmarshalJSON default). */
export function goSimilarity(distance: number): number {
  if (distance < 0) return -1;
  return Math.min(1, Math.max(0, 1 - distance));
}

/** Guid.TryParse: the N, D, B and P formats (X is never sent), surrounding white space allowed. */
export function csGuidTryParse(s: string): boolean {
  const d = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
  return new RegExp(`^\\s*(?:[0-9a-f]{32}|${d}|\\{${d}\\}|\\(${d}\\))\\s*$`, 'i').test(s);
}

/**
 * audiomuse-ai-plugin Services/SimilarTrackSearch.cs for the Similar Song engine: null when the call did not
 * succeed (BuildAsync: non-2xx or a body that is neither an array nor an object with a "results" array —
 * JsonObject keys are case-sensitive); else the item ids in rank order (Normalize: non-objects skipped,
 * is_seed=true skipped, at most `limit` rows; ItemIds: "item_id" a JSON string that Guid.TryParse accepts).
 */
export function jellyfinItemIds(status: number, body: string, limit: number, idKey = 'item_id'): string[] | null {
  if (status < 200 || status > 299) return null;
  let root: unknown;
  try {
    root = JSON.parse(body);
  } catch {
    return null;
  }
  const rows = Array.isArray(root)
    ? root
    : goKind(root) === 'object' && Array.isArray((root as any).results)
      ? ((root as any).results as unknown[])
      : null;
  if (!rows) return null;
  const kept = rows.filter((r) => goKind(r) === 'object' && (r as any).is_seed !== true).slice(0, limit);
  return kept
    .map((r) => (r as Record<string, unknown>)[idKey])
    .filter((id): id is string => typeof id === 'string' && csGuidTryParse(id))
    .map((id) => id.trim().replaceAll('-', '').toLowerCase());
}

/** What the Jellyfin plugin does with a non-2xx (InstantMixController.AddSimilarTracksFromSeeds). */
export function jellyfinOnFailure(status: number): 'next seed' | 'abort, native mix fills' {
  return status === 404 ? 'next seed' : 'abort, native mix fills';
}

/**
 * lms-audiomuse-mixer API.pm _decode then Plugin.pm _extractTracks and _getTrackObjects: invalid JSON or an
 * object with a non-empty "error" is an error (the caller falls back to similar_tracks, or gives no mix);
 * rows from a bare array or the first of "results", "path", "query_results" that is an array; a row's id is
 * item_id // id and must be all digits (an LMS track id), else it is dropped.
 */
export function lyrionDecode(body: string): { error: string } | { rows: unknown[] } {
  let data: unknown;
  try {
    data = JSON.parse(body);
  } catch {
    return { error: 'Invalid JSON from server' };
  }
  if (goKind(data) === 'object') {
    const err = (data as any).error;
    if (err !== undefined && err !== null && String(err).length > 0) return { error: String(err) };
  }
  if (Array.isArray(data)) return { rows: data };
  if (goKind(data) !== 'object') return { rows: [] };
  for (const k of ['results', 'path', 'query_results'])
    if (Array.isArray((data as any)[k])) return { rows: (data as any)[k] };
  return { rows: [] };
}

export function lyrionTrackIds(rows: unknown[]): string[] {
  return rows
    .map((r) => (goKind(r) === 'object' ? ((r as any).item_id ?? (r as any).id) : undefined))
    .filter((id) => id !== undefined && id !== null && /^\d+$/.test(String(id)))
    .map(String);
}
