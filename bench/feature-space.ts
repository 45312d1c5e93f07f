// `npm run bench:feature-space -- [--workers 2]`
//
// Which feature space groups real music better? The Debian music packages are coarse labels (metal songs of
// Frets on Fire, Pushover's game themes, HyperRogue's ambient soundtrack): every track is analysed (full
// length, the product's engine), then clustered in each feature space — K-Means with k = number of packages
// (10 initialisations, 20 seeds) and the product's search (the post-processed playlists) — and the result is
// scored against the package: purity and normalised mutual information (NMI), beside a random assignment with
// the same cluster sizes.
import os from 'node:os';
import type { FeatureSpace } from '../engines/clustering/features.ts';
import { kmeans } from '../engines/clustering/kmeans.ts';
import { postprocessClusters } from '../engines/clustering/postprocess.ts';
import { Rng } from '../engines/clustering/rng.ts';
import { prepareSearchData, runSearch } from '../engines/clustering/search.ts';
import { analyse, PACKAGES, testMusic } from './test-music.ts';
import { agreement } from './quality-metrics.ts';

const argv = process.argv.slice(2);
const workers = Number(argv[argv.indexOf('--workers') + 1] || 2);

function randomBaseline(assign: number[], labels: number[], rng: Rng): { purity: number; nmi: number } {
  let purity = 0,
    nmi = 0;
  const R = 200;
  for (let r = 0; r < R; r++) {
    const shuffled = [...assign];
    for (let i = shuffled.length - 1; i > 0; i--) {
      const j = rng.int(0, i);
      [shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]];
    }
    const a = agreement(shuffled, labels);
    purity += a.purity / R;
    nmi += a.nmi / R;
  }
  return { purity, nmi };
}

async function main(): Promise<void> {
  const files = testMusic();
  console.log(
    `bench:feature-space — ${files.length} files from ${PACKAGES.length} packages; ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'}), ${workers} analysis processes`,
  );
  const t0 = performance.now();
  const tracks = await analyse(files, workers);
  const labels = tracks.map((t) => t.label);
  console.log(
    `analysed ${tracks.length} tracks in ${((performance.now() - t0) / 1000).toFixed(0)} s (${files.length - tracks.length} failed to decode); ` +
      `per package: ${PACKAGES.map((p, i) => `${p.label} ${labels.filter((l) => l === i).length}`).join(', ')}`,
  );
  const k = PACKAGES.length;
  const rows: string[] = [];
  for (const space of ['moods', 'moods+heads', 'embedding'] as FeatureSpace[]) {
    const data = prepareSearchData(
      tracks.map((t) => t.features),
      { featureSpace: space },
      0,
    );
    let kp = 0,
      kn = 0,
      bp = 0,
      bn = 0;
    const SEEDS = 20;
    for (let s = 0; s < SEEDS; s++) {
      const fit = kmeans(data.scaled, k, new Rng(s + 1), { nInit: 10 });
      const a = agreement(Array.from(fit.labels), labels);
      const b = randomBaseline(Array.from(fit.labels), labels, new Rng(1000 + s));
      kp += a.purity / SEEDS;
      kn += a.nmi / SEEDS;
      bp += b.purity / SEEDS;
      bn += b.nmi / SEEDS;
    }
    // The product's search with small-library ranges; tracks in no playlist are left out (coverage shown).
    const out = await runSearch(data, {
      seed: 1,
      runs: 200,
      earlyStopGenerations: 0,
      minPlaylistSize: 3,
      maxSongsPerArtist: 100,
      maxDistance: 1,
      ranges: { kmeansK: [2, 8], dbscanEps: [0.1, 0.5], dbscanMinSamples: [2, 5], gmmComponents: [2, 8], pca: [0, 0] },
    });
    const playlists = out.winner?.clusters
      ? postprocessClusters(
          out.winner.clusters,
          tracks.map((t) => t.features),
          data.profile,
          data.layout,
          { minPlaylistSize: 3, maxSongsPerCluster: 0, maxSongsPerArtist: 100 },
        )
      : [];
    const assign = tracks.map((t) => playlists.findIndex((p) => p.trackIds.includes(t.features.id)));
    const sp = agreement(assign, labels);
    const sb = randomBaseline(
      assign.filter((c) => c >= 0),
      labels.filter((_, i) => assign[i] >= 0),
      new Rng(7),
    );
    rows.push(
      `| ${space} | ${kp.toFixed(3)} / ${kn.toFixed(3)} | ${bp.toFixed(3)} / ${bn.toFixed(3)} | ${playlists.length} playlists, ${(sp.covered * 100).toFixed(0)} % of tracks: ${sp.purity.toFixed(3)} / ${sp.nmi.toFixed(3)} | ${sb.purity.toFixed(3)} / ${sb.nmi.toFixed(3)} |`,
    );
  }
  console.log(
    `\n| Feature space | K-Means k=${k} purity / NMI (mean of 20 seeds) | random, same sizes | search playlists purity / NMI | random, same sizes |`,
  );
  console.log('|---|---|---|---|---|');
  for (const r of rows) console.log(r);
}

main().catch((err) => {
  console.error(`bench:feature-space: ${(err as Error).message}`);
  process.exitCode = 1;
});
