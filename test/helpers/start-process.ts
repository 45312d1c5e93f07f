// `npm start` (cli/start.ts) as a child process, for tests that run it the way a user does.
import { spawn, type ChildProcess } from 'node:child_process';

export interface StartedProcess {
  child: ChildProcess;
  /** The exit code, once the process ends. */
  exited: Promise<number | null>;
  /** stdout and stderr so far, interleaved. */
  output(): string;
  /** Resolves with GET /api/health's body once it answers 200; throws with the output if the process exits. */
  healthy(webPort: number, timeoutMs: number): Promise<unknown>;
  /** Ctrl-C, and the exit code. */
  stop(): Promise<number | null>;
}

export function startProcess(cwd: string, env: NodeJS.ProcessEnv): StartedProcess {
  let out = '';
  const child = spawn(process.execPath, ['--import', 'tsx', 'cli/start.ts'], {
    cwd,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return {
    child,
    exited,
    output: () => out,
    async healthy(webPort, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      let last: unknown;
      while (Date.now() < deadline) {
        if (child.exitCode !== null) throw new Error(`npm start exited early (${child.exitCode}):\n${out}`);
        try {
          const res = await fetch(`http://127.0.0.1:${webPort}/api/health`);
          last = await res.json();
          if (res.status === 200) return last;
        } catch (err) {
          last = err;
        }
        await new Promise((r) => setTimeout(r, 250));
      }
      throw new Error(`not healthy within ${timeoutMs} ms; last answer ${JSON.stringify(last)}\n${out}`);
    },
    async stop() {
      if (child.exitCode === null) child.kill('SIGINT');
      return exited;
    },
  };
}
