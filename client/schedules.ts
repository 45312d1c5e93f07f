// Our Temporal Schedules ("analyse new albums every night", "re-cluster every Sunday"): create, list, pause,
// resume, trigger and delete them for the CLI and the web API. A schedule starts the same workflow type under the
// same workflow id as `startRun` (Temporal appends the due time: `analyze-library-2026-09-01T03:00:00Z`), so a
// scheduled run and a manual run exclude each other through the runs store's one-running-row guard; see
// docs/schedules.md.
import {
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  ScheduleOverlapPolicy,
  WorkflowNotFoundError,
  type Client,
  type ScheduleDescription,
} from '@temporalio/client';
import { ANALYZE_LIBRARY_INPUT } from '../contracts/analysis.ts';
import { CLUSTER_LIBRARY_INPUT } from '../contracts/clustering.ts';
import { checkInput, InputError, type InputSpec } from '../contracts/input-spec.ts';
import { ANALYSIS, CLUSTERING } from './run-control.ts';

export const SCHEDULE_KINDS = ['analysis', 'clustering', 'radio'] as const;
export type ScheduleKind = (typeof SCHEDULE_KINDS)[number];

/** A radio's refresh: one workflow id per radio, so its scheduled and manual refreshes exclude each other. */
export const RADIO_RUN = { workflowType: 'refreshRadio', workflowId: (radioId: string) => `refresh-radio-${radioId}` };
const RUNS = { analysis: ANALYSIS, clustering: CLUSTERING };
const INPUTS: Record<Exclude<ScheduleKind, 'radio'>, InputSpec> = {
  analysis: ANALYZE_LIBRARY_INPUT,
  clustering: CLUSTER_LIBRARY_INPUT,
};

/** Every schedule id we make starts with this; the list shows only ours. */
export const SCHEDULE_ID_PREFIX = 'audiomuse-';
export const scheduleId = (kind: ScheduleKind, name: string): string => `${SCHEDULE_ID_PREFIX}${kind}-${name}`;
export const SCHEDULE_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;
/** A duration as people write it: 90s, 30m, 1h, 7d. */
export const DURATION = /^([1-9][0-9]{0,5})([smhd])$/;
export const DEFAULT_CATCHUP = '1h';
/** Cron: 5–7 fields, or a shorthand (@daily, @every 1h), optionally after CRON_TZ=/TZ=. */
const CRON = /^((CRON_)?TZ=\S+\s+)?(@\w+(\s+\S+)?|(\S+\s+){4,6}\S+)$/;

export interface ScheduleRequest {
  name: string;
  kind: ScheduleKind;
  /** A cron expression (UTC unless it starts with CRON_TZ=…); or `every`. */
  cron?: string;
  /** An interval (`1d`, `12h`); or `cron`. */
  every?: string;
  /** The workflow input (analyzeLibrary's or clusterLibrary's fields). */
  input?: Record<string, unknown>;
  /** How late a missed due time may still be run after an outage (default 1h); older ones are dropped. */
  catchup?: string;
  note?: string;
  paused?: boolean;
}

export type RunState = 'running' | 'completed' | 'failed' | 'cancelled' | 'terminated' | 'timed_out' | 'unknown';

export interface ScheduledRun {
  workflowId: string;
  scheduledAt: string;
  startedAt: string;
  status: RunState;
  temporalUrl: string | null;
}

export interface ScheduleView {
  id: string;
  name: string;
  kind: ScheduleKind;
  /** The cron expression or `every <interval>` it was created with. */
  when: string;
  note: string;
  input: Record<string, unknown>;
  paused: boolean;
  /** Why it is paused (the pause note, or Temporal's own note). */
  pauseNote: string | null;
  catchupWindowMs: number;
  overlap: 'skip';
  nextRuns: string[];
  /** The latest run it started (scheduled or triggered), or null before the first. */
  lastRun: ScheduledRun | null;
  recentRuns: ScheduledRun[];
  actionsTaken: number;
  skippedOverlap: number;
  missedCatchupWindow: number;
  temporalUrl: string | null;
}

export interface ScheduleControl {
  client: Client;
  taskQueue: string;
  /** Temporal Web's base URL, for links; none when unknown. */
  temporalUiUrl?: string;
}

/** What Temporal's memo keeps for us: the spec as written and the note (the state note is the pause reason). */
interface ScheduleMemo {
  kind: ScheduleKind;
  name: string;
  when: string;
  note: string;
}

