// Renders the Helm chart with real helm (default values, scaled workers, values-k3s.yaml,
// values-external.yaml), validates every manifest with kubernetes-validate against the Kubernetes schemas,
// and checks the objects: replicas follow values, secrets stay out of ConfigMaps, non-root containers with
// limits, probes on /api/health, every variable of lib/config.ts's SPEC reaches the pods with its default.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseAllDocuments, parse } from 'yaml';
import { SPEC } from '../../lib/config.ts';
import { WEB_DRAIN_MS } from '../../web/server.ts';
import { repoRoot } from '../shared-paths.ts';
import { isSecretVar, requireTool, run } from '../helpers/deployment-tools.ts';

const chart = path.join(repoRoot, 'deployment', 'helm', 'audiomuse');
const release = 'audiomuse';
// Kubernetes versions the manifests must validate against: an older K3S still in use, and the newest schema.
const KUBE_VERSIONS = ['1.30.0', '1.37.0'];
// Values the chart sets for the container on purpose (service addresses, image folders, per-pod sizing);
// every other variable keeps the default of lib/config.ts.
const DEPLOYMENT_SPECIFIC = new Set([
  'POSTGRES_HOST',
  'TEMPORAL_ADDRESS',
  'MODELS_DIR',
  'TEMP_DIR',
  'DATA_DIR',
  'MUSIC_DIR',
  'WORKFLOW_BUNDLE',
  'ANALYSIS_WORKERS',
]);

type K8s = any;

function render(t: TestContext, args: string[]): K8s[] | undefined {
  const helm = requireTool(t, 'helm');
  if (!helm) return undefined;
  const r = run([...helm, 'template', release, chart, ...args]);
  assert.equal(r.code, 0, `helm template ${args.join(' ')} failed: ${r.stderr}`);
  const docs = parseAllDocuments(r.stdout)
    .map((d) => d.toJS())
    .filter(Boolean);
  validate(t, r.stdout, docs);
  return docs;
}

