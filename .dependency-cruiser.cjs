// The floors of docs/architecture.md as rules: a floor imports only floors below it (type-only imports
// included), with one exception — workflows import their activities by type for proxyActivities.
// `npm run lint` runs it; a wrong import fails with the rule's name and this comment's reason.
const ENTRY = '^(worker|web|cli)/';
const ABOVE_WORKFLOWS = `^(client|queries)/|${ENTRY}`;

/** A rule forbidding imports from `from` to `to`. */
const floor = (name, comment, from, to, extra = {}) => ({
  name,
  comment,
  severity: 'error',
  from: { path: from },
  to: { path: to, ...extra },
});

module.exports = {
  forbidden: [
    floor(
      'words-import-nothing',
      'words/ is the shared vocabulary: it imports no module of ours and no package',
      '^words/',
      '.',
      { pathNot: '^words/' },
    ),
    floor(
      'contracts-import-only-words',
      'contracts/ holds workflow inputs, results and queries: only words/ and @temporalio/workflow below it',
      '^contracts/',
      '.',
      { pathNot: ['^(words|contracts)/', 'node_modules/@temporalio/(workflow|common)/'] },
    ),
    floor(
      'lib-imports-nothing-above',
      'lib/ (config, store, HTTP, embedded servers) sits under engines, providers, activities and workflows',
      '^lib/',
      `^(engines|providers|activities|workflows)/|${ABOVE_WORKFLOWS}`,
    ),
    floor(
      'engines-import-only-words',
      'engines/ is pure: no configuration, store, HTTP, providers or Temporal code, only words/',
      '^engines/',
      `^(contracts|lib|providers|activities|workflows)/|${ABOVE_WORKFLOWS}`,
    ),
    floor(
      'providers-import-below',
      'providers/ (media servers, LLM namers, model downloads) use lib/ and engines/, never the adapters above',
      '^providers/',
      `^(activities|workflows)/|${ABOVE_WORKFLOWS}`,
    ),
    floor(
      'activities-import-below',
      'activities/ are thin Temporal adapters: they wire providers, the store and engines, nothing above',
      '^activities/',
      `^workflows/|${ABOVE_WORKFLOWS}`,
    ),
    floor(
      'workflows-import-activities-by-type',
      'workflows import activities by type only (proxyActivities); their code never runs in the sandbox',
      '^workflows/',
      '^activities/',
      { dependencyTypesNot: ['type-only'] },
    ),
    floor(
      'workflows-stay-in-the-sandbox',
      'workflow code is bundled into the deterministic sandbox: values only from words/ and contracts/',
      '^workflows/',
      '^(lib|engines|providers)/',
      { dependencyTypesNot: ['type-only'] },
    ),
    floor(
      'workflows-import-nothing-above',
      'workflows sit under the Temporal client, the request-time queries and the entry points',
      '^workflows/',
      ABOVE_WORKFLOWS,
    ),
    floor(
      'client-and-queries-under-entry-points',
      'client/ and queries/ are shared by the entry points and import none of them',
      '^(client|queries)/',
      ENTRY,
    ),
    floor(
      'entry-points-never-import-activities',
      'web/ and cli/ reach activities only through Temporal; what they need lives on a floor below',
      '^(web|cli)/',
      '^activities/',
    ),
    {
      name: 'onnxruntime-only-in-analysis',
      comment:
        'the ONNX runtime (hundreds of MB) loads only where inference runs: the clustering, naming and publishing side never reaches it',
      severity: 'error',
      from: {
        path: '^(activities/(clustering|naming|publishing|library|foundation)|engines/clustering|providers|web|client|queries)',
      },
      to: { path: 'node_modules/onnxruntime-node/', reachable: true },
    },
    {
      name: 'no-circular',
      comment: 'an import circle ties two modules into one; split the shared part out',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(\\.data|web/dist|test-artifacts)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.mjs', '.js', '.json'] },
  },
};
