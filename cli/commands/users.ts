// `audiomuse users`: the people whose listening history feeds fingerprints and radios. JSON lines on stdout;
// a credential is never printed (only whether one is stored).
import fs from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { loadConfig } from '../../lib/config.ts';
import { createUser, getUser, listUsers } from '../../lib/store/users.ts';
import { radioIdsOfUser } from '../../lib/store/radios.ts';
import { deleteUserAndRadios } from '../../client/radios.ts';
import { listeningHistory } from '../../lib/store/listening-history.ts';
import { createMediaProvider } from '../../providers/media/index.ts';
import { syncUserHistory } from '../../providers/media/history-sync.ts';
import { importScrobbleFile } from '../../queries/listening-history.ts';
import { cliClient, withDatabase } from '../database.ts';

const USAGE = [
  'usage: audiomuse users list',
  '       audiomuse users add --from-server                 (the media server’s users, to pick from)',
  '       audiomuse users add <name> [--from-server] [--server-id ID] [--login USER] [--password-env VAR | --api-key-env VAR]',
  '       audiomuse users remove <id | name>',
  '       audiomuse users sync <id | name>                  (read their history from the media server)',
  '       audiomuse users history <id | name> [--limit N]',
  '       audiomuse users import <id | name> <file>         (a ListenBrainz export or a Last.fm scrobble CSV)',
].join('\n');

export async function run(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: args.slice(1),
      allowPositionals: true,
      options: {
        'from-server': { type: 'boolean', default: false },
        'server-id': { type: 'string' },
        login: { type: 'string' },
        'password-env': { type: 'string' },
        'api-key-env': { type: 'string' },
        limit: { type: 'string' },
      },
    });
  } catch (err) {
    throw new Error(`${(err as Error).message}\n${USAGE}`);
  }
  const { values, positionals } = parsed;
  const sub = args[0];
  const want = (n: number) => {
    if (positionals.length !== n) throw new Error(USAGE);
  };
  if (!['list', 'add', 'remove', 'sync', 'history', 'import'].includes(sub)) throw new Error(USAGE);
  if (sub === 'add' && values['from-server'] && positionals.length === 0) {
    const media = await createMediaProvider(loadConfig());
    if (!media.listUsers) throw new Error(`a ${media.type} source has no users; add a person by name`);
    for (const u of await media.listUsers()) console.log(JSON.stringify(u));
    return 0;
  }
  return withDatabase(async (pool, config) => {
    const source = config.mediaServerType;
    const find = async (idOrName: string) => {
      const user = await getUser(pool, source, idOrName);
      if (!user) throw new Error(`no ${source} user ${JSON.stringify(idOrName)} (see audiomuse users list)`);
      return user;
    };
    switch (sub) {
      case 'list':
        want(0);
        for (const u of await listUsers(pool, source)) console.log(JSON.stringify(u));
        return 0;
      case 'add': {
        want(1);
        const name = positionals[0];
        let serverUserId = values['server-id'];
        if (values['from-server']) {
          const media = await createMediaProvider(config);
          const match = (await media.listUsers?.())?.find((u) => u.name.toLowerCase() === name.toLowerCase());
          if (!match) throw new Error(`the media server has no user named ${JSON.stringify(name)}`);
          serverUserId = match.id;
        }
        const secret = (flag: 'password-env' | 'api-key-env') => {
          const variable = values[flag];
          if (!variable) return undefined;
          const value = process.env[variable];
          if (!value) throw new Error(`--${flag} ${variable}: that environment variable is not set`);
          return value;
        };
        const password = secret('password-env');
        const apiKey = secret('api-key-env');
        const credentials = password || apiKey ? { user: values.login ?? name, password, apiKey } : undefined;
        const user = await createUser(
          pool,
          { source, name, serverUserId: serverUserId ?? (source === 'navidrome' ? name : undefined), credentials },
          config.userCredentialsKey,
        );
        if (!user) throw new Error(`${source} already has a user named ${JSON.stringify(name)}`);
        console.log(JSON.stringify(user));
        return 0;
      }
      case 'remove': {
        want(1);
        const user = await find(positionals[0]);
        // Their radios' schedules live in Temporal: only then is it needed.
        const client = (await radioIdsOfUser(pool, user.id)).length ? await cliClient(config) : undefined;
        try {
          await deleteUserAndRadios({ pool, source, client, taskQueue: config.temporal.taskQueue }, user.id);
        } finally {
          await client?.connection.close();
        }
        console.log(JSON.stringify({ removed: user.id, name: user.name }));
        return 0;
      }
      case 'sync': {
        want(1);
        const user = await find(positionals[0]);
        const result = await syncUserHistory(pool, await createMediaProvider(config), user, config.userCredentialsKey);
        console.log(JSON.stringify(result));
        return 0;
      }
      case 'history': {
        want(1);
        const user = await find(positionals[0]);
        const limit = values.limit ? Number(values.limit) : undefined;
        if (limit !== undefined && !(Number.isInteger(limit) && limit > 0))
          throw new Error(`--limit needs a whole number\n${USAGE}`);
        for (const row of await listeningHistory(pool, user.id, limit)) console.log(JSON.stringify(row));
        return 0;
      }
      case 'import': {
        want(2);
        const user = await find(positionals[0]);
        const report = await importScrobbleFile(pool, source, user.id, await fs.readFile(positionals[1], 'utf8'));
        console.log(JSON.stringify(report));
        console.error(
          `${report.matchedListens} of ${report.listens} listens matched ${report.matchedTracks} tracks; ` +
            `${report.unmatchedSongs} songs not found in the library`,
        );
        return 0;
      }
      default:
        throw new Error(USAGE);
    }
  });
}
