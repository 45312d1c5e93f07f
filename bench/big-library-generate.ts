// generateBigLibrary: fills PostgreSQL with a big analysed library whose features look real. Each album has a
// centre near a seed track's embedding (mixed with a second seed's, plus album noise; an artist's albums
// mostly share a seed), each track is the centre plus its own noise, scaled back to the seed's length (what a
// MusiCNN mean embedding measures, so the heads see inputs of the real scale); its tags and mood heads are the
// tag model and heads applied to that embedding; tempo, energy, key and length are drawn from the seeds'.
// Rows go in as analysis stores them (tracks 'analyzed' with their features and the current analysis version),
// a batch of tracks + features per statement, while the next batch is generated.
import { createHash } from 'node:crypto';
import type { Pool } from '../lib/db.ts';
import { loadConfig } from '../lib/config.ts';
import { encodeEmbedding, MOOD_HEAD_COLUMNS } from '../lib/store/tracks.ts';
import { analysisVersion } from '../engines/analysis/version.ts';
import { EMBEDDING_DIM, TAGS } from '../words/vocabulary.ts';
import { randomSource } from './synthetic-vectors.ts';
import { artistName, fileSafe, titleOf } from './big-library-names.ts';
import { syntheticSeeds, type Heads, type SeedSource, type SeedTrack } from './big-library-features.ts';

export interface BigLibraryOptions {
  tracks: number;
  /** Default tracks / 10 (at least 1). */
  albums?: number;
  /** The same seed gives the same library (names, ids, features), default 1. */
  seed?: number;
  /** tracks.source, default `local`. */
  source?: string;
  /** Default: the version the configuration (this process's environment) analyses with, as the readers filter. */
  analysisVersion?: string;
  /** What the features are drawn around (default: the synthetic stand-in). */
  seeds?: SeedSource;
  heads: Heads;
  /** Tracks per statement, default 2,000. */
  batch?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface BigLibraryStats {
  tracks: number;
  albums: number;
  artists: number;
  analysisVersion: string;
  seconds: number;
  /** Seconds spent drawing embeddings and names, applying the heads, and waiting for PostgreSQL. */
  drawSeconds: number;
  headsSeconds: number;
  waitSeconds: number;
}

/** Album and track noise, relative to the per-dimension RMS of the seed embedding. */
const ALBUM_NOISE = 0.35;
const TRACK_NOISE = 0.2;
/** Share of an artist's albums centred on the artist's own seed. */
const ARTIST_FAITH = 0.7;
/** MusiCNN's patch: 187 frames of 256 samples at 16 kHz. */
const PATCH_SEC = (187 * 256) / 16000;

interface Album {
  id: string;
  title: string;
  artist: { name: string; id: string };
  centre: Float32Array;
  norm: number;
  tempo: number | null;
  energy: number | null;
  tracks: number;
}

/** Column arrays of one batch, in the order of INSERT_SQL's unnest. */
type Batch = { n: number; cols: unknown[][]; embeddings: Float32Array };

const INSERT_SQL = `
  WITH u AS (
    SELECT * FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::real[], $8::text[], $9::text[],
                         $10::text[], $11::bytea[], $12::text[], $13::real[], $14::real[], $15::real[], $16::real[],
                         $17::real[], $18::real[], $19::real[], $20::text[], $21::text[], $22::real[], $23::real[],
                         $24::int[])
      AS u (item_id, album_id, title, artist, album, duration_sec, change_marker, path, artist_id, embedding, tags,
            ${MOOD_HEAD_COLUMNS.join(', ')}, tempo, musical_key, scale, key_strength, energy, patches)
  ), t AS (
    INSERT INTO tracks (source, item_id, album_id, title, artist, album, duration_sec, change_marker, analyzed_marker,
                        path, artist_id, analysis_status, attempts)
    SELECT $1, item_id, album_id, title, artist, album, duration_sec, change_marker, change_marker, path, artist_id,
           'analyzed', 1 FROM u
    RETURNING id, item_id
  )
  INSERT INTO track_features (track_id, embedding, tags, ${MOOD_HEAD_COLUMNS.join(', ')}, tempo, musical_key, scale,
                              key_strength, energy, patches, analysis_version)
  SELECT t.id, u.embedding, u.tags::real[], ${MOOD_HEAD_COLUMNS.map((c) => `u.${c}`).join(', ')}, u.tempo,
         u.musical_key, u.scale, u.key_strength, u.energy, u.patches, $25
    FROM t JOIN u USING (item_id)`;

// Ids as Jellyfin writes them (32 hex digits), so the Jellyfin stand-in can serve the library with the same ids.
const itemId = (s: string) => createHash('sha1').update(s).digest('hex').slice(0, 32);
const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x));

