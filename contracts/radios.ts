// A radio's recipe and the refreshRadio workflow's input and result: declared once for the API, the CLI, the
// schedule action and the worker. checkRecipe names the bad field, wherever the recipe came from.
import { InputError } from './input-spec.ts';

export const RECIPE_KINDS = ['instantMix', 'alchemy', 'fingerprint', 'path'] as const;
export type RecipeKind = (typeof RECIPE_KINDS)[number];

export interface AlchemyRecipeItem {
  id: string;
  op: 'ADD' | 'SUBTRACT';
  type: 'song' | 'artist' | 'playlist';
}

/** What a radio plays: item ids are the media server's. */
export type RadioRecipe =
  /** Songs like the seeds, interleaved seed by seed. */
  | { kind: 'instantMix'; seeds: string[] }
  /** The alchemy blend (ADD minus SUBTRACT), sampled with the temperature (0: nearest first). */
  | { kind: 'alchemy'; items: AlchemyRecipeItem[]; temperature?: number }
  /** The person's sonic fingerprint (our users.id), seeds left out. */
  | { kind: 'fingerprint'; userId: string }
  /** A path from one song to another. */
  | { kind: 'path'; startId: string; endId: string };

export const RADIO_MAX_SIZE = 200;

export interface RefreshRadioInput {
  radioId: string;
}

/** The songs a recipe gives now, or why none (the refresh then leaves the playlist as it is). */
export interface RadioSongs {
  trackIds: string[];
  reason?: string;
}

export interface RefreshRadioResult {
  status: 'published' | 'skipped';
  playlistId: string | null;
  added: number;
  removed: number;
  kept: number;
  /** Why nothing was published (status skipped). */
  reason?: string;
}

const text = (v: unknown): v is string => typeof v === 'string' && v.trim() !== '';

/** Throws InputError naming the first bad field under `prefix` (`recipe.seeds`). */
export function checkRecipe(recipe: unknown, prefix = 'recipe'): asserts recipe is RadioRecipe {
  if (typeof recipe !== 'object' || recipe === null || Array.isArray(recipe))
    throw new InputError(prefix, 'expected an object with a kind');
  const r = recipe as Record<string, unknown>;
  const allowed = (fields: string[]) => {
    for (const k of Object.keys(r))
      if (k !== 'kind' && !fields.includes(k))
        throw new InputError(
          `${prefix}.${k}`,
          `unknown field for kind ${String(r.kind)}; accepted: ${fields.join(', ')}`,
        );
  };
  const ids = (field: string, v: unknown, min: number) => {
    if (!Array.isArray(v) || v.length < min || v.length > 50 || !v.every(text))
      throw new InputError(`${prefix}.${field}`, `expected ${min} to 50 item ids`);
  };
  switch (r.kind) {
    case 'instantMix':
      allowed(['seeds']);
      ids('seeds', r.seeds, 1);
      return;
    case 'alchemy': {
      allowed(['items', 'temperature']);
      if (!Array.isArray(r.items) || r.items.length < 1 || r.items.length > 50)
        throw new InputError(`${prefix}.items`, 'expected 1 to 50 items {id, op, type}');
      r.items.forEach((it: unknown, k) => {
        const i = (it ?? {}) as Record<string, unknown>;
        if (!text(i.id)) throw new InputError(`${prefix}.items[${k}].id`, 'expected an id');
        if (i.op !== 'ADD' && i.op !== 'SUBTRACT')
          throw new InputError(`${prefix}.items[${k}].op`, 'expected ADD or SUBTRACT');
        if (!['song', 'artist', 'playlist'].includes(i.type as string))
          throw new InputError(`${prefix}.items[${k}].type`, 'expected song, artist or playlist');
      });
      if (
        r.temperature !== undefined &&
        !(typeof r.temperature === 'number' && r.temperature >= 0 && r.temperature <= 10)
      )
        throw new InputError(`${prefix}.temperature`, 'expected a number from 0 to 10');
      return;
    }
    case 'fingerprint':
      allowed(['userId']);
      if (!text(r.userId) || !/^[0-9]+$/.test(r.userId)) throw new InputError(`${prefix}.userId`, 'expected a user id');
      return;
    case 'path':
      allowed(['startId', 'endId']);
      if (!text(r.startId)) throw new InputError(`${prefix}.startId`, 'expected an item id');
      if (!text(r.endId)) throw new InputError(`${prefix}.endId`, 'expected an item id');
      return;
    default:
      throw new InputError(`${prefix}.kind`, `expected one of ${RECIPE_KINDS.join(', ')}`);
  }
}
