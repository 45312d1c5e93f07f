// Task queue names derived from TEMPORAL_TASK_QUEUE. No imports: workflow code uses it too.

/** The CPU-heavy track analysis has its own queue, polled by analysis processes (one track each). */
export function analysisTaskQueue(mainQueue: string): string {
  return `${mainQueue}-analysis`;
}

/** Search generations have their own queue, one at a time per worker: each one already uses every core. */
export function clusteringTaskQueue(mainQueue: string): string {
  return `${mainQueue}-clustering`;
}
