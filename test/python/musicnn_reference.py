"""Reference MusiCNN values for the fast tests, from the same frozen TensorFlow graphs the parity test runs.

test/tools/analysis-parity.test.ts runs Essentia + TensorFlow (essentia_reference.py) live, which takes minutes
and needs essentia-tensorflow. The quicker tests compare with numbers recorded here instead, written to
test/fixtures/analysis-musicnn-reference.json:

  patches  the three synthetic log-mel patches of test/unit/analysis-models.test.ts (value 2 + sin(0.37 i) +
           (i mod 97) / 97 at float index i, patch after patch, 187 frames x 96 bands), run through
           msd-musicnn-1.pb (model/Placeholder -> model/dense/BiasAdd) and msd-msd-musicnn-1.pb: the embedding
           and the 50 tag scores of each patch.
  track    essentia_reference.py's "ffmpeg" decoder line for the first 45 s of "Metal madness" (Debian package
           fretsonfire-songs-sectoid): patch count, mean embedding, mean tag scores, as the parity test computes
           them for test/tools/analysis-track.test.ts.

The mood heads have no TensorFlow graph in SHARED_DIR/reference-models, so there is no reference for them.

Run: python3 test/python/musicnn_reference.py --graphs ../shared/reference-models   (essentia-tensorflow)
"""
import argparse
import json
import os
import pathlib
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from essentia_reference import load_ffmpeg  # noqa: E402

FRAMES, BANDS, EMBEDDING = 187, 96, 200
TRACK = "/usr/share/games/fretsonfire/data/songs/sectoid/Metal madness/song.ogg"
SECONDS = 45


def synthetic_patches(n: int) -> np.ndarray:
    i = np.arange(n * FRAMES * BANDS, dtype=np.float64)
    # Computed in float64 and rounded once to float32, as the TypeScript test's Float32Array assignment does.
    return (2 + np.sin(i * 0.37) + (i % 97) / 97).astype(np.float32).reshape(n, FRAMES, BANDS)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--graphs", required=True, help="folder with msd-musicnn-1.pb and msd-msd-musicnn-1.pb")
    args = ap.parse_args()

    import essentia
    import essentia.standard as es

    essentia.log.infoActive = False
    essentia.log.warningActive = False
    embedding_graph = os.path.join(args.graphs, "msd-musicnn-1.pb")
    tagger = es.TensorflowPredict2D(
        graphFilename=os.path.join(args.graphs, "msd-msd-musicnn-1.pb"),
        input="serving_default_model_Placeholder", output="PartitionedCall",
    )

    patches = synthetic_patches(3)
    predict = es.TensorflowPredict(
        graphFilename=embedding_graph, inputs=["model/Placeholder"], outputs=["model/dense/BiasAdd"], squeeze=True,
    )
    pool = essentia.Pool()
    pool.set("model/Placeholder", patches[:, np.newaxis, :, :])  # [batch, 1, frames, bands], squeezed to 3-D
    emb = np.asarray(predict(pool)["model/dense/BiasAdd"]).reshape(len(patches), EMBEDDING)
    tags = np.asarray(tagger(emb.astype(np.float32)))

    embedder = es.TensorflowPredictMusiCNN(
        graphFilename=embedding_graph, output="model/dense/BiasAdd", patchHopSize=FRAMES, lastPatchMode="discard",
    )
    track_emb = np.asarray(embedder(load_ffmpeg(TRACK, SECONDS)))
    track_tags = np.asarray(tagger(track_emb))

    r = lambda xs: [float(f"{v:.7g}") for v in xs]  # noqa: E731
    out = {
        "generator": "test/python/musicnn_reference.py",
        "essentia": essentia.__version__,
        "graphs": ["msd-musicnn-1.pb", "msd-msd-musicnn-1.pb"],
        "patches": {"embeddings": [r(e) for e in emb], "tags": [r(t) for t in tags]},
        "track": {
            "path": TRACK, "decoder": "ffmpeg", "maxSeconds": SECONDS, "patches": int(track_emb.shape[0]),
            "embedding": r(track_emb.mean(axis=0)), "tags": r(track_tags.mean(axis=0)),
        },
    }
    path = pathlib.Path(__file__).resolve().parents[1] / "fixtures" / "analysis-musicnn-reference.json"
    path.write_text(json.dumps(out, separators=(",", ":")) + "\n")
    print(f"wrote {path} ({path.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
