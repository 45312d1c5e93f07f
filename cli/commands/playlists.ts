// `audiomuse playlists`: the playlists the configured user can see, one JSON line each ({"id","name","trackCount"}).
import { loadConfig } from '../../lib/config.ts';
import { createMediaProvider } from '../../providers/media/index.ts';

export async function run(args: string[]): Promise<number> {
  if (args.length) throw new Error(`unknown argument ${args[0]}; usage: audiomuse playlists`);
  const provider = await createMediaProvider(loadConfig());
  for (const playlist of await provider.listPlaylists()) console.log(JSON.stringify(playlist));
  return 0;
}
