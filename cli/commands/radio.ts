// `audiomuse radio list | create <name> --recipe JSON [--size N] [--user ID] [--cron C | --every D] |
// update <id|name> [--name N] [--recipe JSON] [--size N] [--cron C | --every D | --no-cron] | run <id> | delete <id>`:
// radios (client/radios.ts), JSON on stdout. A run waits for the refresh and prints what changed.
import { parseArgs } from 'node:util';
import { InputError } from '../../contracts/input-spec.ts';
import {
  createRadioWithSchedule,
  deleteRadioAndSchedule,
  findRadio,
  findRadioNamed,
  radioView,
  runRadio,
  updateRadioAndSchedule,
  type RadioControl,
} from '../../client/radios.ts';
import { listRadios } from '../../lib/store/radios.ts';
import { cliClient, withDatabase } from '../database.ts';

const USAGE = `usage: audiomuse radio list
       audiomuse radio create <name> --recipe JSON [--size N] [--user ID] [--cron "0 6 * * *" | --every 1d]
         recipes: {"kind":"instantMix","seeds":[ids]} {"kind":"alchemy","items":[{"id","op":"ADD","type":"song"}]}
                  {"kind":"fingerprint","userId":"1"} {"kind":"path","startId":"a","endId":"b"}
       audiomuse radio update <id|name> [--name N] [--recipe JSON] [--size N] [--cron C | --every D | --no-cron]
         (the server playlist keeps its id; the next run renames it)
       audiomuse radio run <id> | delete <id>`;

export async function run(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (!sub || !['list', 'create', 'update', 'run', 'delete'].includes(sub)) throw new Error(USAGE);
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    strict: true,
    options: {
      recipe: { type: 'string' },
      size: { type: 'string' },
      user: { type: 'string' },
      cron: { type: 'string' },
      every: { type: 'string' },
      name: { type: 'string' },
      'no-cron': { type: 'boolean' },
    },
  });
  if (sub === 'list' ? positionals.length : positionals.length !== 1) throw new Error(USAGE);
  let recipe: unknown;
  const only = { user: 'create', name: 'update', 'no-cron': 'update' } as const;
  for (const [flag, command] of Object.entries(only))
    if (values[flag as keyof typeof only] !== undefined && sub !== command)
      throw new Error(`--${flag} is for \`radio ${command}\`\n${USAGE}`);
  if (sub === 'create' && values.recipe === undefined) throw new Error(`--recipe is required\n${USAGE}`);
  if (values['no-cron'] && (values.cron !== undefined || values.every !== undefined))
    throw new Error(`--no-cron: give it alone, without --cron or --every\n${USAGE}`);
  if (values.recipe !== undefined) {
    try {
      recipe = JSON.parse(values.recipe);
    } catch (err) {
      throw new Error(`--recipe is not JSON: ${(err as Error).message}`);
    }
  }
  return withDatabase(async (pool, config) => {
    const client = sub === 'list' ? undefined : await cliClient(config);
    const c: RadioControl = { pool, source: config.mediaServerType, client, taskQueue: config.temporal.taskQueue };
    try {
      if (sub === 'list') {
        const radios = await listRadios(pool, c.source);
        console.log(JSON.stringify({ radios: await Promise.all(radios.map((r) => radioView(c, r))) }));
        return 0;
      }
      const id = positionals[0];
      if (sub === 'create') {
        const view = await createRadioWithSchedule(c, {
          name: id,
          recipe,
          size: values.size === undefined ? undefined : Number(values.size),
          userId: values.user,
          cron: values.cron,
          every: values.every,
        });
        console.log(JSON.stringify(view));
        return 0;
      }
      if (sub === 'update') {
        const radio = (await findRadio(c, id)) ?? (await findRadioNamed(c, id));
        if (!radio) throw new Error(`no such radio: ${id} (see \`audiomuse radio list\`)`);
        const view = await updateRadioAndSchedule(c, radio.id, {
          name: values.name,
          recipe,
          size: values.size === undefined ? undefined : Number(values.size),
          cron: values['no-cron'] ? null : values.cron,
          every: values.every,
        });
        console.log(JSON.stringify(view));
        return 0;
      }
      if (!(await findRadio(c, id))) throw new Error(`no such radio: ${id} (see \`audiomuse radio list\`)`);
      if (sub === 'run') console.log(JSON.stringify(await runRadio(c, id)));
      else console.log(JSON.stringify({ deleted: (await deleteRadioAndSchedule(c, id)) && id }));
      return 0;
    } catch (err) {
      if (err instanceof InputError) throw new Error(`${err.field === 'size' ? '--size' : err.field}: ${err.message}`);
      throw err;
    } finally {
      await client?.connection.close();
    }
  });
}
