// Evaluates a generation's candidates on worker threads. The searched data (a big library's sample only) is
// copied once into shared memory; each worker takes the next task when idle, and results are returned in task order, so the
// outcome is the same bits as in-thread evaluation whatever the scheduling.
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import {
  resolveSearchOptions,
  searchedData,
  type CandidateEvaluator,
  type CandidateResult,
  type SearchData,
  type SearchOptions,
} from './search.ts';
import { matrix, type Matrix } from './types.ts';

function shared<T extends Float64Array | Int32Array>(a: T): T {
  const copy = new (a.constructor as { new (b: SharedArrayBuffer): T })(new SharedArrayBuffer(a.byteLength));
  copy.set(a as never);
  return copy;
}
const sharedMatrix = (m: Matrix) => matrix(m.rows, m.cols, shared(m.data));

/** The search data backed by SharedArrayBuffers (workers read it without copies). */
export function shareSearchData(d: SearchData): SearchData {
  return {
    ...d,
    profile: sharedMatrix(d.profile),
    artists: shared(d.artists),
    scaled: sharedMatrix(d.scaled),
    pca: d.pca && sharedMatrix(d.pca),
    sample: null,
  };
}

/** JSON with object keys sorted, so equal options compare equal whatever order they were written in. */
function canonicalJson(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) =>
    x && typeof x === 'object' && !Array.isArray(x)
      ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => (a < b ? -1 : 1)))
      : x,
  );
}

// Workers do not inherit tsx's loader hooks, so each one registers tsx before importing the .ts entry.
const TSX_API = import.meta.resolve('tsx/esm/api');
const ENTRY = new URL('./pool-worker.ts', import.meta.url).href;
const BOOT = `import(${JSON.stringify(TSX_API)}).then(({ register }) => { register(); return import(${JSON.stringify(ENTRY)}); })`;

type Reply = { ok: true; result: CandidateResult } | { ok: false; index: number; error: string };

export class WorkerPool {
  private busy = false;
  private closed = false;

  private constructor(
    private readonly workers: Worker[],
    private readonly optionsJson: string,
  ) {}

  /** Starts `threads` workers (default: all cores) over the given data and options. */
  static create(data: SearchData, opts: Partial<SearchOptions> = {}, threads = os.availableParallelism()): WorkerPool {
    if (!Number.isInteger(threads) || threads < 1)
      throw new RangeError(`WorkerPool: threads must be an integer ≥ 1, got ${threads}`);
    const workerData = { data: shareSearchData(searchedData(data)), options: resolveSearchOptions(data, opts) };
    return new WorkerPool(
      Array.from({ length: threads }, () => new Worker(BOOT, { eval: true, workerData })),
      canonicalJson(workerData.options),
    );
  }

  get size(): number {
    return this.workers.length;
  }

  /** CandidateEvaluator for evolveGeneration / runSearch. */
  readonly evaluate: CandidateEvaluator = (tasks, onResult, options) => {
    if (this.closed) return Promise.reject(new Error('WorkerPool is closed'));
    // The workers score with the options they were created with: a different set would silently diverge.
    if (canonicalJson(options) !== this.optionsJson)
      return Promise.reject(new Error('WorkerPool: search options differ from the ones the pool was created with'));
    if (this.busy) return Promise.reject(new Error('WorkerPool.evaluate is already running'));
    this.busy = true;
    const results: CandidateResult[] = new Array(tasks.length);
    return new Promise<CandidateResult[]>((resolve, reject) => {
      let next = 0;
      let pending = tasks.length;
      let failed = false;
      const cleanups: (() => void)[] = [];
      const finish = (err?: Error) => {
        cleanups.forEach((c) => c());
        this.busy = false;
        if (!err) return resolve(results);
        // Workers may still be busy with this generation's tasks: the pool cannot be reused.
        void this.close();
        reject(err);
      };
      if (pending === 0) return finish();
      const position = new Map(tasks.map((t, i) => [t.index, i]));
      for (const w of this.workers) {
        const send = () => {
          if (next < tasks.length) w.postMessage(tasks[next++]);
        };
        const onMessage = (m: Reply) => {
          if (failed) return;
          if (!m.ok) {
            failed = true;
            return finish(new Error(`candidate ${m.index} failed in a worker: ${m.error}`));
          }
          results[position.get(m.result.index)!] = m.result;
          onResult(m.result);
          if (--pending === 0) return finish();
          send();
        };
        const onError = (e: Error) => {
          if (!failed) {
            failed = true;
            finish(e);
          }
        };
        // close() during a generation (a cancelled activity) terminates the workers: without this the
        // generation's promise would never settle and the activity would hold up worker shutdown for ever.
        const onExit = () => onError(new Error('WorkerPool was closed during the generation'));
        w.on('message', onMessage);
        w.on('error', onError);
        w.on('exit', onExit);
        cleanups.push(() => {
          w.off('message', onMessage);
          w.off('error', onError);
          w.off('exit', onExit);
        });
        send();
      }
    });
  };

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
