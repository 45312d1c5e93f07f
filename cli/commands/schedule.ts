// `audiomuse schedule list | create <name> --kind analysis|clustering (--cron "0 3 * * *" | --every 1d)
// [--input JSON] [--catchup 1h] [--note TEXT] [--paused] | pause <id> [--note TEXT] | resume <id> | trigger <id> |
// delete <id>`: our Temporal Schedules (client/schedules.ts), JSON on stdout.
import { parseArgs } from 'node:util';
import { InputError } from '../../contracts/input-spec.ts';
import { loadConfig } from '../../lib/config.ts';
import {
  checkScheduleRequest,
  createSchedule,
  deleteSchedule,
  listSchedules,
  pauseSchedule,
  resumeSchedule,
  SCHEDULE_KINDS,
  triggerSchedule,
  UnknownSchedule,
  type ScheduleControl,
  type ScheduleKind,
  type ScheduleRequest,
} from '../../client/schedules.ts';
import { cliClient } from '../database.ts';

const USAGE = `usage: audiomuse schedule list
       audiomuse schedule create <name> --kind analysis|clustering (--cron "0 3 * * *" | --every 1d) [--input JSON] [--catchup 1h] [--note TEXT] [--paused]
       audiomuse schedule pause <id> [--note TEXT] | resume <id> | trigger <id> | delete <id>`;

/** The command-line flag each request field comes from, for errors that name the flag. */
const FLAG: Record<string, string> = {
  kind: '--kind',
  name: '<name>',
  cron: '--cron',
  every: '--every',
  catchup: '--catchup',
  note: '--note',
};

function parseCreate(args: string[]): ScheduleRequest {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    strict: true,
    options: {
      kind: { type: 'string' },
      cron: { type: 'string' },
      every: { type: 'string' },
      input: { type: 'string' },
      catchup: { type: 'string' },
      note: { type: 'string' },
      paused: { type: 'boolean' },
    },
  });
  if (positionals.length !== 1) throw new Error(`create takes one name; ${USAGE}`);
  if (!values.kind) throw new Error(`--kind is required: ${SCHEDULE_KINDS.join(', ')}`);
  if (!SCHEDULE_KINDS.includes(values.kind as ScheduleKind))
    throw new Error(`--kind must be ${SCHEDULE_KINDS.join(', ')}; got ${JSON.stringify(values.kind)}`);
  if (!values.cron === !values.every) throw new Error('give --cron or --every (one of them)');
  let input: Record<string, unknown> | undefined;
  if (values.input !== undefined) {
    try {
      input = JSON.parse(values.input) as Record<string, unknown>;
    } catch (err) {
      throw new Error(`--input is not JSON: ${(err as Error).message}`);
    }
  }
  return {
    name: positionals[0],
    kind: values.kind as ScheduleKind,
    ...(values.cron !== undefined && { cron: values.cron }),
    ...(values.every !== undefined && { every: values.every }),
    ...(input !== undefined && { input }),
    ...(values.catchup !== undefined && { catchup: values.catchup }),
    ...(values.note !== undefined && { note: values.note }),
    ...(values.paused && { paused: true }),
  };
}

/** An InputError as one line naming the flag (`--cron: expected …`). */
function flagError(err: InputError): Error {
  const flag = FLAG[err.field] ?? (err.field.startsWith('input') ? `--input ${err.field.slice(6)}` : err.field);
  return new Error(`${flag}: ${err.message.slice(err.field.length + 2)}`);
}

function oneId(rest: string[], sub: string): string {
  if (rest.length !== 1) throw new Error(`${sub} takes one schedule id (see \`audiomuse schedule list\`); ${USAGE}`);
  return rest[0];
}

/** The embedded dev server's Web UI, when Temporal is ours (no TEMPORAL_ADDRESS). */
function temporalUiUrl(config: ReturnType<typeof loadConfig>): string | undefined {
  return config.temporal.address ? undefined : `http://127.0.0.1:${config.temporal.uiPort}`;
}

export async function run(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (!sub || !['list', 'create', 'pause', 'resume', 'trigger', 'delete'].includes(sub)) throw new Error(USAGE);
  // Flags are checked before Temporal is asked anything.
  let note: string | undefined;
  let id: string | undefined;
  const request = sub === 'create' ? parseCreate(rest) : undefined;
  try {
    if (request) checkScheduleRequest(request);
  } catch (err) {
    throw err instanceof InputError ? flagError(err) : err;
  }
  if (sub === 'pause') {
    const { values, positionals } = parseArgs({
      args: rest,
      allowPositionals: true,
      options: { note: { type: 'string' } },
    });
    note = values.note;
    id = oneId(positionals, sub);
  } else if (sub === 'list') {
    if (rest.length) throw new Error(`unknown argument ${rest[0]}; ${USAGE}`);
  } else if (sub !== 'create') id = oneId(rest, sub);

  const config = loadConfig();
  const client = await cliClient(config);
  const c: ScheduleControl = { client, taskQueue: config.temporal.taskQueue, temporalUiUrl: temporalUiUrl(config) };
  try {
    if (sub === 'list') {
      const all = await listSchedules(c);
      console.log(JSON.stringify({ schedules: all }));
      for (const s of all) {
        const last = s.lastRun ? `last ${s.lastRun.status} (${s.lastRun.workflowId})` : 'no run yet';
        console.error(
          `${s.id}: ${s.when}${s.paused ? ', PAUSED' : ''}, next ${s.nextRuns[0] ?? '—'}, ${last}${s.note ? ` — ${s.note}` : ''}`,
        );
      }
      return 0;
    }
    if (request) {
      console.log(JSON.stringify(await createSchedule(c, request)));
      return 0;
    }
    const action = { pause: pauseSchedule, resume: resumeSchedule, trigger: triggerSchedule, delete: deleteSchedule }[
      sub as 'pause' | 'resume' | 'trigger' | 'delete'
    ];
    await (sub === 'pause' && note !== undefined ? pauseSchedule(c, id!, note) : action(c, id!));
    console.log(JSON.stringify({ [sub === 'delete' ? 'deleted' : sub === 'trigger' ? 'triggered' : `${sub}d`]: id }));
    return 0;
  } catch (err) {
    if (err instanceof InputError) throw flagError(err);
    if (err instanceof UnknownSchedule) {
      console.error(`audiomuse schedule: ${err.message} (see \`audiomuse schedule list\`)`);
      return 1;
    }
    throw err;
  } finally {
    await client.connection.close();
  }
}
