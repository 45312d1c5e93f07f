// `npm run bench:snapshot-load -- [--tracks 300000] [--runs 5] [--data-dir DIR] [--database-url URL]`
//
// How long each reader of the whole analysed library takes (clustering's snapshot, the similarity library, the
// map's embeddings; target ≤ 5 s at 300,000 tracks), `--runs` times each: best / median, rows/s and ms per 10,000
// rows, and the median CPU seconds of a call (this process and the embedded PostgreSQL's processes: what a loaded
// machine changes least), with the CPU model and the load average after each loader. The library is
// bench:big-library's (bench/big-library-generate.ts, synthetic seeds), generated once into --data-dir (an
// embedded PostgreSQL kept there, default under the temp folder, reused by the next run) or read from
// --database-url (a database bench:big-library --keep filled).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, repoRoot } from '../lib/config.ts';
import { createPool, migrate } from '../lib/db.ts';
import { installRuntime } from '../lib/runtime.ts';
import { finishRun } from '../lib/store/runs.ts';
import { analysisVersion } from '../engines/analysis/version.ts';
import { arg } from './args.ts';
import { benchDatabase } from './services.ts';
import { loadHeads, syntheticSeeds } from './big-library-features.ts';
import { generateBigLibrary } from './big-library-generate.ts';
import { beginSnapshotRun, loaderTimes } from './big-library-measure.ts';

const tracks = Number(arg('tracks', '300000'));
const runs = Number(arg('runs', '5'));
const dataDir = arg('data-dir', path.join(os.tmpdir(), `audiomuse-bench-snapshot-load-${tracks}`));
const databaseUrlArg = arg('database-url', '');
const modelsDir = path.resolve(repoRoot, process.env.MODELS_DIR ?? '../shared/models');

const loadavg = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

/** utime + stime (+ cutime + cstime: its reaped children, e.g. parallel query workers) of a process, in seconds. */
function procCpu(pid: number, reaped: boolean): number {
  try {
    const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    const ticks = Number(f[11]) + Number(f[12]) + (reaped ? Number(f[13]) + Number(f[14]) : 0);
    return ticks / 100; // USER_HZ
  } catch {
    return 0; // gone meanwhile
  }
}

/** CPU seconds of this process and of the embedded PostgreSQL (its postmaster, its children and theirs). */
function cpuClock(dataDir: string | undefined) {
  const postmaster = dataDir ? Number(fs.readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]) : 0;
  return () => {
    const own = process.cpuUsage();
    let pg = 0;
    if (postmaster) {
      pg += procCpu(postmaster, true);
      const children = fs.readFileSync(`/proc/${postmaster}/task/${postmaster}/children`, 'utf8').trim();
      for (const child of children ? children.split(' ') : []) pg += procCpu(Number(child), false);
    }
    return (own.user + own.system) / 1e6 + pg;
  };
}

async function main(): Promise<void> {
  installRuntime();
  const cpu = `${os.cpus().length} × ${os.cpus()[0]?.model ?? '?'}`;
  const { url: databaseUrl, embedded: pg } = await benchDatabase(databaseUrlArg, dataDir);
  const pool = createPool(databaseUrl);
  try {
    await migrate(pool);
    const source = 'local';
    const scope = { source, analysisVersion: analysisVersion(loadConfig().analysis) };
    const {
      rows: [{ n }],
    } = await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM tracks WHERE source = $1`, [source]);
    if (n === 0) {
      const heads = await loadHeads(modelsDir);
      console.log(`generating ${tracks} tracks into ${pg?.dataDir ?? 'the database'} (${heads.label})…`);
      const g = await generateBigLibrary(pool, { tracks, ...scope, seed: 1, seeds: syntheticSeeds(), heads });
      await heads.release();
      await pool.query('VACUUM ANALYZE');
      console.log(`generated in ${g.seconds.toFixed(1)} s`);
    } else if (n !== tracks) throw new Error(`the database holds ${n} tracks, not ${tracks}: give another --data-dir`);

    const runId = await beginSnapshotRun(pool, scope);
    // Finished at once: its snapshot stays readable, and the next run of this bench can begin its own.
    await finishRun(pool, 'clustering', runId, { status: 'completed', progress: {} });
    console.log(`bench:snapshot-load — ${tracks} tracks, ${runs} runs each; CPU ${cpu}; load average ${loadavg()}`);
    console.log(
      `  ${'loader'.padEnd(52)} ${'best'.padStart(8)} ${'median'.padStart(8)} ${'rows/s'.padStart(9)} ` +
        `${'ms/10k'.padStart(7)} ${'CPU s'.padStart(6)}  load average after`,
    );
    for (const [name, time, rows] of await loaderTimes(
      pool,
      scope,
      runId,
      runs,
      (r) => {
        const [name, t, rows] = r;
        console.log(
          `  ${name.padEnd(52)} ${`${t.best.toFixed(2)} s`.padStart(8)} ${`${t.median.toFixed(2)} s`.padStart(8)} ` +
            `${Math.round(rows / t.best)
              .toString()
              .padStart(
                9,
              )} ${((t.best * 1000 * 10_000) / rows).toFixed(0).padStart(7)} ${t.cpu.toFixed(1).padStart(6)}  ${loadavg()}`,
        );
      },
      cpuClock(pg?.dataDir),
    ))
      if (rows !== tracks && !name.startsWith('snapshot key'))
        throw new Error(`${name} read ${rows} rows of ${tracks}`);
    console.log(`SUMMARY bench:snapshot-load ${tracks} tracks on ${cpu}; load average ${loadavg()}`);
  } finally {
    await pool.end();
    await pg?.stop();
  }
}

main().catch((err) => {
  console.error(`bench:snapshot-load: ${(err as Error).stack ?? err}`);
  process.exitCode = 1;
});
