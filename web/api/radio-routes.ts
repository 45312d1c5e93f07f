// Radios (the original's /api/radios): saved recipes re-run into the same server playlist, by hand
// (POST /api/radios/:id/run, or the original's POST /api/radios/run) or by their Temporal Schedule. The work
// is client/radios.ts; these check input and map errors.
import {
  createRadioWithSchedule,
  deleteRadioAndSchedule,
  findRadio,
  radioView,
  RadioConflict,
  runRadio,
  updateRadioAndSchedule,
  type RadioControl,
  type RadioEdit,
  type RadioRequest,
} from '../../client/radios.ts';
import { DURATION, UnknownSchedule } from '../../client/schedules.ts';
import { RADIO_MAX_SIZE, RECIPE_KINDS } from '../../contracts/radios.ts';
import { listRadios } from '../../lib/store/radios.ts';
import type { ApiDeps, ApiRoute } from './deps.ts';
import { ApiError } from './errors.ts';
import { withTemporal } from './tasks.ts';

const RADIO_ID = { id: { type: 'string', pattern: '^[0-9]{1,18}$', description: 'Radio id (GET /api/radios)' } };

const CREATE_BODY = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'recipe'],
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 200, description: 'The playlist name on the server, always' },
    recipe: {
      type: 'object',
      required: ['kind'],
      properties: { kind: { type: 'string', enum: RECIPE_KINDS } },
      description:
        'instantMix {seeds: [item ids]} | alchemy {items: [{id, op: ADD|SUBTRACT, type: song|artist|playlist}], temperature?} | fingerprint {userId} | path {startId, endId}',
    },
    size: { type: 'integer', minimum: 1, maximum: RADIO_MAX_SIZE, description: 'Target length (default 50)' },
    userId: { type: 'string', pattern: '^[0-9]{1,18}$', description: 'Whose radio it is: deleting them deletes it' },
    cron: { type: 'string', minLength: 1, maxLength: 200, description: 'Refresh on this cron (UTC)' },
    every: { type: 'string', pattern: DURATION.source, description: 'Or refresh every 12h, 1d…' },
  },
};

/** An edit: the create's fields but user_id, each optional; cron or every null removes the schedule. */
const { userId: _owner, ...EDITABLE } = CREATE_BODY.properties;
const UPDATE_BODY = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  properties: {
    ...EDITABLE,
    cron: { ...EDITABLE.cron, type: ['string', 'null'], description: 'Refresh on this cron (UTC); null: no schedule' },
    every: { ...EDITABLE.every, type: ['string', 'null'], description: 'Or refresh every 12h, 1d…; null: no schedule' },
  },
};

/** What the radio functions need from the app. */
export const radioControl = (deps: ApiDeps): RadioControl => ({
  pool: deps.pool,
  source: deps.config.mediaServerType,
  client: deps.client,
  taskQueue: deps.taskQueue,
  temporalUiUrl: deps.temporalUiUrl,
});

/** Runs `fn` with Temporal (a 503 while it is not connected); an unknown schedule is no radio's. */
const withRadios = <T>(deps: ApiDeps, fn: (c: RadioControl) => Promise<T>): Promise<T> =>
  withTemporal(deps, () => fn(radioControl(deps))).catch((err: unknown) => {
    if (err instanceof UnknownSchedule) throw new ApiError(404, err.message, 'id');
    if (err instanceof RadioConflict) throw new ApiError(409, err.message, err.field);
    throw err;
  });

