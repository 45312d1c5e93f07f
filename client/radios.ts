// Radios for the CLI and the web API: create one (with its Temporal Schedule of kind `radio` when it has a
// schedule), edit it (its schedule made, replaced or removed), run its refresh now, delete it with its schedule, and delete a person with their radios' schedules
// (a database cascade removes the radios, never a Temporal Schedule). Playlists on the server are never deleted.
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import type { Pool } from '../lib/db.ts';
import {
  createRadio,
  deleteRadio,
  getRadio,
  listRadios,
  radioIdsOfUser,
  radioRuns,
  updateRadio,
  type Radio,
  type RadioRun,
} from '../lib/store/radios.ts';
import { deleteUser, getUser } from '../lib/store/users.ts';
import { songNames } from '../lib/store/library.ts';
import { checkRecipe, RADIO_MAX_SIZE, type RefreshRadioResult } from '../contracts/radios.ts';
import { InputError } from '../contracts/input-spec.ts';
import {
  checkScheduleRequest,
  createSchedule,
  deleteSchedule,
  describeSchedule,
  RADIO_RUN,
  scheduleId,
  UnknownSchedule,
  type ScheduleRequest,
  type ScheduleView,
} from './schedules.ts';

export interface RadioControl {
  pool: Pool;
  source: string;
  /** Temporal: needed to run a radio and for its schedule. */
  client?: Client;
  taskQueue: string;
  temporalUiUrl?: string;
}

export interface RadioRequest {
  name: string;
  recipe: unknown;
  size?: number;
  userId?: string;
  /** When it refreshes by itself: a cron expression or an interval (`1d`). */
  cron?: string;
  every?: string;
}

export interface RadioView extends Radio {
  scheduleId: string | null;
  schedule: Pick<ScheduleView, 'when' | 'nextRuns' | 'paused' | 'temporalUrl'> | null;
  runs: RadioRun[];
  /** "Title — Artist" of the recipe's songs the library knows, by item id. */
  songs: Record<string, string>;
}

export const DEFAULT_RADIO_SIZE = 50;
export const radioScheduleId = (radioId: string): string => scheduleId('radio', radioId);

const scheduleControl = (c: RadioControl) => {
  if (!c.client) throw new Error('Temporal is not connected: radios cannot be scheduled or run');
  return { client: c.client, taskQueue: c.taskQueue, temporalUiUrl: c.temporalUiUrl };
};

/** Checks a request; throws InputError naming the field. */
export async function checkRadioRequest(c: RadioControl, r: RadioRequest): Promise<void> {
  if (typeof r.name !== 'string' || !r.name.trim() || r.name.length > 200)
    throw new InputError('name', 'expected a playlist name of 1 to 200 characters');
  checkRecipe(r.recipe);
  if (r.size !== undefined && !(Number.isInteger(r.size) && r.size >= 1 && r.size <= RADIO_MAX_SIZE))
    throw new InputError('size', `expected an integer from 1 to ${RADIO_MAX_SIZE}`);
  if (r.userId !== undefined && !(await getUser(c.pool, c.source, r.userId)))
    throw new InputError('user_id', `no user ${r.userId} of the ${c.source} source`);
  if (r.recipe.kind === 'fingerprint' && (await getUser(c.pool, c.source, r.recipe.userId))?.id !== r.recipe.userId)
    throw new InputError('recipe.userId', `no user with id ${r.recipe.userId} of the ${c.source} source`);
  if (r.cron !== undefined && r.every !== undefined) throw new InputError('cron', 'give cron or every, not both');
}

