// Process-wide Temporal runtime settings, installed once before any worker or connection is created.
import { DefaultLogger, Runtime } from '@temporalio/worker';

let installed = false;

/** We handle SIGINT/SIGTERM ourselves so that worker, web and embedded servers stop in order. */
export function installRuntime(level: 'WARN' | 'INFO' | 'ERROR' = 'WARN'): void {
  if (installed) return;
  Runtime.install({ logger: new DefaultLogger(level), shutdownSignals: [] });
  installed = true;
}
