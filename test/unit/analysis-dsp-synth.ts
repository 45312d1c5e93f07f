// Deterministic synthetic audio (16 kHz mono) with known tempo / key / level, for the DSP tests.
// Every sound is generated here from formulas and a seeded PRNG: no files, no third-party audio.

export const SR = 16000;

/** Small deterministic PRNG (mulberry32) giving uniform values in [-1, 1). */
export function noise(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  };
}

export type Drum = 'click' | 'kick' | 'snare' | 'hat';

/** One drum hit as a short buffer. */
export function drumHit(kind: Drum, seed = 1): Float32Array {
  const rnd = noise(seed);
  const len = { click: 0.02, kick: 0.25, snare: 0.18, hat: 0.05 }[kind] * SR;
  const out = new Float32Array(len);
  let phase = 0,
    prev = 0;
  for (let i = 0; i < len; i++) {
    const t = i / SR;
    let v = 0;
    if (kind === 'click') {
      v = Math.sin(2 * Math.PI * 1500 * t) * Math.exp(-t / 0.003);
    } else if (kind === 'kick') {
      phase += (2 * Math.PI * (50 + 110 * Math.exp(-t / 0.03))) / SR; // pitch drop 160 → 50 Hz
      v = Math.sin(phase) * Math.exp(-t / 0.08);
    } else if (kind === 'snare') {
      v = (0.6 * rnd() + 0.4 * Math.sin(2 * Math.PI * 190 * t)) * Math.exp(-t / 0.05);
    } else {
      const n = rnd();
      v = (n - prev) * 0.5 * Math.exp(-t / 0.012); // first difference = high-passed noise
      prev = n;
    }
    out[i] = v;
  }
  return out;
}

export interface Hit {
  time: number;
  kind: Drum;
  gain: number;
}

/** Mixes hits into a buffer of `seconds`. */
export function renderHits(hits: Hit[], seconds: number): Float32Array {
  const out = new Float32Array(Math.round(seconds * SR));
  const cache = new Map<Drum, Float32Array>();
  for (const h of hits) {
    let s = cache.get(h.kind);
    if (!s) cache.set(h.kind, (s = drumHit(h.kind)));
    const start = Math.round(h.time * SR);
    for (let i = 0; i < s.length && start + i < out.length; i++) out[start + i] += h.gain * s[i];
  }
  return out;
}

/** One click per beat at `bpm`, every `accentEvery`-th beat louder. */
export function clickTrack(bpm: number, seconds: number, accentEvery = 1): Float32Array {
  const hits: Hit[] = [];
  for (let b = 0, t = 0.1; t < seconds; b++, t = 0.1 + (b * 60) / bpm) {
    hits.push({ time: t, kind: 'click', gain: b % accentEvery === 0 ? 0.9 : 0.45 });
  }
  return renderHits(hits, seconds);
}

/**
 * Rock beat at `bpm`: kick on 1 and 3, snare on 2 and 4, hi-hat on every `hatDivision`-th of a beat.
 * `swing` (0..1/3 of a beat) delays the off-beat hi-hats.
 */
export function drumLoop(bpm: number, seconds: number, { hatDivision = 2, swing = 0 } = {}): Float32Array {
  const beat = 60 / bpm;
  const hits: Hit[] = [];
  for (let b = 0; 0.1 + b * beat < seconds; b++) {
    const t = 0.1 + b * beat;
    hits.push({ time: t, kind: b % 2 === 0 ? 'kick' : 'snare', gain: 0.6 });
    for (let d = 0; d < hatDivision; d++) {
      const off = d === 0 ? 0 : (d / hatDivision + (hatDivision === 2 ? swing : 0)) * beat;
      hits.push({ time: t + off, kind: 'hat', gain: d === 0 ? 0.35 : 0.25 });
    }
  }
  return renderHits(hits, seconds);
}

