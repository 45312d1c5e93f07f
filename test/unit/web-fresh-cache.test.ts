// FreshCache (web/api/fresh-cache.ts): polled answers computed at most once per window, on a hand-driven clock.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FreshCache } from '../../web/api/fresh-cache.ts';

function counter() {
  let calls = 0;
  const compute = (v: string) => () => {
    calls++;
    return Promise.resolve(`${v}${calls}`);
  };
  return { compute, calls: () => calls };
}

test('a settled answer is reused inside the window and recomputed after it', async () => {
  let now = 1000;
  const cache = new FreshCache<string>(500, () => now);
  const c = counter();
  assert.equal(await cache.get('a', c.compute('a')), 'a1');
  now += 499;
  assert.equal(await cache.get('a', c.compute('a')), 'a1');
  assert.equal(await cache.get('b', c.compute('b')), 'b2', 'keys are separate');
  now += 1;
  assert.equal(await cache.get('a', c.compute('a')), 'a3', 'the window counts from when the answer settled');
  assert.equal(c.calls(), 3);
});

test('callers share a computation that is still running, however long it takes', async () => {
  let now = 0;
  const cache = new FreshCache<string>(10, () => now);
  let release!: (v: string) => void;
  let calls = 0;
  const slow = () => {
    calls++;
    return new Promise<string>((r) => (release = r));
  };
  const first = cache.get('k', slow);
  now = 5000;
  const second = cache.get('k', slow);
  release('done');
  assert.deepEqual(await Promise.all([first, second]), ['done', 'done']);
  assert.equal(calls, 1);
});

test('a failure is not kept: the next caller computes again', async () => {
  const cache = new FreshCache<string>(60_000);
  await assert.rejects(
    cache.get('k', () => Promise.reject(new Error('PostgreSQL down'))),
    /PostgreSQL down/,
  );
  assert.equal(await cache.get('k', () => Promise.resolve('up')), 'up');
});

test('forget drops one key at once; expired keys are pruned when the cache is full', async () => {
  let now = 0;
  const cache = new FreshCache<string>(100, () => now, 3);
  const c = counter();
  await cache.get('run', c.compute('x'));
  cache.forget('run');
  assert.equal(await cache.get('run', c.compute('x')), 'x2', 'forgotten: computed again inside the window');
  await cache.get('u1', c.compute('u'));
  await cache.get('u2', c.compute('u'));
  assert.equal(cache.size, 3);
  now = 200; // all three expired
  await cache.get('u3', c.compute('u'));
  assert.equal(cache.size, 1, 'the expired entries made room');
});
