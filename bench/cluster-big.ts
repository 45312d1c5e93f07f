// `npm run bench:cluster:big -- [--tracks 300000] [--space moods+heads|moods|embedding|all] [--runs 1000]
//   [--seed 1] [--agreement 30000] [--agreement-runs 300] [--sample-sizes 5000,10000,20000] [--publish]`
//
// Clustering a big library through the product: `generateBigLibrary` (bench/big-library-generate.ts) fills an
// embedded PostgreSQL, the real worker process runs `clusterLibrary` (publish off but with --publish, early stop off) against an
// embedded Temporal dev server for each feature space asked, and the bench prints the wall time, generations,
// playlists, and the peak RSS / PSS of every process (the worker's search threads are inside it; /proc
// sampled every 0.5 s). Target at 300,000 tracks: peak RSS ≤ 3 GB, ≤ 20 minutes for the default space.
// --publish: the library is a Jellyfin library served by the Jellyfin stand-in (bench/big-library-standin.ts), each
// run publishes its playlists there, and the bench checks the server holds exactly what the database says.
//
// Above DEFAULT_SAMPLE_SIZE songs the search scores its candidates on a sample and assigns every song to the
// winner's centroids (engines/clustering/sample.ts). --agreement N (0 = skip) measures what that costs on the
// first N songs of the same library, in this process: the same search on the whole N songs (seed 1) against
// sample-then-assign for each --sample-sizes, and against the whole with seed 2 (how much two equally good
// searches differ anyway); and the whole search's winner parameters re-fitted on the sample and assigned.
import os from 'node:os';
import path from 'node:path';
import { resolvePlan, sizePlan } from '../activities/clustering.ts';
import { WorkerPool } from '../engines/clustering/pool.ts';
import { postprocessWinner } from '../engines/clustering/postprocess.ts';
import { DEFAULT_SAMPLE_SIZE } from '../engines/clustering/sample.ts';
import {
  evaluateWinner,
  prepareSearchData,
  resolveSearchOptions,
  runSearch,
  type SearchData,
  type SearchOptions,
  type SearchState,
} from '../engines/clustering/search.ts';
import type { TrackFeatures } from '../engines/clustering/features.ts';
import { analysisVersion } from '../engines/analysis/version.ts';
import { loadConfig, repoRoot } from '../lib/config.ts';
import { createPool, migrate, type Pool } from '../lib/db.ts';
import { loadSnapshot } from '../lib/store/clustering.ts';
import type { ClusterLibraryInput, ClusteringProgress } from '../contracts/clustering.ts';
import type { FeatureSpace } from '../engines/clustering/features.ts';
import type { Client } from '@temporalio/client';
import { arg } from './args.ts';
import { loadHeads, testMusicSeeds } from './big-library-features.ts';
import { generateBigLibrary } from './big-library-generate.ts';
import { standinLibraryOf } from './big-library-standin.ts';
import { JellyfinStandin, writeSineWav } from '../test/standins/jellyfin.ts';
import { agreement, playlistLabels, type Agreement } from './cluster-agreement.ts';
import { machineShares, machineTicks, startBenchStack, treeMemory, waitForPollers } from './services.ts';

const tracks = Number(arg('tracks', '300000'));
const runs = Number(arg('runs', '1000'));
const seed = Number(arg('seed', '1'));
const spaceArg = arg('space', 'moods+heads');
const spaces: FeatureSpace[] = spaceArg === 'all' ? ['moods+heads', 'moods', 'embedding'] : [spaceArg as FeatureSpace];
const agreementTracks = Number(arg('agreement', '30000'));
const publish = process.argv.includes('--publish');
const agreementRuns = Number(arg('agreement-runs', '300'));
const sampleSizes = arg('sample-sizes', `5000,10000,${DEFAULT_SAMPLE_SIZE}`).split(',').map(Number);
const modelsDir = path.resolve(repoRoot, process.env.MODELS_DIR ?? '../shared/models');
const RSS_LIMIT_MB = 3 * 1024;

const loadavg = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
const mb = (x: number) => `${x.toFixed(0)} MB`;

