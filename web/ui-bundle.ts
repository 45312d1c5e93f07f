// The page's script and styles (web/ui/*.ts, *.css) bundled by esbuild into web/dist/, rebuilt when missing or
// older than a source, so `npm start` on a fresh checkout serves the page without a separate build step.
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const WEB_DIR = path.dirname(fileURLToPath(import.meta.url));
export const UI_SOURCE_DIR = path.join(WEB_DIR, 'ui');
/** The shared words the page imports (reason labels, the analysis profile's facts): a change there rebuilds it too. */
const WORDS_DIR = path.join(WEB_DIR, '..', 'words');
export const UI_DIST_DIR = path.join(WEB_DIR, 'dist');
/** What the page loads (web/public/index.html names them). */
export const UI_OUTPUTS = ['main.js', 'main.css'];

async function mtime(file: string): Promise<number> {
  return (await fs.stat(file).catch(() => undefined))?.mtimeMs ?? -1;
}

async function newestSource(dir: string): Promise<number> {
  let newest = 0;
  for (const e of await fs.readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? await newestSource(p) : await mtime(p));
  }
  return newest;
}

export async function uiBundleIsFresh(): Promise<boolean> {
  const built = Math.min(...(await Promise.all(UI_OUTPUTS.map((f) => mtime(path.join(UI_DIST_DIR, f))))));
  return built >= 0 && built >= Math.max(await newestSource(UI_SOURCE_DIR), await newestSource(WORDS_DIR));
}

/** Bundles web/ui into web/dist; each file is written beside and renamed, so a concurrent reader (another
 *  process building at the same moment) never sees half a file. */
export async function buildUiBundle(): Promise<void> {
  // esbuild is installed in production too (tsx depends on it); imported only when a build is needed.
  const { build } = await import('esbuild');
  const result = await build({
    entryPoints: [path.join(UI_SOURCE_DIR, 'main.ts')],
    bundle: true,
    format: 'esm',
    target: 'es2022',
    minify: true,
    sourcemap: 'linked',
    outdir: UI_DIST_DIR,
    write: false,
    logLevel: 'silent',
  });
  await fs.mkdir(UI_DIST_DIR, { recursive: true });
  for (const out of result.outputFiles) {
    const tmp = `${out.path}.${process.pid}.tmp`;
    await fs.writeFile(tmp, out.contents);
    await fs.rename(tmp, out.path);
  }
}

let ensured: Promise<void> | undefined;

/** Builds the bundle once per process when it is missing or stale; the web server awaits this before serving. */
export function ensureUiBundle(): Promise<void> {
  ensured ??= (async () => {
    if (!(await uiBundleIsFresh())) await buildUiBundle();
  })();
  return ensured;
}
