// `npm run bench:quality -- [--only spaces|small|rank|fast] [--runs N] [--seeds N] [--input JSON] [--workers N] [--help]`
//
// Playlists a listener would keep, measured end to end on the product's defaults. The larger labelled set
// (bench/test-music.ts QUALITY_PACKAGES: eight freely licensed Debian music packages, each track labelled by
// its package) is analysed by the product's engine (cached), stored in an embedded PostgreSQL as the analysis
// stores it (source `local`, the file's own artist tag where it has one), and clustered by the real
// `clusterLibrary` workflow on an embedded Temporal dev server with the real worker process. Every request is
// the defaults plus `publish: false` (the playlists stay drafts in the database, where they are read back)
// and the feature space / algorithm / seed under test. Sections:
// - spaces: every feature space × algorithm on the whole set, seeds 1..--seeds (3) averaged: playlists, purity
//   and NMI against the package, coverage (tracks in some playlist), why songs were left out and what was
//   fitted to the library (the run's own report), wall time; and the engine alone (K-Means, k = packages, every track
//   kept) as the ceiling of each space.
// - small: label-stratified random subsets of 50 and 100 tracks (3 seeds each), every space, default algorithm.
// - rank: one search per space in this process (the workflow's plan and options): does the score rank the
//   candidates as purity and coverage do? Spearman's ρ over the candidates, for the default weights and for
//   each score component alone, and what the best candidate by each score gives.
// - fast: the set analysed with the `fast` profile too; tracks that change playlist between exact and fast
//   features (same seed) against between seeds 1 and 2 on exact features (default space and algorithm).
import os from 'node:os';
import path from 'node:path';
import { parseFile } from 'music-metadata';
import pg from 'pg';
import { resolvePlan, type StoredPlan } from '../activities/clustering.ts';
import type { ClusterLibraryInput, ClusteringProgress } from '../contracts/clustering.ts';
import { analysisVersion } from '../engines/analysis/version.ts';
import type { FeatureSpace } from '../engines/clustering/features.ts';
import { kmeans } from '../engines/clustering/kmeans.ts';
import { Rng } from '../engines/clustering/rng.ts';
import {
  evaluateCandidate,
  prepareSearchData,
  resolveSearchOptions,
  runSearch,
  type CandidateResult,
} from '../engines/clustering/search.ts';
import { loadConfig, type Config } from '../lib/config.ts';
import { migrate } from '../lib/db.ts';
import { loadSnapshot, runPlaylists } from '../lib/store/clustering.ts';
import { storeTrackFeatures, upsertAlbumTracks } from '../lib/store/tracks.ts';
import { SCORE_WEIGHT_NAMES, type MetricName, type ScoreWeights } from '../words/clustering-defaults.ts';
import type { AnalysisProfile } from '../words/analysis-profile.ts';
import { arg } from './args.ts';
import { playlistChanges } from './profile-clustering.ts';
import { agreement, assignment, spearman, stratifiedSample } from './quality-metrics.ts';
import { startBenchStack, waitForPollers, type BenchStack } from './services.ts';
import {
  analyse,
  storedFeatures,
  missingPackages,
  QUALITY_PACKAGES,
  testMusic,
  type Analysed,
  type MusicFile,
} from './test-music.ts';

const HELP = `usage: npm run bench:quality -- [--only spaces|small|rank|fast] [--runs N] [--input JSON] [--workers N]
  --only S      one section (default: all four)
  --runs N      runs of every search (default: the product's)
  --input JSON  clusterLibrary input fields set in every request (default none: the product's defaults),
                e.g. '{"numClustersMin":3,"numClustersMax":12,"minPlaylistSize":2}'
  --workers N   analysis processes for files not cached yet (default 2; 0 = measure the cached ones only)
The labelled set is these Debian packages (freely licensed; never committed, installed by hand):
  apt-get install ${[...new Set(QUALITY_PACKAGES.map((p) => p.apt))].join(' ')}
Needs the MusiCNN models (MODELS_DIR) for tracks not analysed yet, and the temporal CLI.`;

