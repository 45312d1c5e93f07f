// `audiomuse albums [--limit N]`: recent albums of the configured media server, newest first, one JSON line
// each ({"id","name","artist","year","dateCreated"}). --limit 0 lists the whole library.
import { loadConfig } from '../../lib/config.ts';
import { createMediaProvider } from '../../providers/media/index.ts';

const USAGE = 'usage: audiomuse albums [--limit N]   (N = 0 lists every album; default 50)';

export async function run(args: string[]): Promise<number> {
  let limit = 50;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const value = a === '--limit' ? args[++i] : a.startsWith('--limit=') ? a.slice('--limit='.length) : undefined;
    if (value === undefined || !/^\d+$/.test(value))
      throw new Error(
        `${a === '--limit' || a.startsWith('--limit=') ? `--limit needs a whole number, got ${JSON.stringify(value ?? '')}` : `unknown argument ${a}`}; ${USAGE}`,
      );
    limit = Number(value);
  }
  const provider = await createMediaProvider(loadConfig());
  const pageSize = 500;
  let printed = 0;
  for (;;) {
    const want = limit === 0 ? pageSize : Math.min(pageSize, limit - printed);
    if (want <= 0) break;
    const page = await provider.listRecentAlbums({ startIndex: printed, limit: want });
    for (const album of page.albums) console.log(JSON.stringify(album));
    printed += page.albums.length;
    if (page.albums.length < want || printed >= page.total) break;
  }
  return 0;
}
