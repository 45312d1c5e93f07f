// Runs ANALYSIS_WORKERS analysis processes beside the main worker and restarts any that dies (OOM kill,
// native crash) with a growing delay. One process per core measured fastest: the engine's mel, DSP and ONNX
// calls are synchronous, so threads in one process would queue behind each other.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const entry = fileURLToPath(new URL('./analysis-process.ts', import.meta.url));
const tsx = import.meta.resolve('tsx');

export interface AnalysisPool {
  pids(): number[];
  stop(): Promise<void>;
}

export function startAnalysisPool(
  count: number,
  env: NodeJS.ProcessEnv,
  opts: { killAfterMs?: number } = {},
): AnalysisPool {
  const killAfterMs = opts.killAfterMs ?? 20_000;
  let stopping = false;
  const children = new Set<ChildProcess>();

  const spawnOne = (slot: number, failures: number) => {
    const child = fork(entry, [], { execArgv: ['--import', tsx], env, stdio: 'inherit' });
    children.add(child);
    const started = Date.now();
    child.on('exit', (code, signal) => {
      children.delete(child);
      if (stopping) return;
      // A process that ran for a while starts again at once; one that keeps dying backs off up to 30 s.
      const n = Date.now() - started > 60_000 ? 0 : failures + 1;
      const delay = Math.min(30_000, n === 0 ? 0 : 1000 * 2 ** (n - 1));
      console.warn(
        `analysis process ${slot} (pid ${child.pid}) exited (${signal ?? code}); restarting in ${delay / 1000} s`,
      );
      setTimeout(() => {
        if (!stopping) spawnOne(slot, n);
      }, delay).unref();
    });
  };
  for (let i = 0; i < count; i++) spawnOne(i, 0);

  return {
    pids: () => [...children].map((c) => c.pid!).filter(Boolean),
    async stop() {
      stopping = true;
      await Promise.all(
        [...children].map(
          (child) =>
            new Promise<void>((resolve) => {
              if (child.exitCode !== null || child.signalCode !== null) return resolve();
              const kill = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
              child.once('exit', () => {
                clearTimeout(kill);
                resolve();
              });
              child.kill('SIGTERM');
            }),
        ),
      );
    },
  };
}
