// `audiomuse tracks <albumId>`: the album's tracks in disc/track order, one JSON line each.
import { loadConfig } from '../../lib/config.ts';
import { createMediaProvider } from '../../providers/media/index.ts';

export async function run(args: string[]): Promise<number> {
  if (args.length !== 1 || args[0].startsWith('-'))
    throw new Error('usage: audiomuse tracks <albumId>   (ids come from `audiomuse albums`)');
  const provider = await createMediaProvider(loadConfig());
  for (const track of await provider.listAlbumTracks(args[0])) console.log(JSON.stringify(track));
  return 0;
}