/** Peak memory of the bench's process tree, by process, sampled every 0.5 s until stopped. */
function memoryPeaks() {
  const peaks = new Map<string, { rss: number; pss: number }>();
  let total = { rss: 0, pss: 0 };
  const sample = () => {
    const m = treeMemory();
    total = { rss: Math.max(total.rss, m.rssMB), pss: Math.max(total.pss, m.pssMB) };
    for (const [name, u] of m.byProcess) {
      const p = peaks.get(name) ?? { rss: 0, pss: 0 };
      peaks.set(name, { rss: Math.max(p.rss, u.rss), pss: Math.max(p.pss, u.pss) });
    }
  };
  sample();
  const timer = setInterval(sample, 500);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return { total, peaks };
    },
  };
}

async function main(): Promise<void> {
  const cpu = os.cpus()[0]?.model ?? '?';
  console.log(
    `bench:cluster:big — ${tracks} tracks, ${runs} runs, seed ${seed}, spaces ${spaces.join(', ')}; ${os.cpus().length} CPUs ` +
      `(${cpu}), ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB; load average ${loadavg()}`,
  );
  const stack = await startBenchStack('cluster-big');
  const summary: string[] = [];
  let standin: JellyfinStandin | undefined;
  try {
    const taskQueue = 'bench-cluster-big';
    const source = publish ? 'jellyfin' : 'local';
    const env: Record<string, string> = {
      MEDIA_SERVER_TYPE: 'local',
      MUSIC_DIR: path.join(stack.scratch, 'music'),
      TEMPORAL_TASK_QUEUE: taskQueue,
    };
    const config = loadConfig(env);
    const db = createPool(stack.databaseUrl);
    await migrate(db);
    let t = performance.now();
    const seeds = await testMusicSeeds(2);
    const heads = await loadHeads(modelsDir);
    console.log(`seeds: ${seeds.label}; ${heads.label}`);
    const g = await generateBigLibrary(db, {
      tracks,
      seed,
      source,
      analysisVersion: analysisVersion(config.analysis),
      seeds,
      heads,
    });
    await heads.release();
    await db.query('VACUUM ANALYZE');
    console.log(
      `generated ${g.tracks} tracks, ${g.albums} albums, ${g.artists} artists in ${((performance.now() - t) / 1000).toFixed(1)} s`,
    );

    if (publish) {
      const file = path.join(stack.scratch, 'tone.wav');
      writeSineWav(file);
      standin = new JellyfinStandin(await standinLibraryOf(db, source, file), '10.11.11', { stableTies: true });
      const alice = standin.user('alice');
      const url = await standin.listen();
      delete env.MUSIC_DIR;
      Object.assign(env, {
        MEDIA_SERVER_TYPE: 'jellyfin',
        JELLYFIN_URL: url,
        JELLYFIN_USER_ID: alice.id,
        JELLYFIN_TOKEN: alice.token,
      });
      console.log(`Jellyfin stand-in serving the library at ${url}`);
    }
    stack.startWorker({ ...env, ANALYSIS_WORKERS: '0' });
    await waitForPollers(stack.client, [
      { name: taskQueue, kind: 'workflow', pollers: 1 },
      { name: `${taskQueue}-clustering`, kind: 'activity', pollers: 1 },
    ]);
    let lastRunId = '';
    for (const featureSpace of spaces) {
      const input: ClusterLibraryInput = { runs, seed, publish, earlyStopGenerations: 0, featureSpace };
      const workflowId = `bench-cluster-big-${featureSpace.replace('+', '-')}`;
      const memory = memoryPeaks();
      const ticks = machineTicks();
      console.log(`\n[${featureSpace}] clusterLibrary ${JSON.stringify(input)}, load average ${loadavg()}`);
      t = performance.now();
      const t0Epoch = Date.now();
      let result: ClusteringProgress;
      try {
        result = (await stack.client.workflow.execute('clusterLibrary', {
          taskQueue,
          workflowId,
          args: [input],
        })) as ClusteringProgress;
      } catch (err) {
        // A failed run still tells how long it went and what it held: print them, then the error.
        result = await stack.client.workflow
          .getHandle(workflowId)
          .query<ClusteringProgress>('progress')
          .catch(
            () =>
              ({
                status: 'failed',
                runsDone: 0,
                generation: 0,
                runNumber: 0,
              }) as unknown as ClusteringProgress,
          );
        result = {
          ...result,
          status: 'failed',
          error: `${(err as Error).message}: ${String((err as Error).cause ?? '')}`,
        };
      }
      const wall = (performance.now() - t) / 1000;
      const { total, peaks } = memory.stop();
      if (result.error) {
        console.log(`  FAILED after ${wall.toFixed(1)} s: ${result.error}`);
        for (const line of await timedOutActivities(stack.client, workflowId, t0Epoch)) console.log(`    ${line}`);
      }
      const out = result.outcome;
      const placed = out?.playlists.reduce((a, p) => a + p.size, 0) ?? 0;
      console.log(
        `  ${result.status}: ${result.runsDone} runs in ${wall.toFixed(1)} s (${(wall / 60).toFixed(1)} min, ` +
          `${(result.runsDone / wall).toFixed(2)} runs/s), ${result.generation} generations, ${result.runNumber} workflow ` +
          `runs (continue-as-new); best ${result.bestScore?.toFixed(4)} ${JSON.stringify(result.bestParams)}`,
      );
      console.log(
        `  ${out?.playlists.length ?? 0} playlists holding ${placed} of ${result.trackCount} songs; left out ` +
          `${JSON.stringify(out?.leftOut ?? {})}; machine ${machineShares(ticks, machineTicks())}`,
      );
      console.log(`  peak memory by process (RSS / PSS, sampled every 0.5 s):`);
      for (const [name, p] of [...peaks].sort((a, b) => b[1].rss - a[1].rss))
        console.log(`    ${name.padEnd(40)} ${mb(p.rss).padStart(9)} / ${mb(p.pss).padStart(9)}`);
      const worker = [...peaks].find(([name]) => name.includes('main.ts'))?.[1].rss ?? 0;
      console.log(
        `    ${'all (peak of the sum)'.padEnd(40)} ${mb(total.rss).padStart(9)} / ${mb(total.pss).padStart(9)}`,
      );
      summary.push(
        `${featureSpace}: ${(wall / 60).toFixed(1)} min${featureSpace === 'moods+heads' ? (wall <= 1200 ? ' (≤ 20 min met)' : ' (≤ 20 min MISSED)') : ''}, ` +
          `worker peak RSS ${mb(worker)} (≤ 3 GB ${worker <= RSS_LIMIT_MB ? 'met' : 'MISSED'}), all processes ${mb(total.rss)} RSS / ${mb(total.pss)} PSS`,
      );
      const {
        rows: [run],
      } = await db.query<{ id: string }>(`SELECT id::text FROM clustering_runs WHERE workflow_id = $1`, [workflowId]);
      lastRunId = run.id;
      if (standin) {
        const check = await publishedCheck(db, standin, run.id);
        console.log(`  ${check}`);
        summary.push(`${featureSpace}: ${check}`);
      }
    }

    if (agreementTracks > 0) {
      const snapshot = (await loadSnapshot(db, lastRunId)).slice(0, agreementTracks);
      summary.push(...(await measureAgreement(snapshot, spaces[spaces.length - 1], config)));
    }
    await db.end();
  } finally {
    await standin?.close();
    await stack.stop();
  }
  console.log(`\nSUMMARY bench:cluster:big ${tracks} tracks, ${runs} runs on ${cpu}, load average after ${loadavg()}:`);
  for (const line of summary) console.log(`  ${line}`);
}

