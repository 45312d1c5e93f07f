"""Reference MusiCNN outputs from Essentia, the way AudioMuse-AI's seed version computed them.

For each audio file and decoder prints one JSON line: the mean of the per-patch embeddings
(model/dense/BiasAdd of the frozen msd-musicnn-1.pb graph) and the mean of the per-patch tag scores
(msd-msd-musicnn-1.pb, output PartitionedCall, already sigmoid), plus the patch count. Decoders:

  essentia  MonoLoader(sampleRate=16000, resampleQuality=4): Essentia's loader as AudioMuse-AI's seed
            (v0.2-v0.5) ran it; mean of the channels, resampleQuality 4 = libsamplerate's *linear*
            interpolator, which aliases everything above 8 kHz back into the band.
  librosa   librosa.load(sr=16000, mono=True) as AudioMuse-AI v0.6-v0.8 decoded (soxr_hq resampler).
  ffmpeg    the same ffmpeg command as activities/analysis/decode-audio.ts (mean downmix, soxr resampler),
            so that the comparison isolates the mel front end and the model from decoding altogether.

Patches: 187 frames, hop --patch-hop (default 187 = no overlap, our default; Essentia's own default is 93),
last incomplete patch discarded (lastPatchMode='discard').

Run: python3 test/python/essentia_reference.py --graphs ../shared/reference-models [--decoder essentia|librosa|ffmpeg|all]
     [--max-seconds S] FILE...        (needs the PyPI package essentia-tensorflow)
"""
import argparse
import json
import os
import subprocess
import sys

import numpy as np


def load_ffmpeg(path: str, max_seconds: float | None) -> np.ndarray:
    cmd = [os.environ.get("FFMPEG_PATH") or "ffmpeg", "-nostdin", "-hide_banner", "-v", "error", "-i", path,
           "-map", "0:a:0", "-ac", "1", "-ar", "16000", "-rematrix_maxval", "1", "-resampler", "soxr"]
    if max_seconds:
        cmd += ["-t", str(max_seconds)]
    cmd += ["-f", "f32le", "-"]
    raw = subprocess.run(cmd, check=True, capture_output=True).stdout
    return np.frombuffer(raw, dtype="<f4").astype(np.float32)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--graphs", required=True, help="folder with msd-musicnn-1.pb and msd-msd-musicnn-1.pb")
    ap.add_argument("--decoder", choices=["essentia", "librosa", "ffmpeg", "all"], default="all")
    ap.add_argument("--patch-hop", type=int, default=187)
    ap.add_argument("--max-seconds", type=float, default=None)
    ap.add_argument("files", nargs="+")
    args = ap.parse_args()

    import essentia
    import essentia.standard as es

    essentia.log.infoActive = False
    essentia.log.warningActive = False
    embedder = es.TensorflowPredictMusiCNN(
        graphFilename=os.path.join(args.graphs, "msd-musicnn-1.pb"), output="model/dense/BiasAdd",
        patchHopSize=args.patch_hop, lastPatchMode="discard",
    )
    tagger = es.TensorflowPredict2D(
        graphFilename=os.path.join(args.graphs, "msd-msd-musicnn-1.pb"),
        input="serving_default_model_Placeholder", output="PartitionedCall",
    )
    decoders = ["essentia", "librosa", "ffmpeg"] if args.decoder == "all" else [args.decoder]
    for path in args.files:
        for decoder in decoders:
            try:
                if decoder == "essentia":
                    audio = es.MonoLoader(filename=path, sampleRate=16000, resampleQuality=4)()
                    if args.max_seconds:
                        audio = audio[: int(args.max_seconds * 16000)]
                elif decoder == "librosa":
                    import librosa

                    audio, _ = librosa.load(path, sr=16000, mono=True, duration=args.max_seconds)
                    audio = np.ascontiguousarray(audio, dtype=np.float32)
                else:
                    audio = load_ffmpeg(path, args.max_seconds)
                emb = np.asarray(embedder(audio))
                tags = np.asarray(tagger(emb))
                line = {
                    "path": path, "decoder": decoder, "samples": int(len(audio)), "patches": int(emb.shape[0]),
                    "embedding": [round(float(v), 6) for v in emb.mean(axis=0)],
                    "tags": [round(float(v), 6) for v in tags.mean(axis=0)],
                }
            except Exception as exc:  # one bad file must not hide the others
                line = {"path": path, "decoder": decoder, "error": str(exc)}
            print(json.dumps(line), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
