// `npm run bench:cluster:workflow -- [--tracks 10000] [--runs 1000] [--seed 1]`
//
// The clustering search through Temporal against the engine alone, on the same machine in the same run: a
// synthetic library of N analysed tracks stored in an embedded PostgreSQL, `clusterLibrary` (publish off) run
// by the real worker process against an embedded Temporal dev server, timed from start to completion; then
// the same search in this process (snapshot prepared, worker pool, every generation, the winner's playlists).
// Both use the same snapshot, resolved options and seed, so they evaluate exactly the same candidates.
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { analysisVersion } from '../engines/analysis/version.ts';
import { resolvePlan } from '../activities/clustering.ts';
import { WorkerPool } from '../engines/clustering/pool.ts';
import { postprocessClusters } from '../engines/clustering/postprocess.ts';
import { prepareSearchData, resolveSearchOptions, runSearch } from '../engines/clustering/search.ts';
import { loadConfig } from '../lib/config.ts';
import { migrate } from '../lib/db.ts';
import { loadSnapshot } from '../lib/store/clustering.ts';
import { encodeEmbedding } from '../lib/store/tracks.ts';
import type { ClusterLibraryInput, ClusteringProgress } from '../contracts/clustering.ts';
import { syntheticLibrary } from '../test/helpers/clustering-library.ts';
import { activityTimeline, startBenchStack, waitForPollers } from './services.ts';
import { arg } from './args.ts';

const nTracks = Number(arg('tracks', '10000'));
const runs = Number(arg('runs', '1000'));
const seed = Number(arg('seed', '1'));
const input: ClusterLibraryInput = { runs, seed, publish: false, earlyStopGenerations: 0, featureSpace: 'moods' };

