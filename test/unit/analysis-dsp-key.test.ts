// KeyDetector on chord progressions of harmonic-rich tones in known keys.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InsufficientAudioError, KEY_NAMES, KeyDetector } from '../../engines/analysis/key.ts';
import { SR, chordProgression, drumLoop, mixInto, pushInChunks, scaled } from './analysis-dsp-synth.ts';

const C3 = 48;
/** Root-position triad with the root doubled an octave below. */
const triad = (root: number, minor: boolean) => [root - 12, root, root + (minor ? 3 : 4), root + 7];
/** I–IV–V–I (major) or i–iv–V–i (harmonic minor: the V chord is major) on tonic MIDI note `tonic`. */
const cadence = (tonic: number, scale: 'major' | 'minor') => {
  const m = scale === 'minor';
  return [triad(tonic, m), triad(tonic + 5, m), triad(tonic + 7, false), triad(tonic, m)];
};
const detect = (x: Float32Array, chunk = x.length) => {
  const d = new KeyDetector();
  pushInChunks(d, x, chunk);
  return d.result();
};
const tonicMidi = (name: string) => C3 + KEY_NAMES.indexOf(name as (typeof KEY_NAMES)[number]);

const CASES: [string, 'major' | 'minor'][] = [
  ['C', 'major'],
  ['G', 'major'],
  ['F#', 'major'],
  ['D#', 'major'],
  ['A', 'minor'],
  ['E', 'minor'],
  ['C', 'minor'],
  ['G#', 'minor'],
];

for (const [key, scale] of CASES) {
  test(`${scale === 'major' ? 'I–IV–V–I' : 'i–iv–V–i'} in ${key} ${scale}`, () => {
    // keep voicings between roughly C2 and C5 whatever the tonic
    const tonic = tonicMidi(key) - (tonicMidi(key) > 54 ? 12 : 0);
    const r = detect(chordProgression(cadence(tonic, scale), 1, 4));
    assert.equal(`${r.key} ${r.scale}`, `${key} ${scale}`);
    assert.ok(r.strength > 0.6 && r.strength <= 1, `strength ${r.strength}`);
  });
}

test('I–vi–IV–V in D major (relative-minor chord included) is not confused with B minor', () => {
  const D = C3 + 2;
  const r = detect(
    chordProgression([triad(D, false), triad(D + 9 - 12, true), triad(D + 5, false), triad(D + 7, false)], 1, 4),
  );
  assert.equal(`${r.key} ${r.scale}`, 'D major');
});

test('a detuned recording (−45 cents) is still read in its key', () => {
  // E minor with every note 0.45 semitone flat (fractional MIDI numbers); read without the tuning
  // estimate, the chroma smears towards the lower neighbours and B major wins
  const chords = cadence(C3 + 4, 'minor').map((c) => c.map((m) => m - 0.45));
  const r = detect(chordProgression(chords, 1, 4));
  assert.equal(`${r.key} ${r.scale}`, 'E minor');
});

test('drums and a quieter level do not change the key', () => {
  const x = mixInto(chordProgression(cadence(C3 + 7, 'major'), 1, 6), drumLoop(120, 24), 0.7);
  assert.equal(detect(x).key, 'G');
  assert.equal(detect(scaled(x, -30)).key, 'G');
});

test('streaming is exact: chunks of 1, 1000 and all samples give identical results', () => {
  const x = chordProgression(cadence(C3 + 9, 'minor'), 0.7, 2);
  const whole = detect(x);
  for (const chunk of [1, 1000, 333]) assert.deepEqual(detect(x, chunk), whole);
});

test('silence or too little audio throws InsufficientAudioError', () => {
  assert.throws(() => new KeyDetector().result(), InsufficientAudioError);
  assert.throws(() => detect(new Float32Array(SR * 5)), /no pitched content/);
  assert.throws(() => detect(chordProgression([[60, 64, 67]], 0.3, 1)), InsufficientAudioError); // shorter than one frame
});

test('other sample rates: 44.1 kHz input gives the same key', () => {
  const x = chordProgression(cadence(C3 + 11, 'minor'), 1, 3); // B minor
  const ratio = 44100 / SR;
  const y = Float32Array.from({ length: Math.floor(x.length * ratio) }, (_, i) => {
    const p = i / ratio,
      k = Math.floor(p),
      f = p - k;
    return x[k] * (1 - f) + (x[k + 1] ?? 0) * f;
  });
  const d = new KeyDetector({ sampleRate: 44100 });
  d.push(y);
  const r = d.result();
  assert.equal(`${r.key} ${r.scale}`, 'B minor');
});

test('bad options are rejected with clear errors', () => {
  assert.throws(() => new KeyDetector({ sampleRate: 5000 }), /sampleRate/);
});