/** Creates the radio and, when it has a cron or an interval, its schedule; a refused schedule undoes the radio. */
export async function createRadioWithSchedule(c: RadioControl, r: RadioRequest): Promise<RadioView> {
  await checkRadioRequest(c, r);
  // A fingerprint radio belongs to its person unless told otherwise: deleting them deletes it.
  const recipe = r.recipe as { kind: string; userId?: string };
  const userId = r.userId
    ? (await getUser(c.pool, c.source, r.userId))!.id
    : recipe.kind === 'fingerprint'
      ? recipe.userId
      : undefined;
  const radio = await createRadio(c.pool, {
    source: c.source,
    name: r.name.trim(),
    userId,
    recipe,
    size: r.size ?? DEFAULT_RADIO_SIZE,
  });
  if (!radio) throw new InputError('name', `${c.source} already has a radio named ${JSON.stringify(r.name.trim())}`);
  if (r.cron !== undefined || r.every !== undefined) {
    try {
      await createSchedule(scheduleControl(c), {
        name: radio.id,
        kind: 'radio',
        cron: r.cron,
        every: r.every,
        input: { radioId: radio.id },
        note: `radio "${radio.name}"`,
      });
    } catch (err) {
      await deleteRadio(c.pool, c.source, radio.id);
      throw err;
    }
  }
  return radioView(c, radio);
}

/** An edit: only the fields given change; `cron: null` (or `every: null`) removes the schedule. */
export interface RadioEdit {
  name?: string;
  recipe?: unknown;
  size?: number;
  cron?: string | null;
  every?: string | null;
}

