// `audiomuse <command> [args]`: each command lives in cli/commands/<command>.ts and exports `run(args): Promise<number>`
// (the process exit code). Commands are loaded lazily so `audiomuse health` never loads ONNX or ffmpeg.
const COMMANDS: Record<string, string> = {
  health: 'print the state of Postgres, Temporal and the worker as JSON (exit 1 when a part is down)',
  analysis: 'library analysis: start [--albums N] [--concurrency N] [--wait] | status | cancel',
  cluster:
    'playlists from the analysed library: start [--runs N] [--seed S] [--algorithm A] [--no-publish] [--wait] | status | cancel | left-out [run] [--reason R] [--limit N]',
  analyze: 'analyze audio files: one JSON line per file (--full for the whole embedding and all tags)',
  albums: 'list recent albums from the configured media server (--limit N)',
  tracks: "list an album's tracks: audiomuse tracks <albumId>",
  playlists:
    'list the media server playlists | export <id|name> [--format m3u8|jspf] [--root DIR] [--out FILE] | export --all --out DIR',
  map: 'the analysed library in 2-D, as the web page draws it (--points for every point)',
  similar: 'songs like a song (item id or "title - artist"): similar <song> [--n N] [--nearest]',
  path: 'a path of songs from a to b: path <a> <b> [--steps N] [--one-per-artist] [--variety K] [--seed S]',
  artists: 'artists like an artist (name or id): artists <artist> [--n N] [--matches]',
  fingerprint:
    "a user's sonic fingerprint playlist (our id, server id or name): fingerprint <user> [--n N] [--no-seeds]",
  users:
    'people and their listening history: list | add <name> [--from-server] | add --from-server | remove | sync | history | import <user> <file>',
  index: 'the similarity index checkpoint: rebuild [--wait] (the rebuildVectorIndex workflow) | status',
  schedule:
    'Temporal Schedules of analysis and clustering: list | create <name> --kind K (--cron C | --every D) | pause | resume | trigger | delete <id>',
  radio:
    'radios, recipes re-run into one server playlist: list | create <name> --recipe JSON [--size N] [--cron C | --every D] | update <id|name> [--name N] [--size N] [--cron C | --no-cron] | run <id> | delete <id>',
};

function usage(): string {
  return [
    'usage: audiomuse <command> [args]',
    '',
    ...Object.entries(COMMANDS).map(([n, d]) => `  ${n.padEnd(10)} ${d}`),
  ].join('\n');
}

const [name, ...args] = process.argv.slice(2);
if (!name || name === '--help' || name === '-h' || !(name in COMMANDS)) {
  console.error(name && !(name in COMMANDS) ? `audiomuse: unknown command "${name}"\n\n${usage()}` : usage());
  process.exit(name ? 2 : 0);
}
try {
  const mod = (await import(`./commands/${name}.ts`)) as { run(args: string[]): Promise<number> };
  process.exitCode = await mod.run(args);
} catch (err) {
  console.error(`audiomuse ${name}: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 2;
}