/**
 * A drum pattern from a step string per bar, one character per sixteenth note: K kick, S snare, H hat,
 * h soft hat, X kick + hat, Y snare + hat, anything else a rest. Bars repeat in order.
 */
export function drumPattern(bpm: number, bars: string[], seconds: number): Float32Array {
  const step = 60 / bpm / 4;
  const hits: Hit[] = [];
  for (let b = 0, t = 0.1; t < seconds; b++) {
    for (const ch of bars[b % bars.length]) {
      if ('KX'.includes(ch)) hits.push({ time: t, kind: 'kick', gain: 0.6 });
      if ('SY'.includes(ch)) hits.push({ time: t, kind: 'snare', gain: 0.55 });
      if ('HXY'.includes(ch)) hits.push({ time: t, kind: 'hat', gain: 0.25 });
      if (ch === 'h') hits.push({ time: t, kind: 'hat', gain: 0.12 });
      t += step;
    }
  }
  return renderHits(hits, seconds);
}

/** Adds `b` (scaled by `gain`) into `a` in place and returns `a`. */
export function mixInto(a: Float32Array, b: Float32Array, gain = 1): Float32Array {
  for (let i = 0; i < Math.min(a.length, b.length); i++) a[i] += gain * b[i];
  return a;
}

/** Band-limited sawtooth-like tone: `partials` harmonics with 1/h amplitudes. */
export function addTone(
  out: Float32Array,
  freq: number,
  start: number,
  seconds: number,
  gain: number,
  partials = 8,
): void {
  const s0 = Math.round(start * SR),
    n = Math.round(seconds * SR);
  const attack = 0.01 * SR,
    release = 0.05 * SR;
  for (let i = 0; i < n && s0 + i < out.length; i++) {
    const env = Math.min(1, i / attack, (n - i) / release);
    let v = 0;
    for (let h = 1; h <= partials && h * freq < SR / 2; h++) v += Math.sin((2 * Math.PI * h * freq * i) / SR) / h;
    out[s0 + i] += gain * env * v;
  }
}

export const midiToHz = (m: number) => 440 * 2 ** ((m - 69) / 12);

/** Plays each chord (MIDI notes) for `chordSeconds`, `repeats` times through the progression. */
export function chordProgression(chords: number[][], chordSeconds: number, repeats: number): Float32Array {
  const out = new Float32Array(Math.round(chords.length * repeats * chordSeconds * SR));
  for (let r = 0, t = 0; r < repeats; r++) {
    for (const chord of chords) {
      for (const m of chord) addTone(out, midiToHz(m), t, chordSeconds, 0.15);
      t += chordSeconds;
    }
  }
  return out;
}

/** A sustained, slowly swelling pad chord (no onsets) over `seconds`. */
export function pad(notes: number[], seconds: number, gain = 0.12): Float32Array {
  const out = new Float32Array(Math.round(seconds * SR));
  for (const m of notes) addTone(out, midiToHz(m), 0, seconds, gain, 6);
  for (let i = 0; i < out.length; i++) out[i] *= 0.75 + 0.25 * Math.sin((2 * Math.PI * 0.1 * i) / SR);
  return out;
}

/** Sine of `freq` Hz at `dbfs` peak level (0 dBFS = amplitude 1). */
export function sine(freq: number, seconds: number, dbfs: number): Float32Array {
  const a = 10 ** (dbfs / 20);
  return Float32Array.from({ length: Math.round(seconds * SR) }, (_, i) => a * Math.sin((2 * Math.PI * freq * i) / SR));
}

export function scaled(x: Float32Array, db: number): Float32Array {
  const g = 10 ** (db / 20);
  return x.map((v) => v * g);
}

/** Pushes `x` into `sink` in pieces of `size` samples. */
export function pushInChunks(sink: { push(c: Float32Array): void }, x: Float32Array, size: number): void {
  for (let i = 0; i < x.length; i += size) sink.push(x.subarray(i, Math.min(x.length, i + size)));
}