function validate(t: TestContext, manifests: string, docs: K8s[]): void {
  const kv = requireTool(t, 'kubernetes-validate');
  if (!kv) return;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'audiomuse-k8s-'));
  try {
    const file = path.join(dir, 'manifests.yaml');
    fs.writeFileSync(file, manifests);
    for (const version of KUBE_VERSIONS) {
      const r = run([...kv, '--strict', '-k', version, file]);
      assert.equal(r.code, 0, `kubernetes-validate ${version}: ${r.stdout}${r.stderr}`);
      // K3S's HelmChart is a CRD without a published schema; it is checked field by field below.
      const unknown = r.stdout
        .split('\n')
        .filter(
          (l) => /Couldn't find schema/.test(l) && !/kind HelmChart with api version helm\.cattle\.io\/v1/.test(l),
        );
      assert.deepEqual(unknown, [], 'every other kind is validated against its schema');
      const passed = r.stdout.split('\n').filter((l) => /^INFO .* passed/.test(l)).length;
      assert.equal(
        passed,
        docs.filter((d) => d.kind !== 'HelmChart').length,
        `every manifest passed ${version}: ${r.stdout}`,
      );
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const find = (docs: K8s[], kind: string, suffix = '') =>
  docs.filter((d) => d.kind === kind && d.metadata.name.endsWith(suffix));
const one = (docs: K8s[], kind: string, suffix = '') => {
  const found = find(docs, kind, suffix);
  assert.equal(found.length, 1, `one ${kind} named *${suffix}`);
  return found[0];
};
const podSpecs = (docs: K8s[]) =>
  docs
    .filter((d) => ['Deployment', 'StatefulSet'].includes(d.kind))
    .map((d) => ({ name: d.metadata.name, spec: d.spec.template.spec }));
const containers = (spec: K8s): K8s[] => [...(spec.initContainers ?? []), ...spec.containers];

/** The variables a pod sees: its ConfigMap's and Secret's keys (the Secret's keys come from values when it is the user's own). */
function podEnv(
  docs: K8s[],
  spec: K8s,
  existingSecretKeys: string[] = [],
): { config: Record<string, string>; secretKeys: string[] } {
  const config: Record<string, string> = {};
  const secretKeys: string[] = [];
  for (const c of spec.containers) {
    for (const from of c.envFrom ?? []) {
      if (from.configMapRef) Object.assign(config, one(docs, 'ConfigMap', from.configMapRef.name).data);
      if (from.secretRef) {
        const s = find(docs, 'Secret', from.secretRef.name)[0];
        secretKeys.push(...(s ? Object.keys(s.stringData ?? s.data ?? {}) : existingSecretKeys));
      }
    }
  }
  return { config, secretKeys };
}

const memMi = (q: string) => {
  const m = /^(\d+)(Mi|Gi)$/.exec(q);
  assert.ok(m, `memory quantity ${q}`);
  return Number(m[1]) * (m[2] === 'Gi' ? 1024 : 1);
};

function commonChecks(docs: K8s[]): void {
  // Every container runs as non-root, read-only, without capabilities, with CPU and memory limits.
  for (const { name, spec } of podSpecs(docs)) {
    assert.equal(spec.automountServiceAccountToken, false, `${name}: no API token mounted`);
    for (const c of containers(spec)) {
      const sc = { ...spec.securityContext, ...c.securityContext };
      assert.equal(sc.runAsNonRoot, true, `${name}/${c.name} runs as non-root`);
      assert.ok(Number.isInteger(sc.runAsUser) && sc.runAsUser > 0, `${name}/${c.name} has a non-zero runAsUser`);
      assert.equal(c.securityContext?.readOnlyRootFilesystem, true, `${name}/${c.name} read-only root`);
      assert.equal(c.securityContext?.allowPrivilegeEscalation, false, `${name}/${c.name} no privilege escalation`);
      assert.deepEqual(c.securityContext?.capabilities?.drop, ['ALL'], `${name}/${c.name} drops all capabilities`);
      assert.ok(c.resources?.limits?.cpu && c.resources?.limits?.memory, `${name}/${c.name} has CPU and memory limits`);
      assert.ok(c.resources?.requests?.cpu && c.resources?.requests?.memory, `${name}/${c.name} has requests`);
    }
  }
  // Secrets never in a ConfigMap.
  for (const cm of find(docs, 'ConfigMap')) {
    assert.deepEqual(Object.keys(cm.data).filter(isSecretVar), [], `${cm.metadata.name} holds no secret variable`);
  }
  // The web probes go to /api/health through the image's health check script.
  const web = one(docs, 'Deployment', '-web').spec.template.spec;
  const script = fs.readFileSync(path.join(repoRoot, 'deployment', 'healthcheck.mjs'), 'utf8');
  assert.match(script, /\/api\/health`/, 'healthcheck.mjs asks /api/health');
  for (const probe of ['startupProbe', 'livenessProbe', 'readinessProbe']) {
    assert.deepEqual(
      web.containers[0][probe]?.exec?.command?.slice(0, 2),
      ['node', '/app/deployment/healthcheck.mjs'],
      `web ${probe}`,
    );
  }
  // Draining: the preStop pause and the server's drain fit in the grace period.
  const preStop = Number(web.containers[0].lifecycle.preStop.exec.command[1]);
  assert.ok(
    preStop + WEB_DRAIN_MS / 1000 < web.terminationGracePeriodSeconds,
    `web: ${preStop} s + ${WEB_DRAIN_MS / 1000} s drain < ${web.terminationGracePeriodSeconds} s`,
  );
  // Worker: the activities' grace and the analysis processes' 15 s beyond it fit before SIGKILL.
  const worker = one(docs, 'Deployment', '-worker').spec.template.spec;
  const { config } = podEnv(docs, worker);
  const grace = Number(config.WORKER_SHUTDOWN_GRACE_SECONDS);
  assert.ok(
    grace > 0 && grace + 15 < worker.terminationGracePeriodSeconds,
    `worker: ${grace} s + 15 s < ${worker.terminationGracePeriodSeconds} s`,
  );
  // TEMP_DIR and MODELS_DIR are writable volumes under the read-only root.
  const mounts = worker.containers[0].volumeMounts.map((m: K8s) => m.mountPath);
  assert.ok(
    mounts.some((m: string) => config.TEMP_DIR.startsWith(`${m}/`)),
    `TEMP_DIR ${config.TEMP_DIR} is on a volume`,
  );
  assert.ok(mounts.includes(config.MODELS_DIR), `MODELS_DIR ${config.MODELS_DIR} is a volume`);
}

/** Memory per worker pod from the measured RSS (docs/benchmarks.md): main worker + N x (analysis process + ffmpeg). */
function measuredWorkerMi(analysisWorkers: number): number {
  const benchmarks = fs.readFileSync(path.join(repoRoot, 'docs', 'benchmarks.md'), 'utf8');
  const m = /analysis processes \d+ \(\d+ × (\d+)\), worker (\d+),.*?ffmpeg (\d+)/.exec(benchmarks);
  assert.ok(m, 'docs/benchmarks.md lists the peak RSS per process');
  const [perProcess, worker, ffmpeg] = [Number(m[1]), Number(m[2]), Number(m[3])];
  return worker + analysisWorkers * (perProcess + ffmpeg);
}

test('helm lint passes with every values file', (t) => {
  const helm = requireTool(t, 'helm');
  if (!helm) return;
  for (const values of [
    [],
    ['-f', path.join(chart, 'values-k3s.yaml')],
    ['-f', path.join(chart, 'values-external.yaml')],
  ]) {
    const r = run([...helm, 'lint', '--strict', chart, ...values]);
    assert.equal(r.code, 0, `helm lint ${values.join(' ')}: ${r.stdout}${r.stderr}`);
  }
});

test('default values: valid manifests, every configuration variable reaches web and worker with its default', (t) => {
  const docs = render(t, []);
  if (!docs) return;
  commonChecks(docs);
  assert.equal(one(docs, 'Deployment', '-worker').spec.replicas, 1);
  assert.equal(
    one(docs, 'StatefulSet', '-postgres').spec.volumeClaimTemplates.length,
    1,
    'bundled PostgreSQL with a PVC',
  );
  assert.equal(find(docs, 'HelmChart').length, 0);
  assert.equal(find(docs, 'Ingress').length, 0);

  for (const suffix of ['-web', '-worker']) {
    const { config, secretKeys } = podEnv(docs, one(docs, 'Deployment', suffix).spec.template.spec);
    const secret = one(docs, 'Secret');
    const missing = Object.keys(SPEC).filter((name) => !(name in config) && !secretKeys.includes(name));
    assert.deepEqual(
      missing,
      [],
      `${suffix}: variables of lib/config.ts that reach no pod (add them to values.yaml config/secrets)`,
    );
    const unknown = [...Object.keys(config), ...secretKeys].filter((name) => !(name in SPEC));
    assert.deepEqual(unknown, [], `${suffix}: variables lib/config.ts does not read`);
    assert.deepEqual(
      secretKeys.filter((k) => !isSecretVar(k)),
      [],
      'the Secret holds only credentials',
    );
    for (const [name, spec] of Object.entries(SPEC)) {
      if (DEPLOYMENT_SPECIFIC.has(name)) continue;
      const value = name in config ? config[name] : secret.stringData[name];
      assert.equal(value, String(spec.default ?? ''), `${name}: the chart's default is the README's`);
    }
  }
  const { config } = podEnv(docs, one(docs, 'Deployment', '-worker').spec.template.spec);
  assert.equal(config.POSTGRES_HOST, one(docs, 'Service', '-postgres').metadata.name, 'PostgreSQL is the bundled one');
  assert.equal(config.WORKFLOW_BUNDLE, '/app/dist/workflow-bundle.js');
  // Resources sized from the measured RSS.
  const res = one(docs, 'Deployment', '-worker').spec.template.spec.containers[0].resources;
  const need = measuredWorkerMi(Number(config.ANALYSIS_WORKERS));
  assert.ok(
    memMi(res.requests.memory) >= need && memMi(res.limits.memory) > need,
    `worker memory ${res.requests.memory}/${res.limits.memory} vs measured ${need} Mi`,
  );
});

test('--set worker.replicaCount=N scales the workers; more analysis processes get more memory', (t) => {
  const docs = render(t, ['--set', 'worker.replicaCount=7', '--set', 'worker.analysisWorkers=6']);
  if (!docs) return;
  const worker = one(docs, 'Deployment', '-worker');
  assert.equal(worker.spec.replicas, 7);
  const res = worker.spec.template.spec.containers[0].resources;
  assert.ok(memMi(res.requests.memory) >= measuredWorkerMi(6), `6 analysis processes: ${res.requests.memory}`);
  assert.equal(res.requests.cpu, '6');
});

test('secret values land in the Secret only', (t) => {
  const sentinels = Object.keys(SPEC)
    .filter(isSecretVar)
    .map((name) => [name, `sentinel-${name.toLowerCase()}-4711`]);
  const docs = render(
    t,
    sentinels.flatMap(([name, value]) => ['--set-string', `secrets.${name}=${value}`]),
  );
  if (!docs) return;
  for (const d of docs.filter((x) => x.kind !== 'Secret')) {
    const text = JSON.stringify(d);
    for (const [name, value] of sentinels)
      assert.ok(!text.includes(value), `${name}'s value appears in ${d.kind} ${d.metadata.name}`);
  }
  const secret = one(docs, 'Secret');
  for (const [name, value] of sentinels) assert.equal(secret.stringData[name], value);
});

test('values-k3s.yaml: traefik ingress, local-path PVC, Temporal installed by K3S against the bundled PostgreSQL', (t) => {
  const docs = render(t, ['-f', path.join(chart, 'values-k3s.yaml')]);
  if (!docs) return;
  commonChecks(docs);
  const ingress = one(docs, 'Ingress');
  assert.equal(ingress.spec.ingressClassName, 'traefik');
  const backends = ingress.spec.rules.map((r: K8s) => r.http.paths[0].backend.service.name);
  assert.deepEqual(backends, [one(docs, 'Service', '-web').metadata.name], 'Temporal Web (no login) is not published');
  assert.equal(one(docs, 'StatefulSet', '-postgres').spec.volumeClaimTemplates[0].spec.storageClassName, 'local-path');
  assert.equal(one(docs, 'Deployment', '-worker').spec.replicas, 2);

  const hc = one(docs, 'HelmChart');
  assert.equal(hc.apiVersion, 'helm.cattle.io/v1');
  assert.equal(hc.spec.chart, 'temporal');
  assert.equal(hc.spec.version, '1.6.0');
  assert.equal(hc.spec.repo, 'https://go.temporal.io/helm-charts');
  const values = parse(hc.spec.valuesContent);
  assert.equal(values.web.service.type, 'ClusterIP', 'Temporal Web stays inside the cluster');
  const secret = one(docs, 'Secret');
  const { config } = podEnv(docs, one(docs, 'Deployment', '-worker').spec.template.spec);
  for (const store of ['default', 'visibility']) {
    const sql = values.server.config.persistence.datastores[store].sql;
    assert.equal(sql.connectAddr, `${one(docs, 'Service', '-postgres').metadata.name}:5432`);
    assert.equal(sql.pluginName, 'postgres12');
    assert.equal(sql.user, config.POSTGRES_USER);
    assert.equal(sql.existingSecret, secret.metadata.name);
    assert.ok(sql.secretKey in secret.stringData, 'the password key exists in the Secret');
  }
  assert.deepEqual(values.server.config.persistence.datastores.visibility.sql.databaseName, 'temporal_visibility');
  assert.ok(
    values.server.config.namespaces.namespace.some((n: K8s) => n.name === config.TEMPORAL_NAMESPACE),
    'Temporal creates our namespace',
  );
  assert.equal(config.TEMPORAL_ADDRESS, `${release}-temporal-frontend:7233`);
});

test('ingress.temporalWebHost publishes Temporal Web only when asked', (t) => {
  const docs = render(t, [
    '-f',
    path.join(chart, 'values-k3s.yaml'),
    '--set',
    'ingress.temporalWebHost=temporal.audiomuse.local',
  ]);
  if (!docs) return;
  const rules = one(docs, 'Ingress').spec.rules;
  const temporalWeb = rules.find((r: K8s) => r.host === 'temporal.audiomuse.local');
  assert.equal(temporalWeb?.http.paths[0].backend.service.name, `${release}-temporal-web`);
});

test('temporal.tls.secretName mounts the TLS files in web and worker pods, read-only', (t) => {
  const ca = '/etc/audiomuse/temporal-tls/ca.crt';
  const docs = render(t, [
    '--set',
    'temporal.tls.secretName=temporal-tls',
    '--set',
    `config.TEMPORAL_TLS_CA_FILE=${ca}`,
  ]);
  if (!docs) return;
  commonChecks(docs);
  for (const suffix of ['-web', '-worker']) {
    const spec: K8s = one(docs, 'Deployment', suffix).spec.template.spec;
    const volume = spec.volumes.find((v: K8s) => v.secret?.secretName === 'temporal-tls');
    assert.ok(volume, `${suffix}: the Secret is a volume`);
    const mount: K8s = spec.containers[0].volumeMounts.find((m: K8s) => m.name === volume.name);
    assert.equal(mount?.readOnly, true);
    assert.ok(ca.startsWith(`${mount.mountPath}/`), `${suffix}: TEMPORAL_TLS_CA_FILE is on the mount`);
    assert.equal(podEnv(docs, spec).config.TEMPORAL_TLS_CA_FILE, ca);
  }
});

test('values-external.yaml: existing PostgreSQL, Temporal and Secret; autoscaled workers', (t) => {
  const docs = render(t, ['-f', path.join(chart, 'values-external.yaml')]);
  if (!docs) return;
  commonChecks(docs);
  const external = parse(fs.readFileSync(path.join(chart, 'values-external.yaml'), 'utf8'));
  const defaults = parse(fs.readFileSync(path.join(chart, 'values.yaml'), 'utf8'));
  assert.equal(find(docs, 'StatefulSet').length, 0, 'no bundled PostgreSQL');
  assert.equal(find(docs, 'Secret').length, 0, "the Secret is the user's");
  assert.equal(find(docs, 'HelmChart').length, 0);
  const worker = one(docs, 'Deployment', '-worker');
  assert.equal(worker.spec.replicas, undefined, 'the autoscaler owns the replica count');
  const hpa = one(docs, 'HorizontalPodAutoscaler');
  assert.equal(hpa.spec.scaleTargetRef.name, worker.metadata.name);
  assert.equal(hpa.spec.minReplicas, external.worker.autoscaling.minReplicas);
  for (const suffix of ['-web', '-worker']) {
    const spec = one(docs, 'Deployment', suffix).spec.template.spec;
    const { config, secretKeys } = podEnv(docs, spec, Object.keys(defaults.secrets));
    assert.equal(config.POSTGRES_HOST, external.postgres.external.host);
    assert.equal(config.TEMPORAL_ADDRESS, external.temporal.address);
    assert.equal(config.TEMPORAL_NAMESPACE, external.temporal.namespace);
    assert.equal(config.JELLYFIN_URL, external.config.JELLYFIN_URL);
    assert.ok(spec.containers[0].envFrom.some((f: K8s) => f.secretRef?.name === external.existingSecret));
    assert.deepEqual(
      Object.keys(SPEC).filter((n) => !(n in config) && !secretKeys.includes(n)),
      [],
    );
  }
});

test('without a Temporal address or install, rendering stops with what to set', (t) => {
  const helm = requireTool(t, 'helm');
  if (!helm) return;
  const r = run([...helm, 'template', release, chart, '--set', 'temporal.address=']);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /set temporal\.address .* or temporal\.install\.enabled/);
});

