// The listening panel: find a song by typing (title or artist), then see its similar songs with distances, mix
// several songs with alchemy (all added = an instant mix), or walk from one song to another drawn over the
// library map; every result can be saved as a playlist on the media server.
import { api, type Song, type SongAt } from './api.ts';
import { byId, h } from './dom.ts';
import { highlightSongs } from './map.ts';
import { showError, showStatus, songName, songResult } from './song-list.ts';

const SEARCH_LIMIT = 10;
/** Typing pauses this long before the search is sent. */
const SEARCH_DELAY_MS = 200;

type Op = 'ADD' | 'SUBTRACT';

function numberField(id: string, label: string, attrs: { value: number; min: number; max: number; step?: number }) {
  const input = h('input', { id, type: 'number', inputmode: 'decimal', ...attrs });
  return { input, el: h('div', { class: 'field' }, h('label', { for: id }, label), input) };
}

/** Songs whose title or artist contains the text: both look-ups, merged without repeats. */
export async function searchSongs(text: string): Promise<Song[]> {
  const q = encodeURIComponent(text);
  const [byTitle, byArtist] = await Promise.all([
    api<Song[]>(`/api/search_tracks?title=${q}&limit=${SEARCH_LIMIT}`),
    api<Song[]>(`/api/search_tracks?artist=${q}&limit=${SEARCH_LIMIT}`),
  ]);
  return [...new Map([...byTitle, ...byArtist].map((s) => [s.item_id, s])).values()];
}

function similarTool() {
  const dedupe = h('input', { id: 'similar-dedupe', type: 'checkbox' });
  const n = numberField('similar-n', 'Songs', { value: 20, min: 1, max: 1000 });
  const status = h('p', { id: 'similar-status', class: 'message', role: 'status' }, 'Pick a song above.');
  const result = h('div', { id: 'similar-result' });
  let seed: Song | undefined;
  const load = async () => {
    if (!seed) return;
    const s = seed;
    showStatus(status, `Similar to ${songName(s)}…`);
    try {
      const songs = await api<SongAt[]>(
        `/api/similar_tracks?item_id=${encodeURIComponent(s.item_id)}&n=${encodeURIComponent(n.input.value)}` +
          `&eliminate_duplicates=${dedupe.checked}`,
      );
      if (seed !== s) return; // another song was picked meanwhile
      showStatus(status, `${songs.length} songs similar to ${songName(s)}`);
      result.replaceChildren(
        ...songResult('similar', songs, {
          distanceLabel: 'Distance to it',
          playlistName: `Similar to ${s.title ?? s.item_id}`,
        }),
      );
    } catch (err) {
      showError(status, err);
      result.replaceChildren();
    }
  };
  dedupe.addEventListener('change', () => void load());
  n.input.addEventListener('change', () => void load());
  const el = h(
    'section',
    { class: 'tool', 'aria-labelledby': 'similar-title' },
    h('h3', { id: 'similar-title' }, 'Similar songs'),
    h(
      'div',
      { class: 'row' },
      n.el,
      h(
        'div',
        { class: 'field check' },
        dedupe,
        h('label', { for: 'similar-dedupe' }, 'Leave out other versions (live, remaster …)'),
      ),
    ),
    status,
    result,
  );
  return {
    el,
    show(song: Song) {
      seed = song;
      void load();
    },
  };
}