if (process.argv.includes('--help') || process.argv.includes('-h')) {
  console.log(HELP);
  process.exit(0);
}
const SECTIONS = ['spaces', 'small', 'rank', 'fast'] as const;
const only = arg('only', '');
if (only && !SECTIONS.includes(only as (typeof SECTIONS)[number])) {
  console.error(`--only must be one of ${SECTIONS.join(', ')}\n${HELP}`);
  process.exit(2);
}
const runsArg = arg('runs', '');
/** Every request: the defaults plus these (and publish off, and what a section varies). */
const requestBase: ClusterLibraryInput = {
  publish: false,
  ...(runsArg && { runs: Number(runsArg) }),
  ...(JSON.parse(arg('input', '{}')) as ClusterLibraryInput),
};
const workers = Number(arg('workers', '2'));
const seeds = Number(arg('seeds', '3'));
const SPACES: FeatureSpace[] = ['moods', 'moods+heads', 'embedding'];
const ALGORITHMS = ['kmeans', 'gmm', 'dbscan'] as const;
const wants = (s: (typeof SECTIONS)[number]) => !only || only === s;

type Song = MusicFile & { itemId: string };
type Track = Analysed<Song>;

const pct = (x: number) => `${(100 * x).toFixed(0)} %`;
const f2 = (x: number) => (Number.isNaN(x) ? 'n/a' : x.toFixed(2));
const secs = (ms: number) => `${(ms / 1000).toFixed(0)} s`;
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

/** The file's artist tag where it has one (what the media server would report), else the package's name for it. */
async function withTagArtists(files: MusicFile[]): Promise<Song[]> {
  return Promise.all(
    files.map(async (f) => {
      const common = await parseFile(f.file, { skipCovers: true }).then(
        (m) => m.common,
        () => undefined,
      );
      const artist = common?.artist?.trim() || common?.albumartist?.trim() || f.artist;
      return { ...f, artist, itemId: f.file };
    }),
  );
}

/** A bench's database and workflow client, with the library it holds now. */
class Library {
  private constructor(
    readonly stack: BenchStack,
    readonly db: pg.Pool,
    readonly config: Config,
    readonly taskQueue: string,
  ) {}
  tracks: Track[] = [];
  private byId = new Map<string, number>();
  private runCount = 0;

  static async start(): Promise<Library> {
    const stack = await startBenchStack('quality');
    const taskQueue = 'bench-quality';
    const env = { TEMPORAL_TASK_QUEUE: taskQueue, MEDIA_SERVER_TYPE: 'local', MUSIC_DIR: stack.scratch };
    const config = loadConfig(env);
    const db = new pg.Pool({ connectionString: stack.databaseUrl });
    await migrate(db);
    stack.startWorker({ ...env, ANALYSIS_WORKERS: '0' });
    await waitForPollers(stack.client, [
      { name: taskQueue, kind: 'workflow', pollers: 1 },
      { name: `${taskQueue}-clustering`, kind: 'activity', pollers: 1 },
    ]);
    return new Library(stack, db, config, taskQueue);
  }

  /**
   * Replaces the library with these tracks, stored album by album as the analysis stores them. Always under
   * the worker's analysis version, whatever profile made the features: the run's snapshot selects by it.
   */
  async store(tracks: Track[]): Promise<void> {
    await this.db.query('TRUNCATE tracks CASCADE');
    const version = analysisVersion(this.config.analysis);
    const albums = new Map<string, Track[]>();
    for (const t of tracks) albums.set(t.album, [...(albums.get(t.album) ?? []), t]);
    for (const [album, list] of albums)
      await upsertAlbumTracks(
        this.db,
        'local',
        album,
        list.map((t) => ({ itemId: t.itemId, title: t.title, artist: t.artist, album: t.album })),
        version,
      );
    const { rows } = await this.db.query<{ id: string; item_id: string }>(`SELECT id::text, item_id FROM tracks`);
    const idOf = new Map(rows.map((r) => [r.item_id, r.id]));
    for (const t of tracks)
      await storeTrackFeatures(this.db, idOf.get(t.itemId)!, storedFeatures(t.features), version, 1);
    this.tracks = tracks;
    this.byId = new Map(tracks.map((t, i) => [idOf.get(t.itemId)!, i]));
  }

