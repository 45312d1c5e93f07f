// Routes of our Temporal Schedules (nightly analysis, weekly clustering): list with next and last runs, create,
// pause, resume, trigger, delete. The work is client/schedules.ts; these only check input and map errors.
import {
  createSchedule,
  deleteSchedule,
  DURATION,
  listSchedules,
  pauseSchedule,
  resumeSchedule,
  SCHEDULE_ID_PREFIX,
  SCHEDULE_KINDS,
  SCHEDULE_NAME,
  triggerSchedule,
  UnknownSchedule,
  type ScheduleControl,
  type ScheduleRequest,
} from '../../client/schedules.ts';
import type { Client } from '@temporalio/client';
import type { ApiDeps, ApiRoute } from './deps.ts';
import { ApiError } from './errors.ts';
import { withTemporal } from './tasks.ts';

const ID = {
  type: 'string',
  pattern: `^${SCHEDULE_ID_PREFIX}[a-z0-9-]{1,80}$`,
  description: 'Schedule id (audiomuse-<kind>-<name>, from GET /api/schedules)',
};
const DURATION_SCHEMA = { type: 'string', pattern: DURATION.source };

const CREATE_BODY = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'kind'],
  properties: {
    name: { type: 'string', pattern: SCHEDULE_NAME.source, description: 'Becomes the id audiomuse-<kind>-<name>' },
    kind: { type: 'string', enum: SCHEDULE_KINDS },
    cron: { type: 'string', minLength: 1, maxLength: 200, description: 'Cron expression, UTC unless CRON_TZ=… leads' },
    every: { ...DURATION_SCHEMA, description: 'Interval instead of cron: 90s, 30m, 12h, 7d' },
    input: { type: 'object', description: "The run's input: analysis or clustering start fields; a radio's {radioId}" },
    catchup: { ...DURATION_SCHEMA, description: 'How late a due time missed in an outage may still run (default 1h)' },
    note: { type: 'string', maxLength: 500 },
    paused: { type: 'boolean' },
  },
};

async function withSchedules<T>(deps: ApiDeps, fn: (c: ScheduleControl) => Promise<T>): Promise<T> {
  return withTemporal(deps, async (client: Client) => {
    try {
      return await fn({ client, taskQueue: deps.taskQueue, temporalUiUrl: deps.temporalUiUrl });
    } catch (err) {
      if (err instanceof UnknownSchedule) throw new ApiError(404, err.message, 'id');
      throw err;
    }
  });
}

export function scheduleRoutes(deps: ApiDeps): ApiRoute[] {
  const act = (
    verb: 'pause' | 'resume' | 'trigger',
    fn: (c: ScheduleControl, id: string) => Promise<void>,
    summary: string,
  ): ApiRoute => ({
    method: 'post',
    path: `/api/schedules/:id/${verb}`,
    operationId: `${verb}Schedule`,
    tag: 'schedules',
    params: { id: ID },
    summary,
    responses: { 200: 'Done', 404: 'Unknown schedule' },
    async handler(_ctx, { params }) {
      return withSchedules(deps, async (c) => {
        await fn(c, params.id);
        return { id: params.id, done: verb };
      });
    },
  });
  return [
    {
      method: 'get',
      path: '/api/schedules',
      operationId: 'listSchedules',
      tag: 'schedules',
      summary:
        'Our Temporal Schedules: when they run, next due times, the last runs (workflow id, status, Temporal Web link), paused or not',
      responses: { 200: 'The schedules' },
      async handler() {
        return withSchedules(deps, async (c) => ({ schedules: await listSchedules(c) }));
      },
    },
    {
      method: 'post',
      path: '/api/schedules',
      operationId: 'createSchedule',
      tag: 'schedules',
      summary:
        'Create a schedule that starts an analysis or a clustering (overlap policy skip: never two at once; failures do not pause it)',
      body: CREATE_BODY,
      responses: { 201: 'Created', 400: 'Bad field, or a schedule of that name exists' },
      example: {
        body: { name: 'nightly', kind: 'analysis', cron: '0 3 * * *', input: { numRecentAlbums: 200 } },
      },
      async handler(ctx, { body }) {
        const view = await withSchedules(deps, (c) => createSchedule(c, body as unknown as ScheduleRequest));
        ctx.status = 201;
        return view;
      },
    },
    act(
      'pause',
      pauseSchedule,
      'Pause a schedule: no run starts until it is resumed (due times in between are dropped)',
    ),
    act('resume', resumeSchedule, 'Resume a paused schedule'),
    act('trigger', triggerSchedule, 'Start its run now; skipped while its previous run still runs'),
    {
      method: 'delete',
      path: '/api/schedules/:id',
      operationId: 'deleteSchedule',
      tag: 'schedules',
      params: { id: ID },
      summary: 'Delete a schedule; a run it started goes on',
      responses: { 200: 'Deleted', 404: 'Unknown schedule' },
      async handler(_ctx, { params }) {
        return withSchedules(deps, async (c) => {
          await deleteSchedule(c, params.id);
          return { id: params.id, deleted: true };
        });
      },
    },
  ];
}
