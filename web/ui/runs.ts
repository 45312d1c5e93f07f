// Start / cancel buttons and the live progress of one kind of run (analysis or clustering), fed by the
// server-sent events of GET /api/runs/:id/events; and the table of recent runs with links to Temporal Web.
import { api, ApiFailure, type RunSummary, type TaskStatus } from './api.ts';
import { count, duration, fixed, when } from './format.ts';
import { byId, h } from './dom.ts';

type Kind = 'analysis' | 'clustering';
const STATE_TEXT: Record<TaskStatus['state'], string> = {
  PENDING: 'starting',
  PROGRESS: 'running',
  SUCCESS: 'finished',
  FAILURE: 'failed',
  REVOKED: 'cancelled',
};

const num = (d: Record<string, unknown>, k: string) => (typeof d[k] === 'number' ? (d[k] as number) : null);

/** The counters under the bar: albums and tracks for an analysis; runs, generation and score for a clustering. */
function stats(kind: Kind, d: Record<string, unknown>): string[] {
  if (kind === 'analysis') {
    const albums = (num(d, 'albumsDone') ?? 0) + (num(d, 'albumsFailed') ?? 0);
    return [
      `albums ${count(albums)} / ${count(num(d, 'albumsTotal'))}`,
      `tracks ${count(num(d, 'tracksAnalyzed') ?? 0)} analysed, ${count(num(d, 'tracksSkipped') ?? 0)} skipped, ${count(num(d, 'tracksFailed') ?? 0)} failed`,
      `${num(d, 'tracksPerHour') === null ? '—' : count(Math.round(num(d, 'tracksPerHour')!))} tracks/h`,
      `ETA ${duration(num(d, 'etaSeconds'))}`,
    ];
  }
  // Earlier playlists the user renamed or took over on the server: kept there, so say how many.
  const leftAlone = num((d.outcome ?? {}) as Record<string, unknown>, 'leftAlone');
  return [
    `runs ${count(num(d, 'runsDone') ?? 0)} / ${count(num(d, 'runsTotal'))}`,
    `generation ${count(num(d, 'generation') ?? 0)}`,
    `best score ${fixed(num(d, 'bestScore'), 3)}`,
    `${fixed(num(d, 'runsPerSecond'), 1)} runs/s`,
    `ETA ${duration(num(d, 'etaSeconds'))}`,
    ...(leftAlone ? [`left alone: ${count(leftAlone)}`] : []),
  ];
}

export interface RunPanel {
  /** Follows a task's progress until it ends. */
  watch(taskId: string): void;
  show(status: TaskStatus): void;
  message(text: string, isError?: boolean): void;
}

