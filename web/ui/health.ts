// The health strip: PostgreSQL, Temporal, the worker and the media source, refreshed every few seconds; when a
// part the system needs is down, a banner says what that means instead of leaving the page spinning.
import { api, ApiFailure, type Health, type PartHealth } from './api.ts';
import { byId, h } from './dom.ts';

const PARTS: [keyof Health, string][] = [
  ['postgres', 'PostgreSQL'],
  ['temporal', 'Temporal'],
  ['worker', 'Worker'],
  ['mediaServer', 'Media source'],
];
const REFRESH_MS = 5000;

function detail(key: keyof Health, p: PartHealth): string {
  if (!p.ok) return p.error ?? 'down';
  switch (key) {
    case 'postgres':
      // The minimal answer (API_TOKEN set, session expired) carries no version: only "up".
      return p.version === undefined ? 'up' : `${String(p.version)}, ${String(p.latencyMs)} ms`;
    case 'temporal':
      return String(p.address ?? '');
    case 'worker':
      return `${String(p.analysisPollers ?? 0)} analysis, ${String(p.clusteringPollers ?? 0)} clustering`;
    default:
      return [p.type, p.server].filter(Boolean).join(': ');
  }
}

function consequences(health: Health): string[] {
  const out: string[] = [];
  if (!health.postgres.ok)
    out.push('PostgreSQL is down: stored runs, tracks and playlists cannot be shown until it is back.');
  if (!health.temporal.ok) out.push('Temporal is down: runs cannot be started, watched or cancelled until it is back.');
  else if (!health.worker.ok)
    out.push('No worker is running: runs can be started but will wait until a worker polls (npm run worker).');
  return out;
}

export interface HealthView {
  /** Called after every check with the answer (undefined when the server did not answer). */
  onChange(fn: (health: Health | undefined) => void): void;
  refresh(): Promise<void>;
}

export function startHealth(): HealthView {
  const strip = byId('health');
  const banner = byId('banner');
  const temporalLink = byId<HTMLAnchorElement>('temporal-web');
  const listeners: ((health: Health | undefined) => void)[] = [];
  const show = (health: Health | undefined, error?: string) => {
    strip.replaceChildren(
      ...PARTS.filter(([k]) => !health || health[k]).map(([key, name]) => {
        const part = health?.[key] as PartHealth | undefined;
        const state = !part ? 'unknown' : part.ok ? 'ok' : 'down';
        return h(
          'li',
          { class: `part ${state}`, 'data-part': key, title: part ? detail(key, part) : '' },
          h('span', { class: 'dot', 'aria-hidden': 'true' }),
          h('b', {}, name),
          ' ',
          h('span', { class: 'state' }, state),
          h('span', { class: 'detail' }, part ? detail(key, part) : ''),
        );
      }),
    );
    const messages = health ? consequences(health) : [error ?? 'The web server does not answer.'];
    banner.replaceChildren(...messages.map((m) => h('p', {}, m)));
    banner.hidden = messages.length === 0;
    if (health?.temporalUi) {
      temporalLink.href = health.temporalUi;
      temporalLink.hidden = false;
    }
    for (const fn of listeners) fn(health);
  };
  const refresh = async () => {
    try {
      // 503 still carries the parts: it is an answer, not a failure.
      show(await api<Health>('/api/health', { okStatuses: [503] }));
    } catch (err) {
      show(undefined, err instanceof ApiFailure ? err.message : String(err));
    }
  };
  setInterval(() => void refresh(), REFRESH_MS);
  return { onChange: (fn) => listeners.push(fn), refresh };
}