  /** Index in `tracks` of a tracks.id. */
  indexOf(id: string): number {
    return this.byId.get(id)!;
  }

  /** One `clusterLibrary` run on defaults plus `request`: its playlists as track indices, and its wall time. */
  async cluster(request: ClusterLibraryInput): Promise<{
    playlists: Int32Array[];
    ms: number;
    runs: number;
    runId: string;
    best: number | null;
    leftOut: string;
    sized: string;
  }> {
    const workflowId = `quality-${++this.runCount}`;
    const input: ClusterLibraryInput = { ...requestBase, ...request };
    const t0 = performance.now();
    const result = (await this.stack.client.workflow.execute('clusterLibrary', {
      taskQueue: this.taskQueue,
      workflowId,
      args: [input],
    })) as ClusteringProgress;
    const ms = performance.now() - t0;
    if (result.status !== 'completed') throw new Error(`${workflowId}: ${result.status} ${result.error ?? ''}`);
    const { rows } = await this.db.query<{ id: string }>(
      `SELECT id::text FROM clustering_runs WHERE workflow_id = $1`,
      [workflowId],
    );
    const stored = await runPlaylists(this.db, rows[0].id);
    return {
      playlists: stored.map((p) => Int32Array.from(p.trackIds, (id) => this.byId.get(id)!)),
      ms,
      runs: result.runsDone,
      runId: rows[0].id,
      best: result.bestScore,
      leftOut:
        Object.entries(result.outcome?.leftOut ?? {})
          .map(([reason, n]) => `${reason} ${n}`)
          .join(', ') || '–',
      sized: result.sizeChanges.map((c) => `${c.field} ${JSON.stringify(c.to)}`).join(', ') || '–',
    };
  }

  async stop(): Promise<void> {
    await this.db.end();
    await this.stack.stop();
  }
}

function scoreRow(playlists: Int32Array[], labels: number[]) {
  const a = agreement(assignment(playlists, labels.length), labels);
  return { playlists: playlists.length, ...a };
}

async function spaces(lib: Library): Promise<void> {
  const labels = lib.tracks.map((t) => t.label);
  const k = new Set(labels).size;
  console.log(
    `\n## Feature spaces × algorithms through clusterLibrary (the request above, seeds 1–${seeds}, means), ${lib.tracks.length} tracks\n`,
  );
  console.log(
    '| feature space | algorithm | playlists (per seed) | purity | NMI | coverage (min–max) | left out (seed 1) | fitted to the library | runs | wall time |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|');
  for (const featureSpace of SPACES) {
    for (const algorithm of ALGORITHMS) {
      const runs: { r: Awaited<ReturnType<Library['cluster']>>; s: ReturnType<typeof scoreRow> }[] = [];
      for (let seed = 1; seed <= seeds; seed++) {
        const r = await lib.cluster({ featureSpace, algorithm, seed });
        runs.push({ r, s: scoreRow(r.playlists, labels) });
      }
      const mean = (f: (x: (typeof runs)[number]) => number) => runs.reduce((a, x) => a + f(x), 0) / runs.length;
      const scored = runs.filter((x) => x.s.playlists > 0);
      const covered = runs.map((x) => x.s.covered);
      console.log(
        `| ${featureSpace} | ${algorithm} | ${runs.map((x) => x.s.playlists).join(', ')} | ${scored.length ? f2(scored.reduce((a, x) => a + x.s.purity, 0) / scored.length) : '–'} | ${scored.length ? f2(scored.reduce((a, x) => a + x.s.nmi, 0) / scored.length) : '–'} | ${pct(mean((x) => x.s.covered))} (${pct(Math.min(...covered))}–${pct(Math.max(...covered))}) | ${runs[0].r.leftOut} | ${runs[0].r.sized} | ${Math.round(mean((x) => x.r.runs))} | ${secs(mean((x) => x.r.ms))} |`,
      );
    }
    // The ceiling: the engine's K-Means alone on the same vectors (as the search scales them), every track kept.
    const plan = resolvePlan({ ...requestBase, featureSpace }, lib.config);
    const data = prepareSearchData(
      lib.tracks.map((t) => t.features),
      plan.features,
      0,
    );
    const t0 = performance.now();
    const fit = kmeans(data.scaled, k, new Rng(1), { nInit: 10 });
    const a = agreement(Array.from(fit.labels), labels);
    console.log(
      `| ${featureSpace} | engine alone: K-Means k = ${k}, all kept | ${k} | ${f2(a.purity)} | ${f2(a.nmi)} | ${pct(a.covered)} | – | – | – | ${secs(performance.now() - t0)} |`,
    );
  }
}