export function runPanel(opts: {
  kind: Kind;
  root: HTMLElement;
  startLabel: string;
  /** Starts the run (the clustering panel posts its form); resolves to the task id, or undefined when nothing started. */
  start(): Promise<string | undefined>;
  onFinished(status: TaskStatus): void;
  /** Each status shown (the clustering panel explains its result below the counters). */
  onShow?(status: TaskStatus): void;
  /** After a start or a cancellation went through (the recent runs follow). */
  onAction(): void;
}): RunPanel {
  const { kind } = opts;
  const startButton = h('button', { type: 'button', id: `${kind}-start` }, opts.startLabel);
  const cancelButton = h(
    'button',
    { type: 'button', id: `${kind}-cancel`, class: 'secondary', disabled: true },
    'Cancel',
  );
  const bar = h('progress', { id: `${kind}-bar`, max: 100, value: 0, 'aria-label': `${kind} progress` });
  const percent = h('span', { class: 'percent', id: `${kind}-percent` }, '—');
  const state = h('span', { class: 'state', id: `${kind}-state` }, 'idle');
  const counters = h('ul', { class: 'stats', id: `${kind}-stats` });
  const note = h('p', { class: 'message', id: `${kind}-message`, role: 'status', 'aria-live': 'polite' });
  const link = h(
    'a',
    { class: 'temporal-link', target: '_blank', rel: 'noopener', hidden: true },
    'open in Temporal Web',
  );
  opts.root.append(
    h('div', { class: 'actions' }, startButton, cancelButton, state, link),
    h('div', { class: 'bar' }, bar, percent),
    counters,
    note,
  );

  let taskId: string | undefined;
  let source: EventSource | undefined;

  const message = (text: string, isError = false) => {
    note.textContent = text;
    note.classList.toggle('error', isError);
  };
  const show = (s: TaskStatus) => {
    taskId = s.task_id;
    bar.value = s.progress;
    percent.textContent = `${fixed(s.progress, s.progress % 1 ? 1 : 0)} %`;
    const error = typeof s.details.error === 'string' ? `: ${s.details.error}` : '';
    state.textContent = `${STATE_TEXT[s.state]}${error}`;
    state.dataset.state = s.state;
    counters.replaceChildren(...stats(kind, s.details).map((t) => h('li', {}, t)));
    startButton.disabled = s.running;
    cancelButton.disabled = !s.running;
    link.hidden = !s.temporal_url;
    if (s.temporal_url) link.href = s.temporal_url;
    opts.onShow?.(s);
  };
  const watch = (id: string) => {
    source?.close();
    taskId = id;
    startButton.disabled = true;
    const es = new EventSource(`/api/runs/${encodeURIComponent(id)}/events`);
    source = es;
    let last: TaskStatus | undefined;
    es.addEventListener('progress', (e) => {
      last = JSON.parse((e as MessageEvent<string>).data) as TaskStatus;
      show(last);
    });
    es.addEventListener('unavailable', (e) =>
      message((JSON.parse((e as MessageEvent<string>).data) as { error: string }).error, true),
    );
    es.addEventListener('end', () => {
      es.close();
      if (last) opts.onFinished(last);
    });
    // While CONNECTING the browser reconnects by itself; CLOSED means it gave up (the server refused the stream).
    es.addEventListener('error', () => {
      if (es.readyState === EventSource.CLOSED)
        message('Live progress is unavailable; reload the page to try again.', true);
    });
  };

  startButton.addEventListener('click', () => {
    startButton.disabled = true;
    message('');
    opts
      .start()
      .then((id) => {
        if (!id) {
          startButton.disabled = false;
          return;
        }
        watch(id);
        opts.onAction();
      })
      .catch((err: unknown) => {
        if (err instanceof ApiFailure && err.status === 409 && typeof err.body?.task_id === 'string') {
          message(err.message);
          watch(err.body.task_id);
          return;
        }
        message(err instanceof Error ? err.message : String(err), true);
        startButton.disabled = false;
      });
  });
  cancelButton.addEventListener('click', () => {
    if (!taskId) return;
    cancelButton.disabled = true;
    api(`/api/cancel/${encodeURIComponent(taskId)}`, { method: 'POST' })
      .then(() => {
        message('Cancelling…');
        opts.onAction();
      })
      .catch((err: unknown) => message(err instanceof Error ? err.message : String(err), true));
  });
  return { watch, show, message };
}

export async function showRecentRuns(): Promise<void> {
  const table = byId('runs-body');
  try {
    const { runs } = await api<{ runs: RunSummary[] }>('/api/runs?limit=10');
    table.replaceChildren(
      ...runs.map((r) =>
        h(
          'tr',
          { 'data-run': r.id },
          h('td', {}, r.id),
          h('td', {}, r.kind),
          h('td', { class: `status ${r.status}`, title: r.error ?? '' }, r.status),
          h('td', {}, when(r.startedAt)),
          h('td', {}, when(r.finishedAt)),
          h(
            'td',
            {},
            r.temporalUrl
              ? h('a', { href: r.temporalUrl, target: '_blank', rel: 'noopener' }, r.workflowId)
              : r.workflowId,
          ),
        ),
      ),
    );
    if (!runs.length)
      table.replaceChildren(h('tr', {}, h('td', { colspan: 6, class: 'empty' }, 'No runs yet: start an analysis.')));
  } catch (err) {
    table.replaceChildren(
      h('tr', {}, h('td', { colspan: 6, class: 'error' }, err instanceof Error ? err.message : String(err))),
    );
  }
}
