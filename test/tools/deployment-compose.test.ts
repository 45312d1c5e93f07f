// Validates deployment/compose.yaml with a real compose implementation (`docker-compose config`) and
// checks the resolved file: every variable of lib/config.ts reaches web and worker, healthchecks back every
// depends_on condition, the worker scales, and no credential is written in the file.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { SPEC } from '../../lib/config.ts';
import { repoRoot } from '../shared-paths.ts';
import { isSecretVar, requireTool, run } from '../helpers/deployment-tools.ts';

const dir = path.join(repoRoot, 'deployment');
const composeFile = path.join(dir, 'compose.yaml');
const envExample = path.join(dir, '.env.example');

type Compose = any;

function config(t: TestContext, envFile: string): { code: number; resolved?: Compose; stderr: string } | undefined {
  const compose = requireTool(t, 'compose');
  if (!compose) return undefined;
  // A clean environment: only the env file may set the variables.
  const env = { PATH: process.env.PATH, HOME: process.env.HOME };
  const r = run([...compose, '--env-file', envFile, '-f', composeFile, 'config'], { cwd: dir, env });
  return { code: r.code, stderr: r.stderr, resolved: r.code === 0 ? parse(r.stdout) : undefined };
}

test('compose config accepts the file with .env.example; every variable reaches web and worker', (t) => {
  const r = config(t, envExample);
  if (!r) return;
  assert.equal(r.code, 0, r.stderr);
  const { services } = r.resolved;
  for (const name of ['postgres', 'temporal', 'temporal-ui', 'audiomuse-web', 'audiomuse-worker', 'ollama'])
    assert.ok(services[name], name);
  assert.match(services.postgres.image, /^postgres:/);
  assert.match(services.temporal.image, /^temporalio\/server:/);
  assert.match(services['temporal-ui'].image, /^temporalio\/ui:/);
  assert.deepEqual(services.ollama.profiles, ['ollama'], 'Ollama only with --profile ollama');
  for (const name of ['audiomuse-web', 'audiomuse-worker']) {
    const env = services[name].environment;
    assert.deepEqual(
      Object.keys(SPEC).filter((v) => !(v in env)),
      [],
      `${name}: variables of lib/config.ts missing from compose.yaml`,
    );
    assert.equal(env.POSTGRES_HOST, 'postgres');
    assert.equal(env.TEMPORAL_ADDRESS, 'temporal:7233');
    assert.equal(services[name].read_only, true, `${name}: read-only root`);
  }
  // Every variable the user may set is in .env.example (with its default in the comment above it).
  const example = fs.readFileSync(envExample, 'utf8');
  const raw = fs.readFileSync(composeFile, 'utf8');
  for (const name of Object.keys(SPEC)) {
    const fixedInCompose = new RegExp(`^  ${name}: (?!\\$\\{)`, 'm').test(raw);
    if (!fixedInCompose) assert.match(example, new RegExp(`^${name}=`, 'm'), `.env.example lists ${name}`);
  }
});

test('healthchecks back every depends_on condition; one-shot services end; the worker scales', (t) => {
  const r = config(t, envExample);
  if (!r) return;
  const { services } = r.resolved;
  for (const [name, svc] of Object.entries<Compose>(services)) {
    for (const [dep, { condition }] of Object.entries<Compose>(svc.depends_on ?? {})) {
      if (condition === 'service_healthy')
        assert.ok(services[dep].healthcheck?.test, `${name} waits for ${dep}'s healthcheck, which must exist`);
      if (condition === 'service_completed_successfully')
        assert.ok(
          services[dep].restart !== 'always' && services[dep].restart !== 'unless-stopped',
          `${dep} is a one-shot`,
        );
    }
  }
  assert.equal(services['audiomuse-web'].depends_on.postgres.condition, 'service_healthy');
  assert.equal(services['audiomuse-worker'].depends_on.models.condition, 'service_completed_successfully');
  assert.deepEqual(services['audiomuse-web'].healthcheck.test, [
    'CMD',
    'node',
    '/app/deployment/healthcheck.mjs',
    'ready',
  ]);
  const worker = services['audiomuse-worker'];
  assert.equal(worker.container_name, undefined, '--scale needs no fixed container name');
  assert.equal(worker.ports, undefined, '--scale needs no published port');
  // SIGTERM: the worker's grace (default of lib/config.ts) + 15 s for analysis processes fit before SIGKILL.
  const seconds = (s: string) => Number(/^(\d+)s$/.exec(s)![1]);
  assert.ok(
    SPEC.WORKER_SHUTDOWN_GRACE_SECONDS.default + 15 < seconds(worker.stop_grace_period),
    worker.stop_grace_period,
  );
});

test('Temporal Web (no login, it can cancel and terminate runs) is published on loopback only', (t) => {
  const r = config(t, envExample);
  if (!r) return;
  // docker-compose v1 prints "ip:published:target/proto"; the Compose spec's long form has host_ip.
  const hostIps = (svc: Compose) =>
    (svc.ports ?? []).map((p: Compose) =>
      typeof p === 'string' ? (/^(?:(.+):)?\d+:\d+(?:\/\w+)?$/.exec(p)?.[1] ?? '') : (p.host_ip ?? ''),
    );
  assert.deepEqual(hostIps(r.resolved.services['temporal-ui']), ['127.0.0.1']);
  for (const [name, svc] of Object.entries<Compose>(r.resolved.services))
    if (name !== 'audiomuse-web') assert.ok(!hostIps(svc).includes(''), `${name} publishes no port on every interface`);
});

test('no credential is written in compose.yaml; POSTGRES_PASSWORD must be set', (t) => {
  const raw = fs.readFileSync(composeFile, 'utf8');
  for (const m of raw.matchAll(/^\s+([A-Z_]+): (.*)$/gm)) {
    if (!isSecretVar(m[1]) && m[1] !== 'POSTGRES_PWD') continue;
    assert.match(m[2], /^\$\{[A-Z_]+(:-|:\?)/, `${m[1]} comes from .env`);
    assert.doesNotMatch(m[2], /:-[^}]/, `${m[1]} has no written default`);
  }
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'audiomuse-compose-'));
  try {
    const env = path.join(tmp, '.env');
    fs.writeFileSync(env, fs.readFileSync(envExample, 'utf8').replace(/^POSTGRES_PASSWORD=.*$/m, 'POSTGRES_PASSWORD='));
    const r = config(t, env);
    if (!r) return;
    assert.notEqual(r.code, 0, 'an empty POSTGRES_PASSWORD is refused');
    assert.match(r.stderr, /set POSTGRES_PASSWORD in deployment\/\.env/);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
