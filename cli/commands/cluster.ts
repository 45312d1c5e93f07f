// `audiomuse cluster start [--runs N] [--seed S] [--algorithm A] [--no-publish] [--wait] | status | cancel |
// left-out [run] [--reason R] [--limit N]`.
import { CLUSTERING } from '../../client/run-control.ts';
import type { ClusterLibraryInput } from '../../contracts/clustering.ts';
import { fittedSentence, leftOutSentence } from '../../words/clustering-explained.ts';
import { leftOut } from '../left-out.ts';
import { parseNumberFlags, runCommand } from '../run-command.ts';

const USAGE =
  'usage: audiomuse cluster start [--runs N] [--seed S] [--algorithm kmeans|dbscan|gmm] [--no-publish] [--wait] | status | cancel | left-out [run] [--reason R] [--limit N]';

export function run(args: string[]): Promise<number> {
  if (args[0] === 'left-out') return leftOut(args.slice(1));
  return runCommand(
    {
      kind: CLUSTERING,
      usage: USAGE,
      parseStart: (a) => {
        const extra: Partial<ClusterLibraryInput> = {};
        const input = parseNumberFlags<Omit<ClusterLibraryInput, 'carried'>>(
          a,
          { '--runs': 'runs', '--seed': 'seed' },
          USAGE,
          (flag, next) => {
            if (flag === '--no-publish') extra.publish = false;
            else if (flag === '--algorithm') {
              const v = next();
              if (v !== 'kmeans' && v !== 'dbscan' && v !== 'gmm')
                throw new Error(`--algorithm must be kmeans, dbscan or gmm; ${USAGE}`);
              extra.algorithm = v;
            } else return false;
            return true;
          },
        );
        return { ...input, ...extra };
      },
      describe: (p) => {
        const eta = p.etaSeconds === null ? '' : `, ETA ${p.etaSeconds} s`;
        const best = p.bestScore === null ? 'none yet' : `${p.bestScore.toFixed(3)} (${JSON.stringify(p.bestParams)})`;
        // A small library's fitted settings, and once finished why songs are in no playlist.
        const fitted = fittedSentence(p.trackCount, p.sizeChanges ?? []);
        const left = p.outcome?.leftOut ? leftOutSentence(p.trackCount, p.outcome.leftOut) : '';
        return [
          `${p.status}: runs ${p.runsDone}/${p.runsTotal ?? '?'}, generation ${p.generation}, best ${best}, ${p.runsPerSecond ?? '?'} runs/s${eta}`,
          ...[fitted, left].filter(Boolean),
        ].join('\n');
      },
    },
    args,
  );
}
