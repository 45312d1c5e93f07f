// `npm run bench:int8 -- [--python python3] [--calib-patches 24] [--eval-patches 16] [--timing-patches 96]
//                        [--rounds 3] [--batch 4] [--only dyn_u8,...] [--keep] [--out results.json]`
//
// Reruns issue 12's int8 decision on this CPU: is any int8 variant of the MusiCNN embedding model faster than
// fp32 in onnxruntime-node and still within the fast profile's accuracy bounds? In a fresh temp folder:
// 1. extract-patches.ts: calibration and evaluation log-mel patches from the Debian test music;
// 2. quantize.py (Python onnxruntime, which holds the quantiser; onnxruntime-node has none): the variants,
//    from the fp32 file in MODELS_DIR after its sha256 check;
// 3. evaluate.ts: interleaved timing against fp32 and accuracy, then the table and the decision.
// The temp folder is removed at the end unless --keep. Takes ≈ 10 minutes on a 2-core VM; timing is only as
// good as the machine is quiet (the load average is printed).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadVerifiedModels, modelFile } from '../../engines/analysis/model-files.ts';
import { loadConfig } from '../../lib/config.ts';
import { evaluate, formatReport } from './evaluate.ts';
import { extractPatches } from './extract-patches.ts';

const { values: args } = parseArgs({
  options: {
    python: { type: 'string', default: 'python3' },
    'calib-patches': { type: 'string', default: '24' },
    'eval-patches': { type: 'string', default: '16' },
    'timing-patches': { type: 'string', default: '96' },
    rounds: { type: 'string', default: '3' },
    batch: { type: 'string', default: '4' },
    only: { type: 'string', default: '' },
    keep: { type: 'boolean', default: false },
    out: { type: 'string' },
  },
});

const PIP = 'pip install onnxruntime==1.32.0 onnx==1.23.2 sympy';

async function main(): Promise<number> {
  // Cheap checks first, so a missing tool does not cost the extraction.
  const probe = spawnSync(args.python, ['-c', 'import onnxruntime.quantization, onnx, sympy'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    console.error(`bench:int8 needs Python's onnxruntime quantiser (${args.python}): ${PIP}`);
    return 1;
  }
  const { modelsDir } = loadConfig();
  await loadVerifiedModels(modelsDir); // throws models_missing naming each bad file

  const dir = mkdtempSync(join(tmpdir(), 'audiomuse-bench-int8-'));
  const t0 = performance.now();
  const step = (what: string) => console.log(`\n[${((performance.now() - t0) / 1000).toFixed(0)} s] ${what}`);
  try {
    step(`extracting patches into ${dir}/data`);
    await extractPatches(dir, {
      calibPatches: Number(args['calib-patches']),
      evalPatches: Number(args['eval-patches']),
    });

    step('quantising (bench/int8/quantize.py)');
    const script = join(dirname(fileURLToPath(import.meta.url)), 'quantize.py');
    const only = args.only ? ['--only', args.only] : [];
    const q = spawnSync(
      args.python,
      [
        script,
        '--model',
        join(modelsDir, modelFile('embedding').file),
        '--calib',
        join(dir, 'data', 'calib.f32'),
        '--out',
        join(dir, 'models'),
        ...only,
      ],
      { stdio: 'inherit' },
    );
    if (q.status !== 0) {
      console.error(`quantize.py exited with ${q.status ?? q.signal}`);
      return 1;
    }

    step('timing against fp32, then accuracy');
    const report = await evaluate({
      dir,
      modelsDir,
      rounds: Number(args.rounds),
      timingPatches: Number(args['timing-patches']),
      batch: Number(args.batch),
    });
    step('done');
    writeFileSync(join(dir, 'results.json'), JSON.stringify(report, null, 1));
    if (args.out) writeFileSync(args.out, JSON.stringify(report, null, 1));
    console.log(`\n${formatReport(report)}`);
    return 0;
  } finally {
    if (args.keep) console.log(`\nkept ${dir} (patches, variants with manifest.json, results.json)`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
