"""Reference log-mel values for test/unit/analysis-mel.test.ts, computed with librosa.

Synthesises the fixture signal (the TypeScript test builds the same samples with the same formula), runs the
exact front end AudioMuse-AI used (librosa melspectrogram, n_fft 512, hop 256, Hann, 96 Slaney mel bands
0-8 kHz, power 2, center=False, log10(1 + 10000 x)) and writes test/fixtures/analysis-mel-reference.json:
the sparse mel filterbank and every 8th frame of the log-mel matrix.

Run: python3 test/python/mel_reference.py   (numpy + librosa)
"""
import json
import math
import pathlib

import librosa
import numpy as np

SR = 16000
SECONDS = 4


def fixture_signal() -> np.ndarray:
    """Chirp 100 Hz -> 7 kHz, a 440 Hz tone for the first 2 s, a quiet 3 kHz tone, LCG noise, 0.25 s of
    silence at the end. Computed in float64, rounded once to float32 (as in the TS test)."""
    n = SR * SECONDS
    y = np.zeros(n, dtype=np.float64)
    x = 12345
    f0, f1, dur = 100.0, 7000.0, float(SECONDS)
    for i in range(n):
        t = i / SR
        x = (1664525 * x + 1013904223) % 4294967296
        if i >= n - SR // 4:
            continue
        v = 0.3 * math.sin(2 * math.pi * (f0 * t + (f1 - f0) * t * t / (2 * dur)))
        if t < 2:
            v += 0.2 * math.sin(2 * math.pi * 440 * t)
        v += 0.05 * math.sin(2 * math.pi * 3000 * t)
        v += (x / 4294967296 - 0.5) * 0.02
        y[i] = v
    return y.astype(np.float32)


def main() -> None:
    y = fixture_signal()
    mel = librosa.feature.melspectrogram(
        y=y, sr=SR, n_fft=512, hop_length=256, window="hann", center=False, power=2.0,
        n_mels=96, fmin=0.0, fmax=8000.0, htk=False, norm="slaney",
    )
    logmel = np.log10(1 + 10000 * mel).T  # [frames, 96]
    fb = librosa.filters.mel(sr=SR, n_fft=512, n_mels=96, fmin=0.0, fmax=8000.0, htk=False, norm="slaney")
    bands = []
    for row in fb:
        nz = np.nonzero(row)[0]
        bands.append({"start": int(nz[0]), "weights": [float(f"{w:.9g}") for w in row[nz[0]: nz[-1] + 1]]})
    step = 8
    out = {
        "generator": "test/python/mel_reference.py",
        "librosa": librosa.__version__,
        "numpy": np.__version__,
        "sampleRate": SR,
        "samples": int(len(y)),
        "signalSum": float(np.sum(y.astype(np.float64))),
        "frames": int(logmel.shape[0]),
        "frameStep": step,
        "filterbank": bands,
        "logmel": [[float(f"{v:.7g}") for v in logmel[i]] for i in range(0, logmel.shape[0], step)],
    }
    path = pathlib.Path(__file__).resolve().parents[1] / "fixtures" / "analysis-mel-reference.json"
    path.write_text(json.dumps(out, separators=(",", ":")) + "\n")
    print(f"wrote {path} ({path.stat().st_size} bytes, {logmel.shape[0]} frames)")


if __name__ == "__main__":
    main()