export function durationMs(field: string, text: string): number {
  const m = DURATION.exec(text);
  if (!m) throw new InputError(field, `expected a duration such as 90s, 30m, 1h or 7d, got ${JSON.stringify(text)}`);
  return Number(m[1]) * { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 's' | 'm' | 'h' | 'd'];
}

/** Checks a request; throws InputError naming the field. */
export function checkScheduleRequest(r: ScheduleRequest): void {
  if (!SCHEDULE_KINDS.includes(r.kind))
    throw new InputError('kind', `expected analysis, clustering or radio, got ${r.kind}`);
  if (!SCHEDULE_NAME.test(r.name))
    throw new InputError('name', 'expected lower-case letters, digits and dashes (at most 63), e.g. nightly');
  if ((r.cron === undefined) === (r.every === undefined)) throw new InputError('cron', 'give either cron or every');
  if (r.cron !== undefined && !CRON.test(r.cron.trim()))
    throw new InputError('cron', `expected 5 to 7 fields such as "0 3 * * *" or @daily, got ${JSON.stringify(r.cron)}`);
  if (r.every !== undefined) durationMs('every', r.every);
  if (r.catchup !== undefined) durationMs('catchup', r.catchup);
  if (r.kind !== 'radio') checkInput(INPUTS[r.kind], r.input ?? {}, 'input');
  else if (typeof r.input?.radioId !== 'string' || !/^[0-9]+$/.test(r.input.radioId))
    throw new InputError('input.radioId', 'expected the id of a radio');
}

/** Creates the schedule; its overlap policy is SKIP (one run of a kind at a time) and failures do not pause it. */
export async function createSchedule(c: ScheduleControl, r: ScheduleRequest): Promise<ScheduleView> {
  checkScheduleRequest(r);
  const run =
    r.kind === 'radio'
      ? { workflowType: RADIO_RUN.workflowType, workflowId: RADIO_RUN.workflowId(r.input!.radioId as string) }
      : RUNS[r.kind];
  const id = scheduleId(r.kind, r.name);
  const when = r.cron !== undefined ? r.cron.trim() : `every ${r.every}`;
  const memo: ScheduleMemo = { kind: r.kind, name: r.name, when, note: r.note ?? '' };
  try {
    await c.client.schedule.create({
      scheduleId: id,
      spec: r.cron !== undefined ? { cronExpressions: [r.cron.trim()] } : { intervals: [{ every: r.every! }] },
      action: {
        type: 'startWorkflow',
        workflowType: run.workflowType,
        workflowId: run.workflowId,
        taskQueue: c.taskQueue,
        args: [r.input ?? {}],
      },
      policies: {
        overlap: ScheduleOverlapPolicy.SKIP,
        catchupWindow: durationMs('catchup', r.catchup ?? DEFAULT_CATCHUP),
        pauseOnFailure: false,
      },
      memo: memo as unknown as Record<string, unknown>,
      state: { paused: r.paused ?? false, ...(r.note && { note: r.note }) },
    });
  } catch (err) {
    if (err instanceof ScheduleAlreadyRunning) throw new InputError('name', `schedule ${id} already exists`);
    // Temporal's own check of the spec (a cron field out of range): the SDK rethrows it as a TypeError.
    if (err instanceof TypeError) throw new InputError(r.cron !== undefined ? 'cron' : 'every', err.message);
    throw err;
  }
  return describeSchedule(c, id);
}

export class UnknownSchedule extends Error {
  override name = 'UnknownSchedule';
  constructor(readonly id: string) {
    super(`no such schedule: ${id}`);
  }
}

async function known<T>(id: string, fn: () => Promise<T>): Promise<T> {
  if (!id.startsWith(SCHEDULE_ID_PREFIX)) throw new UnknownSchedule(id);
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) throw new UnknownSchedule(id);
    throw err;
  }
}

export async function describeSchedule(c: ScheduleControl, id: string): Promise<ScheduleView> {
  const d = await known(id, () => c.client.schedule.getHandle(id).describe());
  return view(c, d);
}

