// `audiomuse cluster left-out [run] [--reason R] [--limit N]`: the songs a clustering run put in no playlist,
// one "artist – title – why" line each on stdout (by artist and title), with the run's counts on stderr.
import type { ClusteringProgress } from '../contracts/clustering.ts';
import { leftOutTracks } from '../lib/store/clustering.ts';
import { findRun, listRuns } from '../lib/store/runs.ts';
import { LEFT_OUT_REASONS, type LeftOutReason } from '../words/clustering-defaults.ts';
import { fittedSentence, LEFT_OUT_LABEL, leftOutSentence } from '../words/clustering-explained.ts';
import { withDatabase } from './database.ts';

export const LEFT_OUT_USAGE = `audiomuse cluster left-out [run id, default the last] [--reason ${LEFT_OUT_REASONS.join('|')}] [--limit N]`;
const DEFAULT_LIMIT = 200;

function parse(args: string[]): { run?: string; reason?: LeftOutReason; limit: number } {
  const out: { run?: string; reason?: LeftOutReason; limit: number } = { limit: DEFAULT_LIMIT };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--reason') {
      const v = args[++i];
      if (!LEFT_OUT_REASONS.includes(v as LeftOutReason))
        throw new Error(`--reason must be one of ${LEFT_OUT_REASONS.join(', ')}; usage: ${LEFT_OUT_USAGE}`);
      out.reason = v as LeftOutReason;
    } else if (a === '--limit') {
      const v = args[++i] ?? '';
      if (!/^\d+$/.test(v) || Number(v) < 1)
        throw new Error(`--limit needs a whole number ≥ 1; usage: ${LEFT_OUT_USAGE}`);
      out.limit = Number(v);
    } else if (!a.startsWith('-') && out.run === undefined) out.run = a;
    else throw new Error(`unknown argument ${a}; usage: ${LEFT_OUT_USAGE}`);
  }
  return out;
}

export function leftOut(args: string[]): Promise<number> {
  const opts = parse(args);
  return withDatabase(async (pool) => {
    const run = opts.run
      ? await findRun(pool, opts.run)
      : (await listRuns(pool, { limit: 1, offset: 0, kind: 'clustering' })).runs[0];
    if (run?.kind !== 'clustering')
      throw new Error(opts.run ? `no clustering run ${opts.run}` : 'no clustering run yet');
    const progress = (run.progress ?? {}) as Partial<ClusteringProgress>;
    const counts = progress.outcome?.leftOut;
    if (!counts) {
      console.error(
        `${run.id} (${run.status}) has no record of the songs it left out: it has not finished, or ran before they were recorded`,
      );
      return 1;
    }
    const page = await leftOutTracks(pool, run.id.slice('clustering-'.length), {
      reason: opts.reason,
      limit: opts.limit,
      offset: 0,
    });
    const fitted = fittedSentence(progress.trackCount ?? null, progress.sizeChanges ?? []);
    console.error(`${run.id}: ${leftOutSentence(progress.trackCount ?? null, counts)}${fitted ? ` ${fitted}` : ''}`);
    for (const t of page.tracks)
      console.log(`${t.artist ?? 'unknown artist'} – ${t.title ?? '(untitled)'} – ${LEFT_OUT_LABEL[t.reason]}`);
    if (page.total > page.tracks.length)
      console.error(`… ${page.total - page.tracks.length} more (--limit ${page.total} lists them all)`);
    return 0;
  });
}
