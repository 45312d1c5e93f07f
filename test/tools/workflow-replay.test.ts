// Replays every recorded history in test/fixtures/histories (`npm run fixtures:histories`: analyzeLibrary,
// analyzeAlbum, clusterLibrary, refreshRadio, syncListeningHistory and rebuildVectorIndex) with the current
// workflow bundle: a change to workflow code that would
// break workflows already running fails here. Replay is offline: no server. A second test proves the check
// can fail.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { installRuntime } from '../../lib/runtime.ts';
import type { FixtureEntry } from '../fixtures/record-histories.ts';
import { EventType, historyFromJson } from '../helpers/histories.ts';
import { workflowBundle } from '../helpers/worker.ts';
import { repoRoot } from '../shared-paths.ts';

const dir = path.join(repoRoot, 'test', 'fixtures', 'histories');
const { fixtures } = JSON.parse(fs.readFileSync(path.join(dir, 'index.json'), 'utf8')) as { fixtures: FixtureEntry[] };
const load = (f: FixtureEntry) => historyFromJson(JSON.parse(fs.readFileSync(path.join(dir, f.file), 'utf8')));
const lastEvent = (f: FixtureEntry) => load(f).events!.at(-1)!.eventType;
const silent = { trace() {}, debug() {}, info() {}, warn() {}, error: console.error, log() {} };

test('the fixtures cover the scenarios that matter, and every file is listed', () => {
  const files = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.json') && f !== 'index.json')
    .sort();
  assert.deepEqual(files, fixtures.map((f) => f.file).sort());
  const library = fixtures.filter((f) => f.workflowType === 'analyzeLibrary');
  const album = fixtures.filter((f) => f.workflowType === 'analyzeAlbum');
  assert.ok(
    library.some((f) => lastEvent(f) === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW),
    'a run that continued as new',
  );
  assert.ok(
    library.some((f) => {
      const started = load(f).events![0].workflowExecutionStartedEventAttributes!;
      return started.continuedExecutionRunId && lastEvent(f) === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED;
    }),
    'a run started by continue-as-new that completes',
  );
  assert.ok(
    library.some((f) => lastEvent(f) === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED),
    'a cancelled run',
  );
  assert.ok(
    album.some((f) => load(f).events!.some((e) => e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED)),
    'an album with a failed track',
  );
  assert.ok(album.length >= 1 && library.length >= 3);

  const cluster = fixtures.filter((f) => f.workflowType === 'clusterLibrary');
  const scheduled = (f: FixtureEntry) =>
    load(f)
      .events!.filter((e) => e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED)
      .map((e) => e.activityTaskScheduledEventAttributes!.activityType!.name);
  assert.ok(
    cluster.some(
      (f) =>
        lastEvent(f) === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW &&
        scheduled(f).includes('evolveClusteringGeneration'),
    ),
    'a clustering run that searched and continued as new',
  );
  assert.ok(
    cluster.some(
      (f) =>
        load(f).events![0].workflowExecutionStartedEventAttributes!.continuedExecutionRunId &&
        lastEvent(f) === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED &&
        scheduled(f).includes('storeClusteringPlaylists'),
    ),
    'a clustering run started by continue-as-new that stores its playlists and completes',
  );
  assert.ok(
    cluster.some(
      (f) =>
        lastEvent(f) === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED &&
        load(f).events!.some((e) => e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED),
    ),
    'a clustering run cancelled mid-generation',
  );
  assert.ok(
    cluster.some(
      (f) =>
        scheduled(f).includes('nameClusteringPlaylist') &&
        scheduled(f).includes('publishClusteringPlaylists') &&
        lastEvent(f) === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED,
    ),
    'a clustering run with AI naming and publishing',
  );
  assert.ok(
    cluster.some(
      (f) =>
        lastEvent(f) === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED &&
        load(f).events!.some((e) => e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED),
    ),
    'a clustering run whose begin failed',
  );
  assert.ok(
    cluster.some(
      (f) =>
        lastEvent(f) === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED &&
        scheduled(f).join() === 'beginClusteringRun',
    ),
    'a clustering run that found another one running',
  );

  const radio = fixtures.filter((f) => f.workflowType === 'refreshRadio');
  assert.ok(
    radio.some(
      (f) =>
        scheduled(f).join() === 'computeRadioSongs,publishRadio' &&
        lastEvent(f) === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED,
    ),
    'a radio refreshed and published',
  );
  assert.ok(
    radio.some((f) => load(f).events!.some((e) => (e.activityTaskStartedEventAttributes?.attempt ?? 1) > 1)),
    'a radio refresh whose activity was retried',
  );
  for (const type of ['syncListeningHistory', 'rebuildVectorIndex'] as const)
    assert.ok(
      fixtures.some(
        (f) => f.workflowType === type && lastEvent(f) === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED,
      ),
      `a ${type} run that completed`,
    );
  for (const f of fixtures) {
    const type = load(f).events![0].workflowExecutionStartedEventAttributes!.workflowType!.name;
    assert.equal(type, f.workflowType, `${f.file} holds a ${type} history`);
  }
});

