// Container health probe against GET /api/health (plain JS: it starts in ~50 ms, without tsx).
// `live`: the web server answers with its health JSON (200 or 503). `ready`: it answers and PostgreSQL is
// up, so the page can show what else is down. Exit 0 = healthy. The worker role has no HTTP server: PID 1's
// command line names the role, and a worker is healthy while its process runs (Temporal sees its pollers).
import { readFileSync } from 'node:fs';

const mode = process.argv[2] ?? 'ready';
const port = process.env.WEB_PORT || '8000';
const url = process.env.HEALTHCHECK_URL || `http://127.0.0.1:${port}/api/health`;

function pid1Role() {
  try {
    const args = readFileSync('/proc/1/cmdline', 'utf8').split('\0');
    const i = args.findIndex((a) => a.endsWith('docker-entrypoint.sh'));
    return i < 0 ? '' : args[i + 1] || 'web';
  } catch {
    return '';
  }
}

async function main() {
  if (!process.env.HEALTHCHECK_URL && pid1Role() === 'worker') return 0;
  const res = await fetch(url, { signal: AbortSignal.timeout(4000) });
  const body = await res.json().catch(() => undefined);
  if (!body || typeof body !== 'object' || !('postgres' in body)) {
    console.error(`${url}: HTTP ${res.status} without the health JSON`);
    return 1;
  }
  if (mode === 'live') return 0;
  if (res.status === 200 || body.postgres?.ok === true) return 0;
  console.error(`${url}: PostgreSQL is down: ${body.postgres?.error ?? 'unknown'}`);
  return 1;
}

main().then((code) => process.exit(code), (err) => {
  console.error(`${url}: ${err.message}`);
  process.exit(1);
});
