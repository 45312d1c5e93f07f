// Ordered, idempotent shutdown on SIGINT / SIGTERM: the last thing started stops first.
type Step = { name: string; stop: () => Promise<unknown> };

export class Shutdown {
  private readonly steps: Step[] = [];
  private running?: Promise<void>;

  add(name: string, stop: () => Promise<unknown>): void {
    this.steps.push({ name, stop });
  }

  run(): Promise<void> {
    this.running ??= (async () => {
      for (const step of [...this.steps].reverse()) {
        try {
          await step.stop();
        } catch (err) {
          console.error(`shutdown: ${step.name}: ${(err as Error).message}`);
        }
      }
    })();
    return this.running;
  }

  /** Stops everything on the first SIGINT/SIGTERM; a second signal exits at once. */
  onSignals(exit: (code: number) => void = (c) => process.exit(c)): void {
    let count = 0;
    const handler = (signal: NodeJS.Signals) => {
      if (++count > 1) exit(130);
      console.log(`\n${signal} received, stopping...`);
      void this.run().then(() => exit(0));
    };
    process.on('SIGINT', handler);
    process.on('SIGTERM', handler);
  }
}