async function small(lib: Library, all: Track[]): Promise<void> {
  const defaults = resolvePlan(requestBase, lib.config);
  console.log(
    `\n## Small libraries: label-stratified subsets (subset seeds 1–3), the request above (${defaults.search.algorithms!.join(', ')}), seed 1\n`,
  );
  console.log(
    '| tracks | feature space | playlists (per subset) | purity, mean | coverage, mean (min–max) | wall time, mean |',
  );
  console.log('|---|---|---|---|---|---|');
  for (const size of [50, 100]) {
    const subsets = [1, 2, 3].map((seed) => {
      const rng = new Rng(seed);
      return stratifiedSample(
        all.map((t) => t.label),
        size,
        () => rng.next(),
      ).map((i) => all[i]);
    });
    for (const featureSpace of SPACES) {
      const rows = [];
      for (const subset of subsets) {
        await lib.store(subset);
        const r = await lib.cluster({ featureSpace, seed: 1 });
        rows.push({
          ...scoreRow(
            r.playlists,
            subset.map((t) => t.label),
          ),
          ms: r.ms,
        });
      }
      const cov = rows.map((r) => r.covered);
      const withPlaylists = rows.filter((r) => r.playlists > 0);
      console.log(
        `| ${size} | ${featureSpace} | ${rows.map((r) => r.playlists).join(', ')} | ${withPlaylists.length ? f2(mean(withPlaylists.map((r) => r.purity))) : '–'} | ${pct(mean(cov))} (${pct(Math.min(...cov))}–${pct(Math.max(...cov))}) | ${secs(mean(rows.map((r) => r.ms)))} |`,
      );
    }
  }
}

const ALL_WEIGHTS = Object.fromEntries(SCORE_WEIGHT_NAMES.map((w) => [w, 1])) as ScoreWeights;

