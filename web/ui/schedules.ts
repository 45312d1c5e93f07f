// The Schedules panel: our Temporal Schedules (nightly analysis, weekly clustering) with their next and last
// runs, paused or not, buttons to pause, resume, trigger and delete, and links to Temporal Web.
import { api } from './api.ts';
import { byId, h } from './dom.ts';
import { when } from './format.ts';

interface ScheduledRun {
  workflowId: string;
  startedAt: string;
  status: string;
  temporalUrl: string | null;
}
interface Schedule {
  id: string;
  kind: string;
  when: string;
  note: string;
  paused: boolean;
  pauseNote: string | null;
  nextRuns: string[];
  lastRun: ScheduledRun | null;
  temporalUrl: string | null;
}

const link = (href: string | null, text: string) =>
  href ? h('a', { href, target: '_blank', rel: 'noopener' }, text) : text;

function row(s: Schedule, message: (text: string, isError?: boolean) => void): HTMLTableRowElement {
  const act = (label: string, path: string, method: 'POST' | 'DELETE' = 'POST') =>
    h(
      'button',
      {
        type: 'button',
        class: 'secondary',
        'data-action': label.toLowerCase(),
        onclick: () => {
          if (method === 'DELETE' && !confirm(`Delete the schedule ${s.id}? A run it started goes on.`)) return;
          api(path, { method })
            .then(() => message(`${label}: ${s.id}`))
            .catch((err: Error) => message(err.message, true))
            .finally(() => void showSchedules());
        },
      },
      label,
    );
  const base = `/api/schedules/${encodeURIComponent(s.id)}`;
  const last = s.lastRun;
  return h(
    'tr',
    { 'data-schedule': s.id },
    h('td', {}, link(s.temporalUrl, s.id), s.note ? h('div', { class: 'meta' }, s.note) : null),
    h('td', {}, s.kind),
    h('td', {}, s.when),
    h('td', {}, s.paused ? '—' : when(s.nextRuns[0] ?? null)),
    h(
      'td',
      { class: `status ${last?.status ?? ''}` },
      last ? [link(last.temporalUrl, last.status), ' ', when(last.startedAt)] : 'none yet',
    ),
    h('td', { title: s.pauseNote ?? '' }, s.paused ? 'paused' : 'active'),
    h(
      'td',
      { class: 'actions' },
      s.paused ? act('Resume', `${base}/resume`) : act('Pause', `${base}/pause`),
      act('Trigger', `${base}/trigger`),
      act('Delete', base, 'DELETE'),
    ),
  );
}

export async function showSchedules(): Promise<void> {
  const table = byId('schedules-body');
  const note = byId('schedules-message');
  const message = (text: string, isError = false) => {
    note.textContent = text;
    note.classList.toggle('error', isError);
  };
  try {
    const { schedules } = await api<{ schedules: Schedule[] }>('/api/schedules');
    table.replaceChildren(...schedules.map((s) => row(s, message)));
    if (!schedules.length)
      table.replaceChildren(
        h(
          'tr',
          {},
          h(
            'td',
            { colspan: 7, class: 'empty' },
            'No schedules yet: audiomuse schedule create nightly --kind analysis --cron "0 3 * * *"',
          ),
        ),
      );
  } catch (err) {
    table.replaceChildren(
      h('tr', {}, h('td', { colspan: 7, class: 'error' }, err instanceof Error ? err.message : String(err))),
    );
  }
}
