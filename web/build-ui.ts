// `npm run build:web`: bundles the page into web/dist (the image runs it at build time; `npm start` does it when needed).
import { buildUiBundle, UI_DIST_DIR } from './ui-bundle.ts';

await buildUiBundle();
console.log(`web UI bundled into ${UI_DIST_DIR}`);
