// `npm run models:fetch`: downloads the MusiCNN ONNX files of models/manifest.json into MODELS_DIR and
// verifies their sha256; files that already verify are skipped. MODELS_BASE_URL points at a mirror.
// Exit 0 when every file verifies, 1 when some could not be fetched, 2 on a configuration error.
import { MODEL_MANIFEST } from '../engines/analysis/model-files.ts';
import { fetchModels } from '../providers/models/model-fetch.ts';
import { loadConfig } from '../lib/config.ts';

async function main(): Promise<number> {
  const { modelsDir, modelsBaseUrl } = loadConfig();
  console.log(
    `MusiCNN models → ${modelsDir} (weights licensed ${MODEL_MANIFEST.licence}, ${MODEL_MANIFEST.licenceUrl})`,
  );
  const failed = await fetchModels(modelsDir, { baseUrl: modelsBaseUrl, log: (l) => console.log(l) });
  if (failed.length)
    console.error(
      `${failed.length} model file(s) missing or not verified; analysis refuses to start until they verify.`,
    );
  return failed.length ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    console.error(`models:fetch: ${(err as Error).message}`);
    process.exitCode = 2;
  },
);
