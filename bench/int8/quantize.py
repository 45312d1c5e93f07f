#!/usr/bin/env python3
"""Step 2 of `npm run bench:int8`: builds int8 variants of the MusiCNN embedding model with onnxruntime.quantization.

Usage: python3 bench/int8/quantize.py --model MODELS_DIR/msd-musicnn-1.onnx --calib DIR/calib.f32 --out DIR
                                      [--only name,...]
  --calib: raw little-endian float32 [n, 187, 96] log-mel patches (written by extract-patches.ts).
Checks the input's sha256 against models/manifest.json, pre-processes once (shape inference + BatchNorm
folding), writes one msd-musicnn-1.<variant>.onnx per variant and prints (and saves in OUT/manifest.json)
each file's sha256: same input, calibration patches and onnxruntime version give the same bytes.
Needs: pip install onnxruntime==1.32.0 onnx==1.23.2 sympy (the versions the results in docs/analysis.md used).
"""
import argparse
import hashlib
import json
import logging
import os
import sys
import time
from pathlib import Path

import numpy as np
import onnx
import onnxruntime
from onnxruntime.quantization import (CalibrationDataReader, CalibrationMethod, QuantFormat, QuantType,
                                      quantize_dynamic, quantize_static)
from onnxruntime.quantization.shape_inference import quant_pre_process

# Fallback when models/manifest.json is not next to this script (the file copied elsewhere).
EMBEDDING_SHA256 = "e9347e05e34e203ee09684cd2cc7b077e84042766fcd908a46abc73bc62a8d97"
PATCH_SHAPE = (187, 96)


def expected_model():
    """(sha256, input tensor name) of the embedding model, from the project's manifest when present."""
    manifest = Path(__file__).resolve().parents[2] / "models" / "manifest.json"
    if manifest.exists():
        for f in json.loads(manifest.read_text())["files"]:
            if f["role"] == "embedding":
                return f["sha256"], f["input"]
    return EMBEDDING_SHA256, "model/Placeholder:0"


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


class PatchReader(CalibrationDataReader):
    def __init__(self, input_name, patches, batch=8):
        self.input_name, self.patches, self.batch, self.pos = input_name, patches, batch, 0

    def get_next(self):
        if self.pos >= len(self.patches):
            return None
        b = self.patches[self.pos:self.pos + self.batch]
        self.pos += self.batch
        return {self.input_name: b}

    def rewind(self):
        self.pos = 0


U8, S8 = QuantType.QUInt8, QuantType.QInt8
MINMAX = CalibrationMethod.MinMax
# Nodes of the pre-processed graph (names given by tf2onnx), each Conv with the Relu after it: the two wide
# timbral front-end convs (1 -> 204 channels, 7x38 and 7x67 kernels, 88 % of the fp32 time) ...
TIMBRAL = ["Conv__132", "Conv__121", "model/conv2d/Relu", "model/conv2d_1/Relu"]
# ... and the three back-end convs. The temporal convs (1 -> 51 channels, 128x1, 64x1, 32x1) are left out of
# both: as QLinearConv they were 3-10x slower than ORT's fp32 kernels on AVX2 without VNNI.
BACKEND = ["Conv__135", "Conv__137", "Conv__139", "model/conv2d_5/Relu", "model/conv2d_6/Relu",
           "model/conv2d_7/Relu"]