/** Whether the stand-in holds exactly the run's playlists the database says were published, with their songs. */
async function publishedCheck(db: Pool, standin: JellyfinStandin, runId: string): Promise<string> {
  const { rows } = await db.query<{ id: string; name: string; items: string[] }>(
    `SELECT p.server_playlist_id AS id, p.name, array_agg(t.item_id ORDER BY pt.position) AS items
       FROM playlists p JOIN playlist_tracks pt ON pt.playlist_id = p.id JOIN tracks t ON t.id = pt.track_id
      WHERE p.clustering_run_id = $1 AND p.status = 'published' GROUP BY p.id`,
    [runId],
  );
  const held = new Map(standin.playlists().map((p) => [p.id, p]));
  const differ = rows.filter((r) => {
    const h = held.get(r.id);
    return !h || h.name !== r.name || h.entries.join() !== r.items.join();
  }).length;
  const pass = differ === 0 && held.size === rows.length;
  return `published ${rows.length} playlists; the stand-in holds ${held.size}; ${differ} differ from the database: ${pass ? 'PASS' : 'FAIL'}`;
}

/** The activities of a run's executions that timed out or failed: type, attempt, seconds after t0 (epoch ms). */
async function timedOutActivities(client: Client, workflowId: string, t0: number): Promise<string[]> {
  const out: string[] = [];
  for await (const w of client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) {
    const history = await client.workflow.getHandle(w.workflowId, w.runId).fetchHistory();
    const scheduled = new Map<number, string>();
    for (const e of history.events ?? []) {
      const at = (Number(e.eventTime?.seconds ?? 0) * 1000 - t0) / 1000;
      const s = e.activityTaskScheduledEventAttributes;
      if (s) scheduled.set(Number(e.eventId), s.activityType?.name ?? '?');
      const bad = e.activityTaskTimedOutEventAttributes ?? e.activityTaskFailedEventAttributes;
      if (bad)
        out.push(
          `${scheduled.get(Number(bad.scheduledEventId)) ?? '?'} ${e.activityTaskTimedOutEventAttributes ? 'timed out' : 'failed'} ` +
            `at ${at.toFixed(0)} s: ${bad.failure?.message ?? ''} ${bad.failure?.cause?.message ?? ''}`,
        );
    }
  }
  return out;
}