function mixTool() {
  const seeds: { song: Song; op: Op }[] = [];
  const list = h('ul', { id: 'mix-seeds', class: 'seeds', 'aria-label': 'Songs in the mix' });
  const n = numberField('mix-n', 'Songs', { value: 25, min: 1, max: 500 });
  const temperature = numberField('mix-temperature', 'Temperature', { value: 1, min: 0, max: 10, step: 0.1 });
  const run = h('button', { id: 'mix-run', type: 'button', disabled: true }, 'Mix');
  const status = h(
    'p',
    { id: 'mix-status', class: 'message', role: 'status' },
    'Add songs above; subtract some to steer away from them.',
  );
  const result = h('div', { id: 'mix-result' });
  const render = () => {
    run.disabled = !seeds.length;
    list.replaceChildren(
      ...seeds.map((seed, i) => {
        const name = songName(seed.song);
        const op = h(
          'select',
          { 'aria-label': `Add or subtract ${name}` },
          h('option', { value: 'ADD', selected: seed.op === 'ADD' }, 'Add'),
          h('option', { value: 'SUBTRACT', selected: seed.op === 'SUBTRACT' }, 'Subtract'),
        );
        op.addEventListener('change', () => {
          seed.op = op.value as Op;
        });
        const remove = h(
          'button',
          { type: 'button', class: 'secondary small', 'aria-label': `Remove ${name} from the mix` },
          'Remove',
        );
        remove.addEventListener('click', () => {
          seeds.splice(i, 1);
          render();
        });
        return h('li', { 'data-item': seed.song.item_id }, op, h('span', { class: 'song' }, name), remove);
      }),
    );
  };
  run.addEventListener('click', () => {
    run.disabled = true;
    showStatus(status, 'Mixing…');
    api<{ results: SongAt[]; filtered_out: unknown[] }>('/api/alchemy', {
      method: 'POST',
      body: {
        items: seeds.map((s) => ({ id: s.song.item_id, op: s.op, type: 'song' })),
        n: Number(n.input.value),
        temperature: Number(temperature.input.value),
      },
    })
      .then(({ results, filtered_out }) => {
        const dropped = filtered_out.length ? `; ${filtered_out.length} dropped near the subtracted songs` : '';
        showStatus(status, `${results.length} songs${dropped}`);
        const added = seeds.filter((s) => s.op === 'ADD').map((s) => s.song.title ?? s.song.item_id);
        result.replaceChildren(
          ...songResult('mix', results, {
            distanceLabel: 'Distance to the mix',
            playlistName: `Mix of ${added.join(', ')}`,
          }),
        );
      })
      .catch((err: unknown) => {
        showError(status, err);
        result.replaceChildren();
      })
      .finally(() => {
        run.disabled = !seeds.length;
      });
  });
  const el = h(
    'section',
    { class: 'tool', 'aria-labelledby': 'mix-title' },
    h('h3', { id: 'mix-title' }, 'Mix (instant mix, alchemy)'),
    list,
    h('div', { class: 'row' }, n.el, temperature.el, run),
    status,
    result,
  );
  return {
    el,
    add(song: Song) {
      if (!seeds.some((s) => s.song.item_id === song.item_id)) seeds.push({ song, op: 'ADD' });
      render();
    },
  };
}

