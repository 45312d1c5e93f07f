// `audiomuse radio list | create <name> --recipe JSON [--size N] [--user ID] [--cron C | --every D] | run <id> |
// delete <id>`: radios (client/radios.ts), JSON on stdout. A run waits for the refresh and prints what changed.
import { parseArgs } from 'node:util';
import { InputError } from '../../contracts/input-spec.ts';
import {
  createRadioWithSchedule,
  deleteRadioAndSchedule,
  findRadio,
  radioView,
  runRadio,
  type RadioControl,
} from '../../client/radios.ts';
import { listRadios } from '../../lib/store/radios.ts';
import { cliClient, withDatabase } from '../database.ts';

const USAGE = `usage: audiomuse radio list
       audiomuse radio create <name> --recipe JSON [--size N] [--user ID] [--cron "0 6 * * *" | --every 1d]
         recipes: {"kind":"instantMix","seeds":[ids]} {"kind":"alchemy","items":[{"id","op":"ADD","type":"song"}]}
                  {"kind":"fingerprint","userId":"1"} {"kind":"path","startId":"a","endId":"b"}
       audiomuse radio run <id> | delete <id>`;

export async function run(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (!sub || !['list', 'create', 'run', 'delete'].includes(sub)) throw new Error(USAGE);
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
    },
  });
  if (sub === 'list' ? positionals.length : positionals.length !== 1) throw new Error(USAGE);
  let recipe: unknown;
  if (sub === 'create') {
    if (values.recipe === undefined) throw new Error(`--recipe is required\n${USAGE}`);
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