test('every recorded history replays with the current workflow code', { timeout: 180_000 }, async () => {
  installRuntime();
  const histories = fixtures.map((f) => ({ workflowId: f.workflowId, history: load(f) }));
  const results: { workflowId: string; error?: Error }[] = [];
  for await (const r of Worker.runReplayHistories({ workflowBundle: await workflowBundle() }, histories))
    results.push(r);
  assert.equal(results.length, fixtures.length);
  for (const [k, r] of results.entries())
    assert.equal(r.error, undefined, `${fixtures[k].file}: ${r.error?.name}: ${r.error?.message}`);
});

test('replay detects a workflow that no longer issues the recorded commands', { timeout: 180_000 }, async () => {
  installRuntime();
  // Same type names, but their first command schedules another activity than the recorded one: an
  // analyzeLibrary that skips beginAnalysisRun, a clusterLibrary that ignores its carried state after
  // continue-as-new and begins the run again, and a refreshRadio that publishes before computing its songs.
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'audiomuse-replay-'));
  try {
    const file = path.join(tmp, 'changed-workflows.ts');
    fs.writeFileSync(
      file,
      `
      import { proxyActivities } from '@temporalio/workflow';
      const { listAlbumPage, beginClusteringRun, publishRadio } = proxyActivities<Record<string, (input: unknown) => Promise<unknown>>>({ startToCloseTimeout: '1 minute' });
      export async function analyzeLibrary(): Promise<void> {
        await listAlbumPage({ startIndex: 0, limit: 0 });
      }
      export async function clusterLibrary(): Promise<void> {
        await beginClusteringRun({});
      }
      export async function refreshRadio(): Promise<void> {
        await publishRadio({});
      }
    `,
    );
    const changed = await bundleWorkflowCode({
      workflowsPath: file,
      logger: silent,
      // The file lives outside the repository: let webpack find @temporalio/workflow in ours.
      webpackConfigHook: (config) => ({
        ...config,
        resolve: {
          ...config.resolve,
          modules: [...(config.resolve?.modules ?? []), path.join(repoRoot, 'node_modules')],
        },
      }),
    });
    const continued = (f: FixtureEntry) =>
      Boolean(load(f).events![0].workflowExecutionStartedEventAttributes!.continuedExecutionRunId);
    const cases = [
      {
        fixture: fixtures.find((f) => f.workflowType === 'analyzeLibrary' && !continued(f))!,
        recorded: 'beginAnalysisRun',
        issued: 'listAlbumPage',
      },
      {
        fixture: fixtures.find((f) => f.workflowType === 'clusterLibrary' && continued(f))!,
        recorded: 'evolveClusteringGeneration',
        issued: 'beginClusteringRun',
      },
      {
        fixture: fixtures.find((f) => f.workflowType === 'refreshRadio')!,
        recorded: 'computeRadioSongs',
        issued: 'publishRadio',
      },
    ];
    for (const { fixture, recorded, issued } of cases) {
      await assert.rejects(
        Worker.runReplayHistory({ workflowBundle: changed }, load(fixture), fixture.workflowId),
        (err: unknown) => {
          assert.ok(
            err instanceof DeterminismViolationError,
            `${fixture.file}: expected a DeterminismViolationError, got ${String(err)}`,
          );
          assert.match(err.message, new RegExp(`scheduled event '${recorded}' does not match .* command '${issued}'`));
          return true;
        },
      );
      // And the real bundle replays that same history: the failure above is the change, not the history.
      await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, load(fixture), fixture.workflowId);
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
