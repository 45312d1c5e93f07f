// A second node:test reporter beside `spec`: after the run, the ten slowest tests with their files (so a test
// that grows slow is seen before it eats CI's time), then one `N passed, N failed, N todo` line (a
// todo test runs but its failure fails nothing, as node:test's own summary counts it).
// Plain JS: reporters load before tsx's hooks.
export default async function* slowest(source) {
  const done = [];
  let passed = 0,
    failed = 0,
    todo = 0;
  for await (const event of source) {
    const d = event.data;
    if ((event.type !== 'test:pass' && event.type !== 'test:fail') || d.details?.type === 'suite') continue;
    if (d.todo) todo++;
    else if (event.type === 'test:fail') failed++;
    else if (!d.skip) passed++;
    done.push({ name: d.name, file: d.file ?? '', ms: d.details?.duration_ms ?? 0 });
  }
  const top = done.sort((a, b) => b.ms - a.ms).slice(0, 10);
  yield `\nslowest ${top.length} tests:\n`;
  for (const t of top)
    yield `  ${(t.ms / 1000).toFixed(1).padStart(7)} s  ${t.name}  (${t.file.replace(/^.*\/test\//, 'test/')})\n`;
  yield `${passed} passed, ${failed} failed${todo > 0 ? `, ${todo} todo` : ''}\n`;
}
