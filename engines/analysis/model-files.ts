// The MusiCNN model files: what they are (models/manifest.json), where they live (MODELS_DIR, read by the
// caller from config) and whether they are the exact published bytes (sha256).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AnalysisError } from './errors.ts';

export type ModelRole = 'embedding' | 'tags' | 'danceable' | 'aggressive' | 'happy' | 'party' | 'relaxed' | 'sad';

export interface ModelFile {
  file: string;
  role: ModelRole;
  bytes: number;
  sha256: string;
  licence: string;
  url: string;
  input: string;
  output: string;
  /** Softmax heads only: which of the two outputs is the positive class (Essentia's metadata order). */
  positiveIndex?: 0 | 1;
}

export interface ModelManifest {
  description: string;
  licence: string;
  licenceUrl: string;
  files: ModelFile[];
}

export const MODEL_MANIFEST: ModelManifest = JSON.parse(
  readFileSync(new URL('../../models/manifest.json', import.meta.url), 'utf8'),
) as ModelManifest;

export function modelFile(role: ModelRole): ModelFile {
  const f = MODEL_MANIFEST.files.find((m) => m.role === role);
  if (!f) throw new Error(`models/manifest.json has no ${role} model`);
  return f;
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export type ModelProblem = { file: string; problem: 'missing' | 'size' | 'sha256'; detail: string };

/** Reads one model file and checks size and sha256; returns its bytes or what is wrong with it. */
export async function readModel(modelsDir: string, m: ModelFile): Promise<Uint8Array | ModelProblem> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(join(modelsDir, m.file));
  } catch (err) {
    return { file: m.file, problem: 'missing', detail: (err as NodeJS.ErrnoException).code ?? String(err) };
  }
  if (bytes.length !== m.bytes)
    return { file: m.file, problem: 'size', detail: `${bytes.length} bytes, expected ${m.bytes}` };
  const got = sha256(bytes);
  if (got !== m.sha256) return { file: m.file, problem: 'sha256', detail: `sha256 ${got}, expected ${m.sha256}` };
  return bytes;
}

function describe(modelsDir: string, problems: ModelProblem[]): string {
  const hint =
    'Run `npm run models:fetch` (downloads into MODELS_DIR) or point MODELS_DIR at a folder holding the published files.';
  if (problems.length === MODEL_MANIFEST.files.length && problems.every((p) => p.problem === 'missing')) {
    return `MusiCNN models: none of the ${problems.length} model files is in ${modelsDir}. ${hint}`;
  }
  const what = problems.map((p) =>
    p.problem === 'missing' ? `${p.file} is missing` : `${p.file} does not match the manifest (${p.detail})`,
  );
  return `MusiCNN models in ${modelsDir}: ${what.join('; ')}. ${hint}`;
}

/**
 * Verifies every model file of the manifest in `modelsDir` and returns their bytes by role (so the caller
 * loads exactly what was checked). Throws AnalysisError('models_missing') naming each bad file.
 */
export async function loadVerifiedModels(modelsDir: string): Promise<Map<ModelRole, Uint8Array>> {
  const results = await Promise.all(MODEL_MANIFEST.files.map((m) => readModel(modelsDir, m)));
  const problems = results.filter((r): r is ModelProblem => !(r instanceof Uint8Array));
  if (problems.length) throw new AnalysisError('models_missing', describe(modelsDir, problems));
  return new Map(MODEL_MANIFEST.files.map((m, i) => [m.role, results[i] as Uint8Array]));
}

/** Throws AnalysisError('models_missing') unless every manifest file in `modelsDir` is present and verifies. */
export async function verifyModels(modelsDir: string): Promise<void> {
  await loadVerifiedModels(modelsDir);
}