/** Whole search against sample-then-assign on the same songs (see the header). */
async function measureAgreement(
  snapshot: TrackFeatures[],
  featureSpace: FeatureSpace,
  config: ReturnType<typeof loadConfig>,
): Promise<string[]> {
  const n = snapshot.length;
  const input: ClusterLibraryInput = {
    runs: agreementRuns,
    seed,
    publish: false,
    earlyStopGenerations: 0,
    featureSpace,
  };
  const plan = sizePlan(resolvePlan(input, config), n);
  const index = new Map(snapshot.map((x, i) => [x.id, i]));
  console.log(
    `\nAgreement on the first ${n} songs, ${featureSpace}, ${agreementRuns} runs, in this process, load average ${loadavg()}:`,
  );
  const labelsOf = (data: SearchData, options: SearchOptions, state: SearchState) => {
    const w = evaluateWinner(data, state, options);
    const { playlists } = postprocessWinner(
      w!.clusters!,
      snapshot,
      data.profile,
      data.layout,
      plan.postprocess,
      w!.selection,
    );
    return playlistLabels(
      n,
      playlists.map((p) => ({ name: p.name, members: p.trackIds.map((id) => index.get(id)!) })),
    );
  };
  const search = async (sampleSize: number, searchSeed: number) => {
    const t = performance.now();
    const data = prepareSearchData(snapshot, plan.features, plan.pcaMax, sampleSize);
    const options = resolveSearchOptions(data, plan.search);
    const pool = WorkerPool.create(data, options);
    try {
      const { state } = await runSearch(data, { ...options, seed: searchSeed, evaluator: pool.evaluate });
      const labels = labelsOf(data, options, state);
      return { data, options, state, labels, seconds: (performance.now() - t) / 1000 };
    } finally {
      await pool.close();
    }
  };
  const show = (what: string, a: Agreement) =>
    `${what}: ARI ${a.ari.toFixed(3)}, pairs kept together ${(a.pairsKept * 100).toFixed(1)} %, placed by both ${(a.bothPlaced * 100).toFixed(1)} %`;
  const placed = (l: Int32Array) => `${((l.filter((x) => x >= 0).length / n) * 100).toFixed(1)} % placed`;
  const whole = await search(0, seed);
  console.log(
    `  whole, seed ${seed}: ${whole.seconds.toFixed(1)} s, best ${JSON.stringify(whole.state.best?.params)}, ${placed(whole.labels)}`,
  );
  const other = await search(0, seed + 1);
  const lines = [
    show(
      `agreement at ${n} songs (${featureSpace}, ${agreementRuns} runs): whole seed ${seed} vs whole seed ${seed + 1}`,
      agreement(whole.labels, other.labels),
    ),
  ];
  console.log(`  whole, seed ${seed + 1}: ${other.seconds.toFixed(1)} s, ${placed(other.labels)}; ${lines[0]}`);
  for (const size of sampleSizes.filter((s) => s > 0 && s < n)) {
    const s = await search(size, seed);
    const sameParams = labelsOf(s.data, s.options, whole.state);
    const line = show(`whole vs sample ${size} + assign`, agreement(whole.labels, s.labels));
    console.log(
      `  sample ${size}: ${s.seconds.toFixed(1)} s, best ${JSON.stringify(s.state.best?.params)}, ${placed(s.labels)}; ${line}; ` +
        show(`the whole search's winner re-fitted on the sample`, agreement(whole.labels, sameParams)),
    );
    lines.push(`  ${line}`);
  }
  return lines;
}

main().catch((err) => {
  console.error(`bench:cluster:big: ${(err as Error).stack ?? err}`);
  process.exitCode = 1;
});
