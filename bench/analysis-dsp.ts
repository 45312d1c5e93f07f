// `npx tsx bench/analysis-dsp.ts [audio-file] [--reps N]`
//
// Times TempoTracker, KeyDetector and EnergyMeter on one track normalised to 4 minutes: each alone and
// all three fed the same 1 s chunks (as the analysis pipeline does). Without a file, a synthetic
// 4-minute drum loop with chords is used. Prints the best and median wall time and CPU time per
// repetition plus the load average: on a shared machine the wall time mostly measures the neighbours.
import { execFileSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { EnergyMeter } from '../engines/analysis/energy.ts';
import { KeyDetector } from '../engines/analysis/key.ts';
import { TempoTracker } from '../engines/analysis/tempo.ts';
import { chordProgression, drumLoop, mixInto } from '../test/unit/analysis-dsp-synth.ts';

const SR = 16000;
const args = process.argv.slice(2);
const repsAt = args.indexOf('--reps');
const reps = repsAt >= 0 ? Number(args[repsAt + 1]) : 5;
const file = args.find((a, i) => !a.startsWith('--') && i !== repsAt + 1);

function load(): Float32Array {
  if (file) {
    const buf = execFileSync('ffmpeg', ['-v', 'error', '-i', file, '-f', 'f32le', '-ac', '1', '-ar', String(SR), '-'], {
      maxBuffer: 1 << 30,
    });
    return new Float32Array(buf.buffer, buf.byteOffset, buf.length >> 2);
  }
  const chords = [
    [48, 60, 64, 67],
    [41, 53, 57, 60],
    [43, 55, 59, 62],
    [48, 60, 64, 67],
  ];
  return mixInto(chordProgression(chords, 2, 30), drumLoop(120, 240), 0.8);
}

const audio = load();
const seconds = audio.length / SR;
const scale = 240 / seconds;
type Sink = { push(c: Float32Array): void; result(): unknown };
const runs: Record<string, () => Sink[]> = {
  tempo: () => [new TempoTracker()],
  key: () => [new KeyDetector()],
  energy: () => [new EnergyMeter()],
  'all three': () => [new TempoTracker(), new KeyDetector(), new EnergyMeter()],
};
console.log(
  `${file ?? 'synthetic loop'}: ${seconds.toFixed(1)} s; times scaled to a 4-minute track; ${reps} reps; load ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
for (const [name, make] of Object.entries(runs)) {
  const wall: number[] = [],
    cpu: number[] = [];
  for (let r = 0; r < reps + 1; r++) {
    const sinks = make();
    const c0 = process.cpuUsage(),
      t0 = performance.now();
    for (let i = 0; i < audio.length; i += SR) {
      const chunk = audio.subarray(i, Math.min(audio.length, i + SR));
      for (const s of sinks) s.push(chunk);
    }
    for (const s of sinks) s.result();
    const c = process.cpuUsage(c0);
    if (r === 0) continue; // warm-up (JIT)
    wall.push((performance.now() - t0) * scale);
    cpu.push(((c.user + c.system) / 1000) * scale);
  }
  const med = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1];
  console.log(
    `${name.padEnd(10)} wall best ${Math.min(...wall)
      .toFixed(0)
      .padStart(
        4,
      )} ms, median ${med(wall).toFixed(0).padStart(4)} ms; cpu median ${med(cpu).toFixed(0).padStart(4)} ms`,
  );
}
console.log(
  `load after: ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