export function radioRoutes(deps: ApiDeps): ApiRoute[] {
  const c = radioControl(deps);
  const found = async (id: string) => {
    const radio = await findRadio(c, id);
    if (!radio) throw new ApiError(404, `no such radio: ${id}`, 'id');
    return radio;
  };
  // A refresh waits for its result: longer than the usual 5 s deadline of a Temporal call.
  const run = async (id: string) => {
    await found(id);
    if (!deps.client) throw new ApiError(503, 'Temporal is not connected yet; radios cannot run until it is.');
    return { radio_id: id, ...(await runRadio(c, id)) };
  };
  return [
    {
      method: 'get',
      path: '/api/radios',
      operationId: 'listRadios',
      tag: 'radios',
      summary: 'Radios: recipe, size, server playlist id, schedule and recent runs (added / removed / kept)',
      responses: { 200: '{radios}' },
      async handler() {
        const radios = await listRadios(deps.pool, c.source);
        return { radios: await Promise.all(radios.map((r) => radioView(c, r))) };
      },
    },
    {
      method: 'post',
      path: '/api/radios',
      operationId: 'createRadio',
      tag: 'radios',
      summary: 'Save a radio; with cron or every it gets a Temporal Schedule (kind radio) that refreshes it',
      body: CREATE_BODY,
      snakeCase: {},
      responses: { 201: 'Created', 400: 'Bad field (named), or a radio of that name exists' },
      example: {
        body: { name: 'Morning', recipe: { kind: 'instantMix', seeds: ['1a2b'] }, size: 40, cron: '0 6 * * *' },
      },
      async handler(ctx, { body }) {
        const view = await withRadios(deps, (rc) => createRadioWithSchedule(rc, body as unknown as RadioRequest));
        ctx.status = 201;
        return view;
      },
    },
    {
      method: 'get',
      path: '/api/radios/:id',
      operationId: 'getRadio',
      tag: 'radios',
      params: RADIO_ID,
      summary: 'One radio with its schedule and recent runs',
      responses: { 200: 'The radio', 404: 'No such radio' },
      async handler(_ctx, { params }) {
        return radioView(c, await found(params.id));
      },
    },
    {
      method: 'put',
      path: '/api/radios/:id',
      operationId: 'updateRadio',
      tag: 'radios',
      params: RADIO_ID,
      summary:
        'Edit a radio (name, recipe, size, cron or every; null removes its schedule). Its server playlist keeps its id; the next refresh renames it',
      body: UPDATE_BODY,
      snakeCase: {},
      responses: {
        200: 'The radio',
        400: 'Bad field (named)',
        404: 'No such radio',
        409: 'A radio of that name exists',
      },
      example: { body: { size: 30, cron: '0 7 * * 1-5' } },
      async handler(_ctx, { params, body }) {
        await found(params.id);
        const view = await withRadios(deps, (rc) => updateRadioAndSchedule(rc, params.id, body as RadioEdit));
        if (!view) throw new ApiError(404, `no such radio: ${params.id}`, 'id');
        return view;
      },
    },
    {
      method: 'delete',
      path: '/api/radios/:id',
      operationId: 'deleteRadio',
      tag: 'radios',
      params: RADIO_ID,
      summary: 'Delete a radio and its schedule; its playlist on the server stays',
      responses: { 200: '{removed}', 404: 'No such radio' },
      async handler(_ctx, { params }) {
        await found(params.id);
        await withRadios(deps, (rc) => deleteRadioAndSchedule(rc, params.id));
        return { removed: params.id };
      },
    },
    {
      method: 'post',
      path: '/api/radios/:id/run',
      operationId: 'runRadio',
      tag: 'radios',
      params: RADIO_ID,
      summary: 'Refresh a radio now and wait: {status published|skipped, playlistId, added, removed, kept, reason?}',
      responses: { 200: 'The run', 404: 'No such radio' },
      async handler(_ctx, { params }) {
        return run(params.id);
      },
    },
    {
      method: 'post',
      path: '/api/radios/run',
      operationId: 'runRadios',
      tag: 'radios',
      summary: "The original's shape: refresh one radio (radio_id) or every radio of this source, one after another",
      body: {
        type: 'object',
        additionalProperties: false,
        properties: { radioId: { type: 'string', pattern: '^[0-9]{1,18}$' } },
      },
      snakeCase: {},
      responses: { 200: '{runs}', 404: 'No such radio' },
      async handler(_ctx, { body }) {
        const ids = body.radioId ? [body.radioId as string] : (await listRadios(deps.pool, c.source)).map((r) => r.id);
        const runs = [];
        for (const id of ids) runs.push(await run(id));
        return { runs };
      },
    },
  ];
}
