// A list of songs as the listening panel shows a result (similar songs, a mix, a path): a table with each song's
// distance, and a form that saves the songs as a playlist on the media server (POST /api/create_playlist).
import { api, type Song, type SongAt } from './api.ts';
import { h } from './dom.ts';
import { fixed } from './format.ts';

export const songName = (s: Song) => `${s.title ?? '(untitled)'} — ${s.author ?? 'unknown artist'}`;

/** Shows an error from the API (its message names the field) or any other failure in a status line. */
export function showError(status: HTMLElement, err: unknown): void {
  status.textContent = err instanceof Error ? err.message : String(err);
  status.classList.add('error');
}

export function showStatus(status: HTMLElement, text: string): void {
  status.textContent = text;
  status.classList.remove('error');
}

function table(songs: SongAt[], distanceLabel: string): HTMLElement {
  return h(
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
          ['#', 'Title', 'Artist', 'Album'].map((c) => h('th', { scope: 'col' }, c)),
          h('th', { scope: 'col', class: 'num' }, distanceLabel),
        ),
      ),
      h(
        'tbody',
        {},
        songs.map((s, i) =>
          h(
            'tr',
            { 'data-item': s.item_id },
            h('td', { class: 'num' }, i + 1),
            h('td', { class: 'title' }, s.title ?? '(untitled)'),
            h('td', {}, s.author ?? '—'),
            h('td', {}, s.album ?? '—'),
            // Rounding leaves a song's distance to itself a hair below 0.
            h('td', { class: 'num distance' }, fixed(Math.max(0, s.distance), 3)),
          ),
        ),
      ),
    ),
  );
}

/** Saves the songs under a name the user may change; the answer (or the API's refusal) is shown beside. */
function saveForm(prefix: string, songs: SongAt[], name: string): HTMLFormElement {
  const input = h('input', { id: `${prefix}-save-name`, type: 'text', value: name, maxlength: 200, required: true });
  const status = h('p', { id: `${prefix}-save-status`, class: 'message', role: 'status' });
  const button = h('button', { id: `${prefix}-save`, type: 'submit', class: 'secondary' }, 'Save as playlist');
  const form = h(
    'form',
    { class: 'save row', novalidate: true },
    h('label', { for: input.id }, 'Playlist name'),
    input,
    button,
    status,
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    button.disabled = true;
    showStatus(status, 'Saving…');
    const name = input.value.trim();
    // The server may decorate the name (the original appends "_instant"): show the one it saved.
    api<{ playlist_id: string; name?: string }>('/api/create_playlist', {
      method: 'POST',
      body: { playlist_name: name, track_ids: songs.map((s) => s.item_id) },
    })
      .then((r) => {
        showStatus(status, `Saved “${r.name ?? name}” on the media server (id ${r.playlist_id}).`);
        document.dispatchEvent(new Event('playlist-saved')); // the saved playlists list shows it
      })
      .catch((err: unknown) => showError(status, err))
      .finally(() => {
        button.disabled = false;
      });
  });
  return form;
}

/** A result: its songs with distances and a save form (`prefix` makes the form's ids unique on the page). */
export function songResult(
  prefix: string,
  songs: SongAt[],
  opts: { distanceLabel: string; playlistName: string },
): HTMLElement[] {
  if (!songs.length) return [h('p', { class: 'meta' }, 'No songs.')];
  return [table(songs, opts.distanceLabel), saveForm(prefix, songs, opts.playlistName)];
}
