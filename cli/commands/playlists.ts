// `audiomuse playlists`: the playlists the configured user can see, one JSON line each ({"id","name","trackCount"}).
// `audiomuse playlists export`: a stored playlist (a clustering's or a saved one) as a .m3u8 or JSPF file.
import fs from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../../lib/config.ts';
import { listedPlaylists } from '../../lib/store/playlist-files.ts';
import { createMediaProvider } from '../../providers/media/index.ts';
import {
  exportPlaylist,
  playlistIdNamed,
  PLAYLIST_FORMATS,
  type ExportedPlaylist,
  type PlaylistFormat,
} from '../../queries/playlist-files.ts';
import { withDatabase } from '../database.ts';

const EXPORT_USAGE =
  'usage: audiomuse playlists export <id | name> [--format m3u8|jspf] [--root DIR] [--out FILE]\n' +
  '       audiomuse playlists export --all --out DIR [--format m3u8|jspf] [--root DIR]';

export async function run(args: string[]): Promise<number> {
  if (args[0] === 'export') return exportCommand(args.slice(1));
  if (args.length) throw new Error(`unknown argument ${args[0]}; usage: audiomuse playlists [export …]`);
  const provider = await createMediaProvider(loadConfig());
  for (const playlist of await provider.listPlaylists()) console.log(JSON.stringify(playlist));
  return 0;
}

/** What was written, on stderr: the file stays clean on stdout. */
function report(file: ExportedPlaylist, where: string): void {
  const notes = [
    file.outsideRoot && `${file.outsideRoot} outside the root kept the server's path`,
    file.withoutPath && `${file.withoutPath} without a path (a comment line)`,
  ].filter(Boolean);
  console.error(`${where}: ${file.tracks} tracks${notes.length ? `; ${notes.join('; ')}` : ''}`);
}

async function exportCommand(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        format: { type: 'string', default: 'm3u8' },
        root: { type: 'string' },
        out: { type: 'string' },
        all: { type: 'boolean', default: false },
      },
    });
  } catch (err) {
    throw new Error(`${(err as Error).message}\n${EXPORT_USAGE}`);
  }
  const { values, positionals } = parsed;
  if (!(values.format in PLAYLIST_FORMATS)) throw new Error(`--format must be m3u8 or jspf\n${EXPORT_USAGE}`);
  if (values.all ? positionals.length || !values.out : positionals.length !== 1) throw new Error(EXPORT_USAGE);
  const options = { format: values.format as PlaylistFormat, root: values.root };
  return withDatabase(async (pool, config) => {
    const source = config.mediaServerType;
    if (!values.all) {
      const file = (await exportPlaylist(pool, source, await playlistIdNamed(pool, source, positionals[0]), options))!;
      if (values.out) await fs.writeFile(values.out, file.body);
      else process.stdout.write(file.body);
      report(file, values.out ?? file.fileName);
      return 0;
    }
    // Every listed playlist into one folder; a name met twice gets a number, as players show "Mix (2)".
    await fs.mkdir(values.out!, { recursive: true });
    const taken = new Set<string>();
    for (const { id } of await listedPlaylists(pool, source)) {
      const file = (await exportPlaylist(pool, source, id, options))!;
      const { name, ext } = path.parse(file.fileName);
      let fileName = file.fileName;
      for (let n = 2; taken.has(fileName.toLowerCase()); n++) fileName = `${name} (${n})${ext}`;
      taken.add(fileName.toLowerCase());
      await fs.writeFile(path.join(values.out!, fileName), file.body);
      report(file, path.join(values.out!, fileName));
    }
    return 0;
  });
}
