// Polling with a deadline: a wait for a state that never comes fails with what it waited for, instead of
// hanging until the test runner's timeout. Deadlines are generous (the machine may be loaded): they bound a
// hang, they do not measure speed.

/** Calls `check` every `everyMs` until it returns a value other than undefined or false; returns that value. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 120_000,
  everyMs = 200,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