function pathTool() {
  const ends: { from?: Song; to?: Song } = {};
  const from = h('output', { id: 'path-from' }, '—');
  const to = h('output', { id: 'path-to' }, '—');
  const steps = numberField('path-steps', 'Songs in the path', { value: 25, min: 2, max: 500 });
  const run = h('button', { id: 'path-run', type: 'button', disabled: true }, 'Draw path');
  const clear = h('button', { id: 'path-clear', type: 'button', class: 'secondary', disabled: true }, 'Clear');
  const status = h(
    'p',
    { id: 'path-status', class: 'message', role: 'status' },
    'Pick the first and the last song above.',
  );
  const result = h('div', { id: 'path-result' });
  const render = () => {
    from.textContent = ends.from ? songName(ends.from) : '—';
    to.textContent = ends.to ? songName(ends.to) : '—';
    run.disabled = !ends.from || !ends.to;
  };
  run.addEventListener('click', () => {
    const { from: a, to: b } = ends;
    if (!a || !b) return;
    run.disabled = true;
    showStatus(status, 'Finding the path…');
    api<{ path: SongAt[]; total_distance: number }>(
      `/api/find_path?start_song_id=${encodeURIComponent(a.item_id)}&end_song_id=${encodeURIComponent(b.item_id)}` +
        `&max_steps=${encodeURIComponent(steps.input.value)}`,
    )
      .then(({ path, total_distance }) => {
        showStatus(status, `${path.length} songs, total distance ${total_distance.toFixed(3)}; drawn on the map`);
        result.replaceChildren(
          ...songResult('path', path, {
            distanceLabel: 'Distance from the first',
            playlistName: `${a.title ?? a.item_id} to ${b.title ?? b.item_id}`,
          }),
        );
        highlightSongs(path.map((s) => s.item_id));
        clear.disabled = false;
      })
      .catch((err: unknown) => {
        // The map and the list agree: neither shows the previous path.
        showError(status, err);
        result.replaceChildren();
        highlightSongs([]);
        clear.disabled = true;
      })
      .finally(render);
  });
  clear.addEventListener('click', () => {
    highlightSongs([]);
    result.replaceChildren();
    showStatus(status, '');
    clear.disabled = true;
  });
  const el = h(
    'section',
    { class: 'tool', 'aria-labelledby': 'path-title' },
    h('h3', { id: 'path-title' }, 'Path on the map'),
    h(
      'dl',
      { class: 'ends' },
      h('dt', {}, h('label', { for: 'path-from' }, 'From')),
      h('dd', {}, from),
      h('dt', {}, h('label', { for: 'path-to' }, 'To')),
      h('dd', {}, to),
    ),
    h('div', { class: 'row' }, steps.el, run, clear),
    status,
    result,
  );
  return {
    el,
    set(end: 'from' | 'to', song: Song) {
      ends[end] = song;
      render();
    },
  };
}

export function showListening(): void {
  const similar = similarTool();
  const mix = mixTool();
  const path = pathTool();
  const search = h('input', {
    id: 'song-search',
    type: 'search',
    autocomplete: 'off',
    placeholder: 'Title or artist',
    'aria-describedby': 'song-search-status',
  });
  const status = h('p', { id: 'song-search-status', class: 'meta', role: 'status' });
  const results = h('ul', { id: 'song-results', class: 'song-results', 'aria-label': 'Songs found' });
  const action = (label: string, name: string, act: () => void) => {
    const b = h('button', { type: 'button', class: 'secondary small', 'aria-label': `${label}: ${name}` }, label);
    b.addEventListener('click', act);
    return b;
  };
  const row = (song: Song) => {
    const name = songName(song);
    return h(
      'li',
      { 'data-item': song.item_id },
      h('span', { class: 'song' }, name, song.album ? h('span', { class: 'meta' }, ` · ${song.album}`) : null),
      h(
        'span',
        { class: 'row' },
        action('Similar', name, () => similar.show(song)),
        action('Add to mix', name, () => mix.add(song)),
        action('Path from', name, () => path.set('from', song)),
        action('Path to', name, () => path.set('to', song)),
      ),
    );
  };
  let asked = 0,
    timer: ReturnType<typeof setTimeout> | undefined;
  const find = async (text: string, ask: number) => {
    try {
      const songs = text ? await searchSongs(text) : [];
      if (ask !== asked) return; // a later search is on its way
      const found = `${songs.length} song${songs.length === 1 ? '' : 's'}`;
      showStatus(status, text ? `${found} found for “${text}”` : '');
      results.replaceChildren(...songs.map(row));
    } catch (err) {
      if (ask === asked) showError(status, err);
    }
  };
  search.addEventListener('input', () => {
    clearTimeout(timer);
    const ask = ++asked;
    timer = setTimeout(() => void find(search.value.trim(), ask), SEARCH_DELAY_MS);
  });
  byId('listen-panel').replaceChildren(
    h(
      'form',
      { class: 'field search', role: 'search', onsubmit: (e: Event) => e.preventDefault() },
      h('label', { for: 'song-search' }, 'Find a song'),
      search,
    ),
    status,
    results,
    h('div', { class: 'tools' }, similar.el, mix.el, path.el),
  );
}