export async function generateBigLibrary(pool: Pool, opts: BigLibraryOptions): Promise<BigLibraryStats> {
  const t0 = performance.now();
  const n = opts.tracks;
  const nAlbums = Math.max(1, Math.min(n, opts.albums ?? Math.round(n / 10)));
  const nArtists = Math.max(1, Math.min(nAlbums, Math.round(n / 40)));
  const source = opts.source ?? 'local';
  const version = opts.analysisVersion ?? analysisVersion(loadConfig().analysis);
  const seeds = (opts.seeds ?? syntheticSeeds()).tracks;
  const batchSize = opts.batch ?? 2000;
  const {
    rows: [existing],
  } = await pool.query<{ n: string }>(`SELECT count(*) AS n FROM tracks WHERE source = $1`, [source]);
  if (Number(existing.n) > 0) throw new Error(`source ${source} already has ${existing.n} tracks: use an empty one`);

  const { rand, gauss } = randomSource(((opts.seed ?? 1) * 2654435761 + 1) >>> 0 || 1);
  const seedAt = () => seeds[Math.floor(rand() * seeds.length)];
  const artists = Array.from({ length: nArtists }, (_, i) => {
    const name = artistName(i, rand);
    return { name, id: itemId(`artist/${name}/${i}`), home: seedAt() };
  });

  /** Album `a` (tracks spread evenly over albums; album a belongs to artist a mod artists). */
  const makeAlbum = (a: number): Album => {
    const artist = artists[a % nArtists];
    const first = rand() < ARTIST_FAITH ? artist.home : seedAt();
    const second = seedAt();
    const w = 0.6 + 0.4 * rand();
    const norm = Math.hypot(...first.embedding);
    const sigma = (ALBUM_NOISE * norm) / Math.sqrt(EMBEDDING_DIM);
    const centre = first.embedding.map((x, d) => w * x + (1 - w) * second.embedding[d] + sigma * gauss());
    const base = seedAt();
    const title = titleOf(rand);
    return {
      id: itemId(`album/${artist.name}/${title}/${a}`),
      title,
      artist,
      centre,
      norm,
      tempo: base.tempo,
      energy: base.energy,
      tracks: 0,
    };
  };

  let album: Album | undefined;
  let albumIndex = -1;
  const stats = { drawSeconds: 0, headsSeconds: 0, waitSeconds: 0 };

  const draw = (from: number, count: number): Batch => {
    const cols: unknown[][] = Array.from({ length: 23 }, () => []);
    const embeddings = new Float32Array(count * EMBEDDING_DIM);
    for (let k = 0; k < count; k++) {
      const i = from + k;
      const a = Math.floor((i * nAlbums) / n);
      if (a !== albumIndex) [album, albumIndex] = [makeAlbum(a), a];
      const al = album!;
      al.tracks++;
      const v = embeddings.subarray(k * EMBEDDING_DIM, (k + 1) * EMBEDDING_DIM);
      const sigma = (TRACK_NOISE * al.norm) / Math.sqrt(EMBEDDING_DIM);
      for (let d = 0; d < EMBEDDING_DIM; d++) v[d] = al.centre[d] + sigma * gauss();
      const scale = al.norm / Math.hypot(...v);
      for (let d = 0; d < EMBEDDING_DIM; d++) v[d] *= scale;
      const other: SeedTrack = seedAt();
      const tempoBase = rand() < 0.5 ? al.tempo : other.tempo;
      const duration = clamp(Math.exp(Math.log(230) + 0.35 * gauss()), 30, 1800);
      const title = titleOf(rand);
      const path = `/music/${fileSafe(al.artist.name)}/${fileSafe(al.title)}/${String(al.tracks).padStart(2, '0')} - ${fileSafe(title)}.flac`;
      const values = [
        itemId(`${path}/${i}`),
        al.id,
        title,
        al.artist.name,
        al.title,
        Math.round(duration * 10) / 10,
        `${Math.round(duration * 110_000)}:${1_500_000_000 + i}`,
        path,
        al.artist.id,
        encodeEmbedding(v),
        undefined, // tags and mood heads: filled in once the heads have run on the whole batch
        ...MOOD_HEAD_COLUMNS.map(() => undefined),
        tempoBase === null ? null : clamp(tempoBase * (1 + 0.03 * gauss()), 40, 200),
        other.key,
        other.scale,
        other.keyStrength,
        al.energy === null ? null : clamp(al.energy + 0.05 * gauss(), 0, 1),
        Math.max(1, Math.round(duration / PATCH_SEC)),
      ];
      values.forEach((x, c) => (cols[c][k] = x));
    }
    return { n: count, cols, embeddings };
  };

  let pending: Promise<unknown> | undefined;
  for (let from = 0; from < n; from += batchSize) {
    const count = Math.min(batchSize, n - from);
    let t = performance.now();
    const batch = draw(from, count);
    stats.drawSeconds += (performance.now() - t) / 1000;
    t = performance.now();
    const { tags, moodHeads } = await opts.heads.apply(batch.embeddings, count);
    stats.headsSeconds += (performance.now() - t) / 1000;
    for (let k = 0; k < count; k++)
      batch.cols[10][k] = `{${Array.from(tags.subarray(k * TAGS.length, (k + 1) * TAGS.length)).join(',')}}`;
    MOOD_HEAD_COLUMNS.forEach((h, j) => (batch.cols[11 + j] = Array.from(moodHeads[h])));
    t = performance.now();
    await pending;
    stats.waitSeconds += (performance.now() - t) / 1000;
    pending = pool.query(INSERT_SQL, [source, ...batch.cols, version]);
    pending.catch(() => undefined); // awaited (and thrown) with the next batch; not an unhandled rejection meanwhile
    opts.onProgress?.(from, n);
  }
  const t = performance.now();
  await pending;
  stats.waitSeconds += (performance.now() - t) / 1000;
  opts.onProgress?.(n, n);
  return {
    tracks: n,
    albums: nAlbums,
    artists: nArtists,
    analysisVersion: version,
    seconds: (performance.now() - t0) / 1000,
    ...stats,
  };
}