async function rank(lib: Library): Promise<void> {
  console.log(
    `\n## Does the score rank candidates as a listener would? One search per space (seed 1), ${lib.tracks.length} tracks\n`,
  );
  console.log(
    "The search of each space's clusterLibrary run, redone in this process from the plan and snapshot the run " +
      "recorded. Per candidate, after the search's own member selection (distance filter, artist cap): purity and NMI of " +
      'all its selected members, "kept" = share of tracks selected, "coverage" = share in clusters of at least ' +
      'minPlaylistSize (what becomes playlists). ρ = Spearman over the candidates; the last columns are the ' +
      "candidate each score would pick (the search's rule: most viable playlists, then the score).\n",
  );
  console.log(
    '| feature space | score | candidates | ρ score–purity | ρ score–NMI | ρ score–kept | ρ score–coverage | ρ viable–purity | its pick: purity, NMI, kept, coverage |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const featureSpace of SPACES) {
    // The plan and snapshot the workflow recorded for its run: the candidates below are the workflow's own.
    const { runId, best } = await lib.cluster({ featureSpace, seed: 1 });
    const {
      rows: [{ params: plan }],
    } = await lib.db.query<{ params: StoredPlan }>(`SELECT params FROM clustering_runs WHERE id = $1`, [runId]);
    const snapshot = await loadSnapshot(lib.db, runId);
    const labels = snapshot.map((t) => lib.tracks[lib.indexOf(t.id)].label);
    const n = labels.length;
    const data = prepareSearchData(snapshot, plan.features, plan.pcaMax);
    const o = resolveSearchOptions(data, plan.search);
    const { results, state } = await runSearch(data, { ...plan.search, seed: plan.seed });
    if (state.best?.fitness !== (best ?? undefined))
      console.log(
        `(${featureSpace}: this search's best ${state.best?.fitness} is not the workflow's ${best}: the workflow ` +
          'searched with options its plan does not record, so these candidates are not exactly its own)',
      );
    // Every candidate again with every component computed (same fit seed: the same clusters).
    const all = resolveSearchOptions(data, { ...plan.search, weights: ALL_WEIGHTS });
    const rows = results
      .filter((r) => r.ok)
      .map((r: CandidateResult) => {
        const e = evaluateCandidate(data, r, all, true);
        const lists = (e.clusters ?? []).map((c) => c.members);
        const a = agreement(assignment(lists, n), labels);
        const floor = lists.filter((m) => m.length >= o.minPlaylistSize).reduce((s, m) => s + m.length, 0);
        const value = (w: Partial<ScoreWeights>) =>
          Object.entries(w).reduce((s, [name, wt]) => s + wt * (e.metrics[name as MetricName]?.value ?? 0), 0);
        return { r, value, purity: a.purity, nmi: a.nmi, kept: a.covered, coverage: floor / n };
      });
    const scores: [string, Partial<ScoreWeights>][] = [
      [
        `default (${Object.entries(o.weights)
          .filter(([, w]) => w > 0)
          .map(([m, w]) => `${w}·${m}`)
          .join(' + ')})`,
        o.weights,
      ],
      ...SCORE_WEIGHT_NAMES.map((m): [string, Partial<ScoreWeights>] => [`${m} alone`, { [m]: 1 }]),
    ];
    const drift = rows.filter((x) => Math.abs(x.value(o.weights) - x.r.fitness) > 1e-9).length;
    if (drift) console.log(`(${drift} candidates scored differently when re-evaluated: the table is not exact)`);
    for (const [name, w] of scores) {
      const s = rows.map((x) => x.value(w));
      const pick = rows.reduce<(typeof rows)[number] | undefined>((b, x) => {
        if (!b) return x;
        return x.r.viable > b.r.viable || (x.r.viable === b.r.viable && x.value(w) > b.value(w)) ? x : b;
      }, undefined);
      const rho = (ys: number[]) => f2(spearman(s, ys));
      console.log(
        `| ${featureSpace} | ${name} | ${rows.length} | ${rho(rows.map((x) => x.purity))} | ${rho(rows.map((x) => x.nmi))} | ${rho(rows.map((x) => x.kept))} | ${rho(rows.map((x) => x.coverage))} | ${f2(
          spearman(
            rows.map((x) => x.r.viable),
            rows.map((x) => x.purity),
          ),
        )} | ${pick ? `${f2(pick.purity)}, ${f2(pick.nmi)}, ${pct(pick.kept)}, ${pct(pick.coverage)}` : '–'} |`,
      );
    }
  }
}