/** Our schedules (ids with our prefix), by id. Temporal's list is eventually consistent: a new one shows soon after. */
export async function listSchedules(c: ScheduleControl): Promise<ScheduleView[]> {
  const ids: string[] = [];
  for await (const s of c.client.schedule.list())
    if (s.scheduleId.startsWith(SCHEDULE_ID_PREFIX)) ids.push(s.scheduleId);
  const views = await Promise.all(
    ids.map((id) =>
      describeSchedule(c, id).catch((err: unknown) => {
        if (err instanceof UnknownSchedule) return undefined; // deleted since the list
        throw err;
      }),
    ),
  );
  return views.filter((v): v is ScheduleView => !!v).sort((a, b) => a.id.localeCompare(b.id));
}

export const pauseSchedule = (c: ScheduleControl, id: string, note = 'paused by audiomuse'): Promise<void> =>
  known(id, () => c.client.schedule.getHandle(id).pause(note));

export const resumeSchedule = (c: ScheduleControl, id: string, note = 'resumed by audiomuse'): Promise<void> =>
  known(id, () => c.client.schedule.getHandle(id).unpause(note));

/**
 * Runs it now, skipped while its previous run is still going. The policy is passed: the SDK's trigger()
 * defaults to ALLOW_ALL, not to the schedule's own policy.
 */
export const triggerSchedule = (c: ScheduleControl, id: string): Promise<void> =>
  known(id, () => c.client.schedule.getHandle(id).trigger(ScheduleOverlapPolicy.SKIP));

/** Deletes the schedule; a run it started goes on. */
export const deleteSchedule = (c: ScheduleControl, id: string): Promise<void> =>
  known(id, () => c.client.schedule.getHandle(id).delete());

function uiLink(c: ScheduleControl, what: 'schedules' | 'workflows', id: string): string | null {
  if (!c.temporalUiUrl) return null;
  const ns = encodeURIComponent(c.client.options.namespace);
  return `${c.temporalUiUrl}/namespaces/${ns}/${what}/${encodeURIComponent(id)}`;
}

/** The run's execution status, lower-case (`failed`); `unknown` once its history is gone. */
async function runState(c: ScheduleControl, workflowId: string, firstRunId: string): Promise<RunState> {
  try {
    const d = await c.client.workflow.getHandle(workflowId, undefined, { firstExecutionRunId: firstRunId }).describe();
    return d.status.name === 'CONTINUED_AS_NEW' ? 'running' : (d.status.name.toLowerCase() as RunState);
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return 'unknown';
    throw err;
  }
}

/** Runs listed with each schedule (Temporal keeps the latest 10). */
const RECENT_RUNS = 5;

async function view(c: ScheduleControl, d: ScheduleDescription): Promise<ScheduleView> {
  const memo = (d.memo ?? {}) as Partial<ScheduleMemo>;
  const kind =
    memo.kind ??
    (d.action.workflowType === CLUSTERING.workflowType
      ? 'clustering'
      : d.action.workflowType === RADIO_RUN.workflowType
        ? 'radio'
        : 'analysis');
  const recent = await Promise.all(
    d.info.recentActions.slice(-RECENT_RUNS).map(async (a): Promise<ScheduledRun> => {
      const wf = a.action.workflow;
      return {
        workflowId: wf.workflowId,
        scheduledAt: a.scheduledAt.toISOString(),
        startedAt: a.takenAt.toISOString(),
        status: await runState(c, wf.workflowId, wf.firstExecutionRunId),
        temporalUrl: uiLink(c, 'workflows', wf.workflowId),
      };
    }),
  );
  recent.reverse(); // newest first
  const note = memo.note ?? '';
  return {
    id: d.scheduleId,
    name: memo.name ?? d.scheduleId,
    kind,
    when: memo.when ?? '',
    note,
    input: (d.action.type === 'startWorkflow' ? (d.action.args?.[0] ?? {}) : {}) as Record<string, unknown>,
    paused: d.state.paused,
    pauseNote: d.state.paused ? (d.state.note ?? null) : null,
    catchupWindowMs: d.policies.catchupWindow,
    overlap: 'skip',
    nextRuns: d.info.nextActionTimes.slice(0, 3).map((t) => t.toISOString()),
    lastRun: recent[0] ?? null,
    recentRuns: recent,
    actionsTaken: d.info.numActionsTaken,
    skippedOverlap: d.info.numActionsSkippedOverlap,
    missedCatchupWindow: d.info.numActionsMissedCatchupWindow,
    temporalUrl: uiLink(c, 'schedules', d.scheduleId),
  };
}