/** NOTES.txt as helm renders it with these arguments. */
function renderNotes(t: TestContext, args: string[]): string | undefined {
  const helm = requireTool(t, 'helm');
  if (!helm) return undefined;
  // `helm install --dry-run` needs a cluster; render NOTES.txt with helm's own engine (tpl) in a copy instead.
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'audiomuse-notes-'));
  try {
    const copy = path.join(tmp, 'audiomuse');
    fs.cpSync(chart, copy, { recursive: true });
    fs.renameSync(path.join(copy, 'templates', 'NOTES.txt'), path.join(copy, 'NOTES.in'));
    fs.writeFileSync(
      path.join(copy, 'templates', 'notes.yaml'),
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: notes\ndata:\n  notes: |\n{{ tpl (.Files.Get "NOTES.in") . | indent 4 }}\n',
    );
    const r = run([...helm, 'template', release, copy, ...args, '--show-only', 'templates/notes.yaml']);
    assert.equal(r.code, 0, r.stderr);
    return parse(r.stdout).data.notes as string;
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

test('NOTES tell how to open the UI and Temporal Web', (t) => {
  const k3s = ['-f', path.join(chart, 'values-k3s.yaml')];
  const notes = renderNotes(t, [...k3s, '--set', 'ingress.enabled=false', '--namespace', 'music']);
  if (notes === undefined) return;
  const docs = render(t, [...k3s, '--set', 'ingress.enabled=false'])!;
  const web = one(docs, 'Service', '-web');
  assert.match(
    notes,
    new RegExp(`kubectl -n music port-forward svc/${web.metadata.name} 8000:${web.spec.ports[0].port}`),
  );
  assert.match(notes, new RegExp(`port-forward svc/${release}-temporal-web 8080:8080`));
  assert.match(notes, /WARNING: POSTGRES_PASSWORD is the documented default/);
  assert.doesNotMatch(notes, /without API_TOKEN/, 'no ingress: no warning about it');
  // An ingress without API_TOKEN opens the API beyond the LAN; Temporal Web behind one has no login at all.
  const open = renderNotes(t, [...k3s, '--set', 'ingress.temporalWebHost=temporal.audiomuse.local'])!;
  assert.match(
    open,
    /WARNING: the ingress publishes the UI and API without API_TOKEN: anyone who reaches\s+audiomuse\.local/,
  );
  assert.match(open, /WARNING: Temporal Web at temporal\.audiomuse\.local has no login/);
  const closed = renderNotes(t, [...k3s, '--set-string', 'secrets.API_TOKEN=a-long-enough-token-0123456789'])!;
  assert.doesNotMatch(closed, /WARNING: (the ingress|Temporal Web)/);
});
