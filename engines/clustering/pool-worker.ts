// Worker thread of WorkerPool: holds the shared search data and evaluates the candidates it is sent.
import { parentPort, workerData } from 'node:worker_threads';
import { evaluateCandidate, type CandidateTask, type SearchData, type SearchOptions } from './search.ts';

const { data, options } = workerData as { data: SearchData; options: SearchOptions };

parentPort!.on('message', (task: CandidateTask) => {
  try {
    parentPort!.postMessage({ ok: true, result: evaluateCandidate(data, task, options) });
  } catch (e) {
    parentPort!.postMessage({ ok: false, index: task.index, error: (e as Error).stack ?? String(e) });
  }
});
