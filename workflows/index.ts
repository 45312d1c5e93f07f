// Every workflow the worker registers. Workflow code is bundled into Temporal's deterministic sandbox:
// import only workflow-safe modules here (no Node built-ins, no I/O), activities by type only.
export { roundTripWorkflow } from './round-trip.ts';
export { analyzeLibrary } from './analyze-library.ts';
export { analyzeAlbum } from './analyze-album.ts';
export { clusterLibrary } from './cluster-library.ts';
export { rebuildVectorIndex } from './rebuild-vector-index.ts';
export { syncListeningHistory } from './sync-listening-history.ts';
export { refreshRadio } from './refresh-radio.ts';
