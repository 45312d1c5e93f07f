"""Reference energies for test/unit/analysis-dsp-energy.test.ts, computed the way AudioMuse v3.4 does:
librosa.feature.rms (defaults: 2048/512, centred) -> amplitude_to_db(ref=1.0) -> clip((dB+60)/60, 0, 1) -> mean.

The signals are defined by formulas that the TypeScript test re-creates sample for sample (float64 maths
rounded to float32). Run: python3 test/python/analysis_dsp_energy_reference.py > test/fixtures/analysis-dsp-energy.json
"""
import json
import numpy as np
import librosa

SR = 16000


def signal(kind: str, n: int) -> np.ndarray:
    i = np.arange(n, dtype=np.float64)
    if kind == 'ramp':       # 440 Hz sine whose amplitude rises linearly from 0 to 1
        x = (i / n) * np.sin(2 * np.pi * 440 * i / SR)
    elif kind == 'burst':    # silence, then a 0.5-amplitude 1 kHz burst, then silence
        x = np.where((i >= n // 3) & (i < 2 * n // 3), 0.5 * np.sin(2 * np.pi * 1000 * i / SR), 0.0)
    elif kind == 'quiet':    # a 220 Hz sine at -50 dBFS peak, just above the -60 dB floor
        x = 10 ** (-50 / 20) * np.sin(2 * np.pi * 220 * i / SR)
    else:
        raise ValueError(kind)
    return x.astype(np.float32)


cases = []
for kind, n in [('ramp', 52_801), ('burst', 40_000), ('quiet', 20_000), ('ramp', 700)]:
    y = signal(kind, n)
    rms = librosa.feature.rms(y=y)[0]
    db = librosa.amplitude_to_db(rms, ref=1.0)
    energy = float(np.mean(np.clip((db + 60) / 60, 0, 1)))
    cases.append({'kind': kind, 'samples': n, 'frames': int(rms.shape[0]), 'energy': energy})

print(json.dumps({'librosa': librosa.__version__, 'cases': cases}, indent=2))