async function fast(lib: Library, exact: Track[]): Promise<void> {
  const profile: AnalysisProfile = 'fast';
  const t0 = performance.now();
  const fastTracks = await analyse(exact, workers, profile);
  const both = new Set(fastTracks.map((t) => t.file));
  const exactBoth = exact.filter((t) => both.has(t.file));
  const fastByFile = new Map(fastTracks.map((t) => [t.file, t]));
  const fastBoth = exactBoth.map((t) => ({ ...t, features: fastByFile.get(t.file)!.features }));
  if (fastBoth.length < 2) {
    console.log(`\n## Exact against fast analysis: ${fastBoth.length} tracks analysed fast, nothing to compare`);
    return;
  }
  const defaults = resolvePlan(requestBase, lib.config);
  console.log(
    `\n## Exact against fast analysis: ${exactBoth.length} tracks (fast analysis ${secs(performance.now() - t0)}, cached), ` +
      `default space ${defaults.features.featureSpace} and algorithm ${defaults.search.algorithms!.join(', ')}\n`,
  );
  await lib.store(exactBoth);
  const exact1 = await lib.cluster({ seed: 1 });
  const exact2 = await lib.cluster({ seed: 2 });
  await lib.store(fastBoth);
  const fast1 = await lib.cluster({ seed: 1 });
  const n = exactBoth.length;
  const labels = exactBoth.map((t) => t.label);
  console.log('| clustering | playlists | purity | coverage | tracks changing playlist against exact, seed 1 |');
  console.log('|---|---|---|---|---|');
  for (const [name, r] of [
    ['exact, seed 1', exact1],
    ['exact, seed 2', exact2],
    ['fast, seed 1', fast1],
  ] as const) {
    const s = scoreRow(r.playlists, labels);
    const changed = playlistChanges(exact1.playlists, r.playlists, n);
    console.log(
      `| ${name} | ${s.playlists} | ${s.playlists ? f2(s.purity) : '–'} | ${pct(s.covered)} | ${changed} of ${n} (${pct(changed / n)}) |`,
    );
  }
}

async function main(): Promise<void> {
  const started = performance.now();
  console.log(
    `bench:quality — ${new Date().toISOString()}; ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'}); load average ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  const missing = missingPackages(QUALITY_PACKAGES);
  if (missing.length > 0)
    console.log(
      `not installed: ${missing.map((p) => p.label).join(', ')} — measuring without them; to add them: ` +
        `sudo apt-get install ${missing.map((p) => p.apt).join(' ')}`,
    );
  const files = await withTagArtists(testMusic(QUALITY_PACKAGES));
  const t0 = performance.now();
  const exact = await analyse(files, workers);
  const failed = files.length - exact.length;
  console.log(
    `${exact.length} tracks analysed (exact, full length; ${secs(performance.now() - t0)}, cached under ${os.tmpdir()})` +
      `${failed ? `, ${failed} failed and left out` : ''}; per package: ` +
      QUALITY_PACKAGES.map((p, i) => `${p.label} ${exact.filter((t) => t.label === i).length}`).join(', '),
  );
  const lib = await Library.start();
  const timed = async (name: string, fn: () => Promise<void>) => {
    const t = performance.now();
    await fn();
    console.log(`\n(${name}: ${secs(performance.now() - t)})`);
  };
  try {
    const c = resolvePlan(requestBase, lib.config);
    console.log(
      `request: ${JSON.stringify(requestBase)} over the defaults; resolved: space ${c.features.featureSpace}, algorithm ${c.search.algorithms!.join(', ')}, runs ${c.search.runs}, ` +
        `K ${c.search.ranges!.kmeansK!.join('–')}, minPlaylistSize ${c.search.minPlaylistSize}, ` +
        `maxDistance ${c.search.maxDistance}, maxSongsPerArtist ${c.search.maxSongsPerArtist}`,
    );
    if (wants('spaces') || wants('rank')) await lib.store(exact);
    if (wants('spaces')) await timed('spaces', () => spaces(lib));
    if (wants('rank')) await timed('rank', () => rank(lib));
    if (wants('small')) await timed('small', () => small(lib, exact));
    if (wants('fast')) await timed('fast', () => fast(lib, exact));
  } finally {
    await lib.stop();
  }
  console.log(`\ntotal ${secs(performance.now() - started)}`);
}

main().catch((err) => {
  console.error(`bench:quality: ${(err as Error).stack}`);
  process.exitCode = 1;
});
