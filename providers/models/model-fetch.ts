// Downloads the MusiCNN model files of the manifest into MODELS_DIR, for `npm run models:fetch` and for
// `npm start` on a fresh checkout. A file is saved only once its size and sha256 match the manifest.
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { maskCredentials } from '../../lib/config.ts';
import { MODEL_MANIFEST, readModel, sha256, type ModelFile } from '../../engines/analysis/model-files.ts';

export interface FetchOptions {
  /** Replaces the manifest's download folder (a mirror): `<baseUrl>/<file>`. */
  baseUrl?: string;
  attempts?: number;
  log?: (line: string) => void;
  /** Bytes received so far over all files being fetched, and their total. */
  onBytes?: (received: number, total: number) => void;
  /** Give up on the remaining files after the first failure (a dead mirror fails them all, slowly). */
  stopAtFirstFailure?: boolean;
}

export interface FetchFailure {
  file: string;
  error: string;
}

/** fetch() reports "fetch failed" and hides why (ECONNREFUSED, ENOTFOUND...) in `cause`. */
function reason(err: unknown): string {
  const e = err as Error & { cause?: { code?: string; message?: string } };
  const cause = e.cause?.code ?? e.cause?.message;
  return cause ? `${e.message} (${cause})` : String(e.message ?? e);
}

async function download(url: string, attempts: number, onChunk: (bytes: number) => void): Promise<Uint8Array> {
  let last: unknown;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const chunks: Uint8Array[] = [];
    try {
      const res = await fetch(url, { redirect: 'follow', signal: AbortSignal.timeout(120_000) });
      if (!res.ok || !res.body) throw new Error(`HTTP ${res.status} ${res.statusText}`);
      for await (const chunk of res.body) {
        chunks.push(chunk);
        onChunk(chunk.length);
      }
      return Buffer.concat(chunks);
    } catch (err) {
      last = err;
      onChunk(-chunks.reduce((n, c) => n + c.length, 0)); // the retry starts this file's bytes again
      if (attempt < attempts) await new Promise((r) => setTimeout(r, 1000 * 2 ** attempt));
    }
  }
  throw new Error(`download of ${maskCredentials(url)} failed after ${attempts} attempt(s): ${reason(last)}`);
}

const urlOf = (m: ModelFile, baseUrl?: string) => (baseUrl ? `${baseUrl.replace(/\/+$/, '')}/${m.file}` : m.url);

/** The manifest files in `modelsDir` that are missing or do not verify. */
export async function modelsToFetch(modelsDir: string): Promise<ModelFile[]> {
  const results = await Promise.all(MODEL_MANIFEST.files.map((m) => readModel(modelsDir, m)));
  return MODEL_MANIFEST.files.filter((_, i) => !(results[i] instanceof Uint8Array));
}

/**
 * Downloads every manifest file missing from `modelsDir` (or not verifying), checks size and sha256 before
 * saving (a truncated or altered download is never written), skips files that already verify. Returns the
 * files that could not be fetched, with the reason.
 */
export async function fetchModels(modelsDir: string, opts: FetchOptions = {}): Promise<FetchFailure[]> {
  const log = opts.log ?? (() => {});
  await mkdir(modelsDir, { recursive: true });
  const todo = new Set(await modelsToFetch(modelsDir));
  const total = [...todo].reduce((n, m) => n + m.bytes, 0);
  let received = 0;
  const failed: FetchFailure[] = [];
  for (const m of MODEL_MANIFEST.files) {
    if (!todo.has(m)) {
      log(`ok       ${m.file} (already present, sha256 verified)`);
      continue;
    }
    if (failed.length && opts.stopAtFirstFailure) {
      failed.push({ file: m.file, error: 'not tried after an earlier failure' });
      continue;
    }
    const url = urlOf(m, opts.baseUrl);
    const tmp = join(modelsDir, `.${m.file}.${process.pid}.part`); // never a half-written file under the real name
    const before = received;
    try {
      const bytes = await download(url, opts.attempts ?? 3, (n) => {
        received += n;
        opts.onBytes?.(received, total);
      });
      const got = sha256(bytes);
      if (bytes.length !== m.bytes || got !== m.sha256) {
        throw new Error(
          `checksum mismatch for ${url}: got ${bytes.length} bytes, sha256 ${got}; expected ${m.bytes} bytes, sha256 ${m.sha256}; not saved`,
        );
      }
      await writeFile(tmp, bytes);
      await rename(tmp, join(modelsDir, m.file));
      log(`fetched  ${m.file} (${m.bytes} bytes, sha256 verified)`);
    } catch (err) {
      received = before;
      await rm(tmp, { force: true });
      failed.push({ file: m.file, error: (err as Error).message });
      log(`FAILED   ${m.file}: ${(err as Error).message}`);
    }
  }
  return failed;
}

const mb = (bytes: number) => (bytes / 1e6).toFixed(1);

/**
 * `npm start`: makes sure MODELS_DIR holds the verified model files, fetching what is missing. `progress`
 * gets what is fetched from where, a line per quarter of the bytes, and the outcome. Resolves to undefined
 * when every file verifies, else to one line saying what failed and what to do; never throws.
 */
export async function ensureModels(
  modelsDir: string,
  opts: { baseUrl?: string; attempts?: number; progress: (line: string) => void },
): Promise<string | undefined> {
  try {
    const todo = await modelsToFetch(modelsDir);
    if (!todo.length) return undefined;
    const total = todo.reduce((n, m) => n + m.bytes, 0);
    const from = new URL(urlOf(todo[0], opts.baseUrl)).host;
    opts.progress(
      `MusiCNN models: fetching ${todo.length} file(s), ${mb(total)} MB, from ${from} into ${modelsDir} (weights licensed ${MODEL_MANIFEST.licence})`,
    );
    let shown = 0;
    const failed = await fetchModels(modelsDir, {
      baseUrl: opts.baseUrl,
      attempts: opts.attempts ?? 2,
      stopAtFirstFailure: true,
      onBytes: (received, all) => {
        const quarter = Math.floor((4 * received) / all);
        if (quarter > shown) {
          shown = quarter;
          opts.progress(`MusiCNN models: ${quarter * 25} % (${mb(received)} of ${mb(all)} MB)`);
        }
      },
    });
    if (!failed.length) {
      opts.progress(`MusiCNN models: ${todo.length} file(s) fetched and verified`);
      return undefined;
    }
    return (
      `MusiCNN models: could not fetch ${failed[0].file}: ${failed[0].error}. Analysis waits until \`npm run models:fetch\` succeeds ` +
      '(MODELS_BASE_URL names a mirror, MODELS_DIR a folder already holding the files); everything else runs.'
    );
  } catch (err) {
    return `MusiCNN models: cannot prepare ${modelsDir}: ${(err as Error).message}`;
  }
}
