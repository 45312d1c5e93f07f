// Under the clustering panel: the settings a small library changed, and after a finished run how many songs
// are in no playlist and why, with a disclosure listing them (GET /api/runs/:id/left_out, a page at a time).
import type { LeftOutReason, SizeChange } from '../../words/clustering-defaults.ts';
import { fittedSentence, LEFT_OUT_LABEL, leftOutSentence } from '../../words/clustering-explained.ts';
import { api, type TaskStatus } from './api.ts';
import { h } from './dom.ts';
import { count } from './format.ts';
import { showError } from './song-list.ts';

/** Songs fetched per click: a long list stays quick to draw. */
const PAGE = 200;

interface LeftOutPage {
  total: number;
  tracks: { id: string; title: string | null; artist: string | null; album: string | null; reason: LeftOutReason }[];
}

export interface RunExplanation {
  show(status: TaskStatus): void;
}

export function runExplanation(root: HTMLElement): RunExplanation {
  const fitted = h('p', { id: 'clustering-fitted', class: 'meta', hidden: true });
  const line = h('p', { id: 'clustering-left-out', class: 'meta', hidden: true });
  const rows = h('tbody', { id: 'left-out-rows' });
  const status = h('p', { id: 'left-out-status', class: 'message', role: 'status', 'aria-live': 'polite' });
  const more = h('button', { type: 'button', id: 'left-out-more', class: 'secondary', hidden: true }, '');
  const list = h(
    'details',
    { id: 'left-out-songs', class: 'more', hidden: true },
    h('summary', {}, 'The songs in no playlist'),
    h(
      'div',
      { class: 'table-wrap' },
      h(
        'table',
        { class: 'songs' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ['Artist', 'Title', 'Album', 'Why'].map((c) => h('th', { scope: 'col' }, c)),
          ),
        ),
        rows,
      ),
    ),
    more,
    status,
  );
  root.append(fitted, line, list);

  let runId: string | undefined;
  let total = 0;
  let loading = false;

  const load = async () => {
    if (!runId || loading) return;
    loading = true;
    more.disabled = true;
    try {
      const page = await api<LeftOutPage>(
        `/api/runs/${encodeURIComponent(runId)}/left_out?limit=${PAGE}&offset=${rows.childElementCount}`,
      );
      total = page.total;
      rows.append(
        ...page.tracks.map((t) =>
          h(
            'tr',
            { 'data-track': t.id },
            h('td', {}, t.artist ?? '—'),
            h('td', { class: 'title' }, t.title ?? '(untitled)'),
            h('td', {}, t.album ?? '—'),
            h('td', { 'data-reason': t.reason }, LEFT_OUT_LABEL[t.reason]),
          ),
        ),
      );
      const left = total - rows.childElementCount;
      more.hidden = left <= 0;
      more.textContent = `Show ${count(Math.min(PAGE, left))} more (${count(left)} not shown)`;
      status.textContent = '';
    } catch (err) {
      showError(status, err);
    } finally {
      loading = false;
      more.disabled = false;
    }
  };
  list.addEventListener('toggle', () => {
    if (list.open && !rows.childElementCount) void load();
  });
  more.addEventListener('click', () => void load());

  return {
    show(s) {
      const d = s.details;
      const trackCount = typeof d.trackCount === 'number' ? d.trackCount : null;
      const text = fittedSentence(trackCount, Array.isArray(d.sizeChanges) ? (d.sizeChanges as SizeChange[]) : []);
      fitted.textContent = text;
      fitted.hidden = !text;
      const counts = (d.outcome as { leftOut?: Partial<Record<LeftOutReason, number>> } | undefined)?.leftOut;
      const id = s.run_id ?? s.task_id;
      // Another run (or one not finished yet): the list it showed belongs to the run before.
      if (id !== runId || !counts) {
        runId = id;
        rows.replaceChildren();
        list.open = false;
        more.hidden = true;
      }
      line.textContent = counts ? leftOutSentence(trackCount, counts) : '';
      line.hidden = !counts;
      list.hidden = !counts || !Object.values(counts).some((n) => n > 0);
    },
  };
}
