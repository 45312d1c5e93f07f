// The media source panel: shown when no source is configured or it cannot be reached; says what to set for
// Jellyfin, Navidrome or a folder (with examples) and checks the connection on request.
import { api, ApiFailure, type MediaAdvice } from './api.ts';
import { byId, h } from './dom.ts';

export async function showMediaAdvice(): Promise<void> {
  const panel = byId('media');
  let advice: MediaAdvice;
  try {
    advice = await api<MediaAdvice>('/api/media');
  } catch {
    return; // the health strip already says the server is unreachable
  }
  if (advice.configured && advice.ok !== false) {
    panel.hidden = true;
    return;
  }
  const result = h('p', { class: 'check-result', role: 'status', 'aria-live': 'polite' });
  const button = h('button', { type: 'button', class: 'secondary' }, 'Check connection');
  button.addEventListener('click', () => {
    button.disabled = true;
    result.textContent = 'Checking…';
    result.className = 'check-result';
    void api<{ ok: boolean; message: string }>('/api/media/check', { method: 'POST' })
      .then((r) => {
        result.textContent = r.message;
        result.classList.add(r.ok ? 'ok' : 'down');
      })
      .catch((err: unknown) => {
        result.textContent = err instanceof ApiFailure ? err.message : String(err);
      })
      .finally(() => {
        button.disabled = false;
      });
  });
  panel.replaceChildren(
    h('h2', {}, 'Media source'),
    h('p', { class: 'problem' }, advice.problem ?? `Using ${advice.target}.`),
    advice.action ? h('p', {}, advice.action) : '',
    h(
      'div',
      { class: 'sources' },
      advice.sources.map((s) =>
        h(
          'section',
          { class: 'source', 'data-source': s.type },
          h('h3', {}, s.title),
          h(
            'dl',
            {},
            s.variables.flatMap((v) => [
              h('dt', {}, h('code', {}, v.name)),
              h('dd', {}, h('code', {}, v.example), ' — ', v.meaning),
            ]),
          ),
          h('pre', {}, h('code', {}, s.example)),
        ),
      ),
    ),
    h('div', { class: 'row' }, button, result),
  );
  panel.hidden = false;
}