/** The edit cannot be made as asked: a radio of that name exists, or a refresh is creating its playlist. */
export class RadioConflict extends Error {
  override name = 'RadioConflict';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Edits a radio; undefined when there is none of that id. Its server playlist keeps its id (the next refresh
 * renames it). A new fingerprint recipe makes its person the owner, as at creation. The schedule is replaced by
 * delete + create (Temporal cannot change a schedule's memo, which keeps the cron as written); a refused one puts
 * the old schedule back.
 */
export async function updateRadioAndSchedule(
  c: RadioControl,
  id: string,
  e: RadioEdit,
): Promise<RadioView | undefined> {
  const radio = await findRadio(c, id);
  if (!radio) return undefined;
  const name = e.name?.trim();
  await checkRadioRequest(c, {
    name: name ?? radio.name,
    recipe: e.recipe ?? radio.recipe,
    size: e.size,
    cron: e.cron ?? undefined,
    every: e.every ?? undefined,
  });
  // A string: set it; null: remove the schedule; undefined: as it is.
  const when =
    typeof e.cron === 'string'
      ? e.cron
      : typeof e.every === 'string'
        ? e.every
        : e.cron === null || e.every === null
          ? null
          : undefined;
  const newSchedule = typeof when === 'string' && {
    name: radio.id,
    kind: 'radio' as const,
    ...(typeof e.cron === 'string' ? { cron: e.cron } : { every: e.every! }),
    input: { radioId: radio.id },
    note: `radio "${name ?? radio.name}"`,
  };
  if (newSchedule) checkScheduleRequest(newSchedule);
  if (name !== undefined && name !== radio.name && (await findRadioNamed(c, name)))
    throw new RadioConflict('name', `${c.source} already has a radio named ${JSON.stringify(name)}`);
  if (name !== undefined && name !== radio.name && radio.publishStartedAt)
    throw new RadioConflict('name', 'a refresh is creating its playlist under the current name: run it, then rename');

  if (when !== undefined) await replaceSchedule(c, radio.id, newSchedule || undefined);
  const recipe = e.recipe as { kind: string; userId?: string } | undefined;
  const updated = await updateRadio(c.pool, radio.id, {
    name,
    recipe,
    size: e.size,
    userId: recipe?.kind === 'fingerprint' ? recipe.userId : undefined,
  });
  if (updated === 'name taken')
    throw new RadioConflict('name', `${c.source} already has a radio named ${JSON.stringify(name)}`);
  if (updated === 'publishing')
    throw new RadioConflict('name', 'a refresh is creating its playlist under the current name: run it, then rename');
  return updated && radioView(c, updated);
}

/** The radio of this source with that name. */
export async function findRadioNamed(c: RadioControl, name: string): Promise<Radio | undefined> {
  return (await listRadios(c.pool, c.source)).find((r) => r.name === name);
}

/** Puts `next` (or nothing) in place of the radio's schedule, keeping paused paused; a refusal restores the old. */
async function replaceSchedule(c: RadioControl, radioId: string, next: ScheduleRequest | undefined): Promise<void> {
  const control = scheduleControl(c);
  let old: ScheduleView | undefined;
  try {
    old = await describeSchedule(control, radioScheduleId(radioId));
  } catch (err) {
    if (!(err instanceof UnknownSchedule)) throw err;
  }
  if (old) await dropSchedule(c, radioId);
  if (!next) return;
  try {
    await createSchedule(control, { ...next, paused: old?.paused });
  } catch (err) {
    if (old) {
      const every = /^every (\S+)$/.exec(old.when)?.[1];
      await createSchedule(control, {
        ...next,
        ...(every ? { every, cron: undefined } : { cron: old.when, every: undefined }),
        note: old.note,
        paused: old.paused,
      });
    }
    throw err;
  }
}

/** The item ids a recipe names (a fingerprint names none). */
const recipeSongIds = (recipe: Record<string, unknown>): string[] => {
  const r = recipe as Partial<{ seeds: string[]; items: { id: string }[]; startId: string; endId: string }>;
  return [...(r.seeds ?? []), ...(r.items ?? []).map((i) => i.id), r.startId, r.endId].filter(
    (id): id is string => typeof id === 'string',
  );
};

export async function radioView(c: RadioControl, radio: Radio): Promise<RadioView> {
  let schedule: RadioView['schedule'] = null;
  if (c.client) {
    try {
      const s = await describeSchedule(scheduleControl(c), radioScheduleId(radio.id));
      schedule = { when: s.when, nextRuns: s.nextRuns, paused: s.paused, temporalUrl: s.temporalUrl };
    } catch (err) {
      if (!(err instanceof UnknownSchedule)) throw err;
    }
  }
  return {
    ...radio,
    scheduleId: schedule ? radioScheduleId(radio.id) : null,
    schedule,
    runs: await radioRuns(c.pool, radio.id),
    songs: await songNames(c.pool, c.source, recipeSongIds(radio.recipe)),
  };
}

/** A radio of this source, or undefined. */
export async function findRadio(c: RadioControl, id: string): Promise<Radio | undefined> {
  const radio = /^[0-9]+$/.test(id) ? await getRadio(c.pool, id) : undefined;
  return radio?.source === c.source ? radio : undefined;
}

/** Refreshes the radio now and waits for the result; joins a refresh already running (scheduled or not). */
export async function runRadio(c: RadioControl, radioId: string): Promise<RefreshRadioResult> {
  const { client, taskQueue } = scheduleControl(c);
  const workflowId = RADIO_RUN.workflowId(radioId);
  try {
    return await client.workflow.execute<(i: { radioId: string }) => Promise<RefreshRadioResult>>(
      RADIO_RUN.workflowType,
      { workflowId, taskQueue, args: [{ radioId }] },
    );
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    return client.workflow.getHandle<(i: { radioId: string }) => Promise<RefreshRadioResult>>(workflowId).result();
  }
}

async function dropSchedule(c: RadioControl, radioId: string): Promise<void> {
  try {
    await deleteSchedule(scheduleControl(c), radioScheduleId(radioId));
  } catch (err) {
    if (!(err instanceof UnknownSchedule)) throw err;
  }
}

/** Deletes the radio and its schedule (schedule first: it must not start a refresh of a radio that is gone). */
export async function deleteRadioAndSchedule(c: RadioControl, radioId: string): Promise<boolean> {
  if (!(await findRadio(c, radioId))) return false;
  await dropSchedule(c, radioId);
  return deleteRadio(c.pool, c.source, radioId);
}

/** Deletes a person, their radios (by cascade) and their radios' schedules; false when there was no such person. */
export async function deleteUserAndRadios(c: RadioControl, userId: string): Promise<boolean> {
  const user = await getUser(c.pool, c.source, userId);
  if (!user) return false;
  for (const id of await radioIdsOfUser(c.pool, user.id)) await dropSchedule(c, id);
  return deleteUser(c.pool, c.source, user.id);
}