async function main(): Promise<void> {
  console.log(
    `bench:cluster:workflow — ${nTracks} tracks, ${runs} runs, seed ${seed}; ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'}); ` +
      `load average ${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
  );
  const lib = syntheticLibrary({
    tracks: nTracks,
    groups: 40,
    seed,
    unevenSizes: true,
    artistsPerGroup: 25,
    embeddingLatent: 16,
    embeddingNoise: 0.5,
  });
  const stack = await startBenchStack('cluster-workflow');
  try {
    const taskQueue = 'bench-cluster';
    const config = loadConfig({
      MEDIA_SERVER_TYPE: 'local',
      MUSIC_DIR: path.join(stack.scratch, 'music'),
      TEMPORAL_TASK_QUEUE: taskQueue,
    });
    const db = new pg.Pool({ connectionString: stack.databaseUrl });
    await migrate(db);
    const version = analysisVersion(config.analysis);
    const t = performance.now();
    // Stored the way the analysis stores them (tracks + track_features), in one statement each.
    const { rows: ids } = await db.query<{ id: string }>(
      `INSERT INTO tracks (source, item_id, title, artist, analysis_status)
       SELECT 'local', u.item, u.title, u.artist, 'analyzed' FROM unnest($1::text[], $2::text[], $3::text[]) AS u (item, title, artist)
       RETURNING id::text`,
      [lib.tracks.map((x) => x.id), lib.tracks.map((x) => x.title), lib.tracks.map((x) => x.artist)],
    );
    const f = lib.tracks;
    await db.query(
      `INSERT INTO track_features (track_id, embedding, tags, danceable, aggressive, happy, party, relaxed, sad, tempo, musical_key,
         scale, energy, patches, analysis_version)
       SELECT u.id, u.emb, ARRAY(SELECT jsonb_array_elements_text(u.tags)::real), u.d, u.a, u.h, u.p, u.r, u.s, u.tempo, 'C', 'major',
              u.energy, 10, $12
         FROM unnest($1::bigint[], $2::bytea[], $3::jsonb[], $4::real[], $5::real[], $6::real[], $7::real[], $8::real[], $9::real[],
                     $10::real[], $11::real[]) AS u (id, emb, tags, d, a, h, p, r, s, tempo, energy)`,
      [
        ids.map((r) => r.id),
        f.map((x) => encodeEmbedding(Float32Array.from(x.embedding!))),
        f.map((x) => JSON.stringify(Array.from(x.tags))),
        f.map((x) => x.moodHeads.danceable),
        f.map((x) => x.moodHeads.aggressive),
        f.map((x) => x.moodHeads.happy),
        f.map((x) => x.moodHeads.party),
        f.map((x) => x.moodHeads.relaxed),
        f.map((x) => x.moodHeads.sad),
        f.map((x) => x.tempo),
        f.map((x) => x.energy),
        version,
      ],
    );
    console.log(`stored ${ids.length} analysed tracks in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    await db.end();

    stack.startWorker({
      TEMPORAL_TASK_QUEUE: taskQueue,
      ANALYSIS_WORKERS: '0',
      MEDIA_SERVER_TYPE: 'local',
      MUSIC_DIR: path.join(stack.scratch, 'music'),
    });
    await waitForPollers(stack.client, [
      { name: taskQueue, kind: 'workflow', pollers: 1 },
      { name: `${taskQueue}-clustering`, kind: 'activity', pollers: 1 },
    ]);
    const t0 = performance.now();
    const t0Epoch = Date.now();
    const result = (await stack.client.workflow.execute('clusterLibrary', {
      taskQueue,
      workflowId: 'bench-cluster',
      args: [input],
    })) as ClusteringProgress;
    const workflowS = (performance.now() - t0) / 1000;
    console.log(
      `\n[workflow] ${result.runsDone} runs in ${workflowS.toFixed(1)} s (${(result.runsDone / workflowS).toFixed(2)} runs/s), ` +
        `${result.runNumber} workflow runs (continue-as-new), best ${result.bestScore?.toFixed(4)}, ${result.outcome?.playlists.length} playlists`,
    );

    const gen = await activityTimeline(stack.client, `WorkflowId = 'bench-cluster'`, t0Epoch);
    console.log(
      `  ${gen.count} activities: ${gen.busy.toFixed(1)} s running, ${gen.waited.toFixed(1)} s from scheduled to started, ` +
        `${gen.between.toFixed(1)} s from a completion to the next scheduling; first started ${gen.firstStart.toFixed(1)} s ` +
        `after the start, last done ${(workflowS - gen.lastEnd).toFixed(1)} s before the end`,
    );

    // The engine alone on the very same snapshot (features as stored: float32), options and seed, in this process.
    const plan = resolvePlan(input, config);
    const db2 = new pg.Pool({ connectionString: stack.databaseUrl });
    const {
      rows: [run],
    } = await db2.query<{ id: string }>(`SELECT id::text FROM clustering_runs WHERE workflow_id = 'bench-cluster'`);
    const snapshot = await loadSnapshot(db2, run.id);
    await db2.end();
    const t1 = performance.now();
    const data = prepareSearchData(snapshot, plan.features, plan.pcaMax);
    const options = resolveSearchOptions(data, plan.search);
    const pool = WorkerPool.create(data, options);
    let out;
    try {
      out = await runSearch(data, { ...options, seed, evaluator: pool.evaluate });
    } finally {
      await pool.close();
    }
    const playlists = out.winner?.clusters
      ? postprocessClusters(out.winner.clusters, snapshot, data.profile, data.layout, plan.postprocess)
      : [];
    const engineS = (performance.now() - t1) / 1000;
    console.log(
      `[engine]   ${out.state.runs} runs in ${engineS.toFixed(1)} s (${(out.state.runs / engineS).toFixed(2)} runs/s), best ${out.state.best?.fitness.toFixed(4)}, ${playlists.length} playlists`,
    );
    console.log(
      `  workflow / engine = ${(workflowS / engineS).toFixed(3)}× the wall time (target ≤ 1.15×); same best: ${result.bestScore === out.state.best?.fitness}`,
    );
  } finally {
    await stack.stop();
  }
  console.log(
    `\nload average after: ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
}

main().catch((err) => {
  console.error(`bench:cluster:workflow: ${(err as Error).message}`);
  process.exitCode = 1;
});
