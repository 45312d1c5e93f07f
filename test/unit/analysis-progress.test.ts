// Pure parts of the library analysis: throughput window, ETA, and the one failure mapping.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { toActivityFailure } from '../../activities/failures.ts';
import { AnalysisError } from '../../engines/analysis/errors.ts';
import { MediaServerError } from '../../providers/media/provider.ts';
import { FATAL_FAILURE_TYPES, FailureType } from '../../words/failure-types.ts';
import { InputError } from '../../contracts/input-spec.ts';
import { addSample, rateAndEta, RATE_WINDOW_MS, type RateSample } from '../../contracts/analysis.ts';

test('the rate window keeps the last minutes plus one baseline sample, and gives tracks/hour and an ETA', () => {
  let samples: RateSample[] = [];
  // One album of 10 tracks every minute for 30 minutes.
  for (let m = 1; m <= 30; m++) samples = addSample(samples, { t: m * 60_000, albums: m, tracks: m * 10 });
  assert.ok(samples[0].t <= 30 * 60_000 - RATE_WINDOW_MS, 'the oldest sample is the baseline at or before the window');
  assert.ok(samples[1].t > 30 * 60_000 - RATE_WINDOW_MS, 'everything else is inside the window');
  const { tracksPerHour, etaSeconds } = rateAndEta(samples, 15);
  assert.equal(tracksPerHour, 600);
  assert.equal(etaSeconds, 15 * 60, '15 albums left at one per minute');
  assert.equal(rateAndEta(samples, 0).etaSeconds, 0);
  assert.equal(rateAndEta(samples, null).etaSeconds, null);
  assert.deepEqual(
    rateAndEta(samples.slice(0, 1), 5),
    { tracksPerHour: null, etaSeconds: null },
    'one sample is no rate',
  );
  // A stall: no album finished in the window → no ETA rather than infinity.
  const stalled = [
    { t: 0, albums: 3, tracks: 30 },
    { t: 120_000, albums: 3, tracks: 30 },
  ];
  assert.deepEqual(rateAndEta(stalled, 4), { tracksPerHour: 0, etaSeconds: null });
});

test('domain errors map to typed failures: setup and credentials are fatal and not retried, outages retried', () => {
  const mapped = (err: unknown) => toActivityFailure(err) as ApplicationFailure;
  const setup = mapped(new AnalysisError('models_missing', 'msd-musicnn-1.onnx is missing'));
  assert.equal(setup.type, FailureType.setup);
  assert.equal(setup.nonRetryable, true);
  assert.ok(FATAL_FAILURE_TYPES.includes(setup.type!));
  assert.equal(mapped(new AnalysisError('ffmpeg_missing', 'no ffmpeg')).type, FailureType.setup);

  const bad = mapped(new AnalysisError('decode_failed', 'corrupt'));
  assert.equal(bad.type, FailureType.badAudio);
  assert.equal(bad.nonRetryable, true);
  assert.ok(!FATAL_FAILURE_TYPES.includes(bad.type!), 'one bad file never stops a run');

  const auth = mapped(new MediaServerError('Jellyfin rejected the token', 'auth', 401));
  assert.equal(auth.type, FailureType.mediaAuth);
  assert.equal(auth.nonRetryable, true);
  assert.ok(FATAL_FAILURE_TYPES.includes(auth.type!));
  assert.equal(mapped(new MediaServerError('no such album', 'not_found', 404)).nonRetryable, true);
  for (const code of ['server', 'network', 'timeout'] as const) {
    const f = mapped(new MediaServerError('down', code));
    assert.equal(f.type, FailureType.mediaUnavailable);
    assert.equal(f.nonRetryable, false, `${code} is retried by Temporal`);
  }
  assert.ok(toActivityFailure(new AnalysisError('aborted', 'stop')) instanceof CancelledFailure);
  const input = mapped(new InputError('maxConcurrentAlbums', 'expected an integer from 1 to 1000, got 0'));
  assert.equal(input.type, FailureType.invalidInput);
  assert.equal(input.nonRetryable, true);
  assert.equal(
    input.message,
    'workflow input maxConcurrentAlbums: expected an integer from 1 to 1000, got 0',
    'names the field (and, in an activity, the workflow)',
  );
  const plain = new Error('connection reset');
  assert.equal(toActivityFailure(plain), plain, 'unknown errors stay retryable as they are');
});
