// A second node:test reporter beside `spec`: after the run, the ten slowest tests with their files (so a test
// that grows slow is seen before it eats CI's time), then one `N passed, N failed` line.
// Plain JS: reporters load before tsx's hooks.
export default async function* slowest(source) {
  const done = [];
  let passed = 0,
    failed = 0;
  for await (const event of source) {
    const d = event.data;
    if ((event.type !== 'test:pass' && event.type !== 'test:fail') || d.details?.type === 'suite') continue;
    if (event.type === 'test:fail') failed++;
    else if (!d.skip && !d.todo) passed++;
    done.push({ name: d.name, file: d.file ?? '', ms: d.details?.duration_ms ?? 0 });
  }
  const top = done.sort((a, b) => b.ms - a.ms).slice(0, 10);
  yield `\nslowest ${top.length} tests:\n`;
  for (const t of top)
    yield `  ${(t.ms / 1000).toFixed(1).padStart(7)} s  ${t.name}  (${t.file.replace(/^.*\/test\//, 'test/')})\n`;
  yield `${passed} passed, ${failed} failed\n`;
}
