// `audiomuse analysis start [--albums N] [--concurrency N] [--wait] | status | cancel`: the library analysis.
import { ANALYSIS } from '../../client/run-control.ts';
import type { AnalyzeLibraryInput } from '../../contracts/analysis.ts';
import { parseNumberFlags, runCommand } from '../run-command.ts';

const USAGE = 'usage: audiomuse analysis start [--albums N] [--concurrency N] [--wait] | status | cancel';

export function run(args: string[]): Promise<number> {
  return runCommand(
    {
      kind: ANALYSIS,
      usage: USAGE,
      parseStart: (a) =>
        parseNumberFlags<Omit<AnalyzeLibraryInput, 'carried'>>(
          a,
          { '--albums': 'numRecentAlbums', '--concurrency': 'maxConcurrentAlbums' },
          USAGE,
        ),
      describe: (p) => {
        const eta = p.etaSeconds === null ? '' : `, ETA ${Math.round(p.etaSeconds / 60)} min`;
        return (
          `${p.status}: albums ${p.albumsDone}/${p.albumsTotal ?? '?'} (${p.albumsFailed} failed), tracks ${p.tracksAnalyzed} analysed, ` +
          `${p.tracksSkipped} skipped, ${p.tracksFailed} failed, ${p.tracksPerHour ?? '?'} tracks/h${eta}`
        );
      },
    },
    args,
  );
}
