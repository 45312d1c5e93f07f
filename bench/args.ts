// The benchmarks' `--name value` options.
const argv = process.argv.slice(2);

/** The value after `--name` on the command line, or `dflt`. */
export function arg(name: string, dflt: string): string {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1] : dflt;
}