# name: (kind, options). Static variants: activations uint8, weights int8, MinMax calibration. Left out after
# the first trial (all slower than fp32 and less accurate than qdq_pc_minmax or no better): per-tensor weights,
# reduce_range, percentile calibration, uint8 weights; entropy calibration gave bytes identical to MinMax.
VARIANTS = {
    # Dynamic: weights int8 offline, activations quantised at run time (Conv -> ConvInteger).
    "dyn_u8": ("dynamic", dict(weight_type=U8)),
    "dyn_s8": ("dynamic", dict(weight_type=S8)),
    # Static QDQ, per-channel weights (ORT fuses DQ-Conv-Q into QLinearConv at load time).
    "qdq_pc_minmax": ("static", dict(quant_format=QuantFormat.QDQ, per_channel=True)),
    # Only the convolutions where int8 can beat fp32 here; the rest of the graph stays fp32.
    "qdq_pc_mixed": ("static", dict(quant_format=QuantFormat.QDQ, per_channel=True,
                                    nodes_to_quantize=TIMBRAL + BACKEND)),
    "qdq_pc_timbral": ("static", dict(quant_format=QuantFormat.QDQ, per_channel=True, nodes_to_quantize=TIMBRAL)),
    # Static QOperator: QLinearConv written into the file instead of fused at load time.
    "qop_pc_minmax": ("static", dict(quant_format=QuantFormat.QOperator, per_channel=True)),
}


class QuietPerChannelBn(logging.Filter):
    # The quantiser warns once per BatchNorm per variant that a rank-1 gamma has no axis 1; harmless noise.
    def filter(self, record):
        return "is out-of-range for weight" not in record.getMessage()


def main():
    logging.getLogger().addFilter(QuietPerChannelBn())
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", required=True, help="fp32 msd-musicnn-1.onnx (checked against its sha256)")
    ap.add_argument("--calib", required=True, help="calibration patches, float32 [n, 187, 96]")
    ap.add_argument("--out", required=True, help="folder for the variants and manifest.json")
    ap.add_argument("--only", default="", help="comma-separated variant names (default: all)")
    args = ap.parse_args()

    want, input_name = expected_model()
    got = sha256(args.model)
    if got != want:
        sys.exit(f"{args.model}: sha256 {got}, expected {want} (models/manifest.json)")
    only = [n for n in args.only.split(",") if n]
    unknown = [n for n in only if n not in VARIANTS]
    if unknown:
        sys.exit(f"unknown variant(s) {', '.join(unknown)}; known: {', '.join(VARIANTS)}")
    os.makedirs(args.out, exist_ok=True)
    print(f"onnxruntime {onnxruntime.__version__}, onnx {onnx.__version__}, numpy {np.__version__}", flush=True)

    pre = os.path.join(args.out, "msd-musicnn-1.pre.onnx")
    quant_pre_process(args.model, pre, skip_symbolic_shape=False)
    # The node lists above name nodes of this graph: another onnxruntime / onnx version could rename them and
    # silently quantise nothing, so check before building.
    names = {n.name for n in onnx.load(pre).graph.node}
    absent = [n for n in TIMBRAL + BACKEND if n not in names]
    if absent:
        sys.exit(f"pre-processed graph has no node {', '.join(absent)} (other onnxruntime version?): "
                 "pip install onnxruntime==1.32.0 onnx==1.23.2")
    manifest = {"input": {"path": args.model, "sha256": got},
                "versions": {"onnxruntime": onnxruntime.__version__, "onnx": onnx.__version__},
                "preprocessed": {"path": pre, "sha256": sha256(pre)}, "variants": {}}

    patches = np.fromfile(args.calib, dtype="<f4").reshape(-1, *PATCH_SHAPE)
    print(f"calibration: {len(patches)} patches from {args.calib}", flush=True)

    for name, (kind, opts) in VARIANTS.items():
        if only and name not in only:
            continue
        out = os.path.join(args.out, f"msd-musicnn-1.{name}.onnx")
        t0 = time.time()
        if kind == "dynamic":
            quantize_dynamic(pre, out, **opts)
        else:
            o = dict(activation_type=U8, weight_type=S8, calibrate_method=MINMAX)
            o.update(opts)
            quantize_static(pre, out, PatchReader(input_name, patches), **o)
        digest = sha256(out)
        manifest["variants"][name] = {"path": out, "bytes": os.path.getsize(out), "sha256": digest, "kind": kind}
        print(f"  {name:15s} {os.path.getsize(out):8d} B  sha256 {digest}  ({time.time() - t0:.0f} s)", flush=True)
    with open(os.path.join(args.out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)


if __name__ == "__main__":
    main()
