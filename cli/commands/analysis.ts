// `audiomuse analysis start [--albums N] [--concurrency N] [--wait] | status | cancel`: the library analysis
// through Temporal, from a shell. Prints JSON; `start --wait` follows progress on stderr until the run ends.
import { loadConfig } from '../../lib/config.ts';
import { createPool } from '../../lib/db.ts';
import { resolveEndpoints } from '../../lib/endpoints.ts';
import { connectClient } from '../../lib/temporal.ts';
import { analysisProgress, cancelAnalysis, startAnalysis, type AnalysisControl } from '../../lib/analysis-control.ts';
import type { AnalyzeLibraryInput, LibraryProgress } from '../../workflows/analysis-progress.ts';

const USAGE = 'usage: audiomuse analysis start [--albums N] [--concurrency N] [--wait] | status | cancel';

export async function run(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (!sub || !['start', 'status', 'cancel'].includes(sub)) throw new Error(USAGE);
  if (sub !== 'start' && rest.length) throw new Error(`unknown argument ${rest[0]}; ${USAGE}`);
  const opts = parseStart(rest);
  const config = loadConfig();
  const { databaseUrl, temporalAddress } = resolveEndpoints(config);
  const pool = createPool(databaseUrl, 1);
  const client = await connectClient(temporalAddress, config.temporal.namespace).catch((err: Error) => {
    throw new Error(`Temporal at ${temporalAddress} is not reachable (${err.message}); is \`npm start\` running?`);
  });
  const c: AnalysisControl = { client, pool, taskQueue: config.temporal.taskQueue };
  try {
    if (sub === 'status') {
      const p = await analysisProgress(c);
      console.log(JSON.stringify(p ?? { status: 'none' }));
      return 0;
    }
    if (sub === 'cancel') {
      const id = await cancelAnalysis(c);
      console.log(JSON.stringify(id ? { cancelled: id } : { cancelled: null, reason: 'no analysis is running' }));
      return id ? 0 : 1;
    }
    const started = await startAnalysis(c, opts.input);
    console.log(JSON.stringify(started));
    if (!opts.wait) return 0;
    const final = await follow(c, started.workflowId);
    console.log(JSON.stringify(final));
    return final.status === 'completed' ? 0 : 1;
  } finally {
    await client.connection.close();
    await pool.end();
  }
}

function parseStart(args: string[]): { input: Omit<AnalyzeLibraryInput, 'carried'>; wait: boolean } {
  const input: Omit<AnalyzeLibraryInput, 'carried'> = {};
  let wait = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const value = () => {
      const v = args[++i];
      if (v === undefined || !/^\d+$/.test(v)) throw new Error(`${a} needs a whole number; ${USAGE}`);
      return Number(v);
    };
    if (a === '--wait') wait = true;
    else if (a === '--albums') input.numRecentAlbums = value();
    else if (a === '--concurrency') input.maxConcurrentAlbums = value();
    else throw new Error(`unknown argument ${a}; ${USAGE}`);
  }
  return { input, wait };
}

/** Prints one progress line to stderr every few seconds until the workflow closes; returns its final progress. */
async function follow(c: AnalysisControl, workflowId: string): Promise<LibraryProgress> {
  const handle = c.client.workflow.getHandle(workflowId);
  const done = handle.result().then(() => undefined, () => undefined);
  for (;;) {
    const closed = await Promise.race([done.then(() => true), new Promise<false>((r) => setTimeout(() => r(false), 5000))]);
    const p = await analysisProgress(c);
    if (p) {
      const eta = p.etaSeconds === null ? '' : `, ETA ${Math.round(p.etaSeconds / 60)} min`;
      console.error(`${p.status}: albums ${p.albumsDone}/${p.albumsTotal ?? '?'} (${p.albumsFailed} failed), tracks ${p.tracksAnalyzed} analysed, ${p.tracksSkipped} skipped, ${p.tracksFailed} failed, ${p.tracksPerHour ?? '?'} tracks/h${eta}`);
    }
    if (closed) return p ?? (await analysisProgress(c))!;
  }
}
