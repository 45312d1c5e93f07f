// The Radios panel: saved recipes re-run into one playlist on the media server (GET /api/radios), each with its
// recipe in words, size, person, schedule and next run, its last run (added / removed / kept, or why it published
// nothing) and the server playlist's id; Run, Edit (name, size, schedule: PUT /api/radios/:id) and Delete; and a
// form making one from songs found by typing (an instant mix, alchemy, a path) or a person's fingerprint.
import { api, type Song } from './api.ts';
import { byId, h } from './dom.ts';
import { when as at } from './format.ts';
import { searchSongs } from './listening.ts';
import { showError, showStatus, songName } from './song-list.ts';

type Recipe =
  | { kind: 'instantMix'; seeds: string[] }
  | { kind: 'alchemy'; items: { id: string; op: 'ADD' | 'SUBTRACT'; type: 'song' }[]; temperature?: number }
  | { kind: 'fingerprint'; userId: string }
  | { kind: 'path'; startId: string; endId: string };
interface RadioRun {
  startedAt: string;
  status: 'published' | 'skipped';
  added: number;
  removed: number;
  kept: number;
  reason: string | null;
}
interface Radio {
  id: string;
  name: string;
  userId: string | null;
  recipe: Recipe;
  size: number;
  serverPlaylistId: string | null;
  schedule: { when: string; nextRuns: string[]; paused: boolean; temporalUrl: string | null } | null;
  runs: RadioRun[];
  songs: Record<string, string>;
}
interface Person {
  id: string;
  name: string;
}

const KINDS = { instantMix: 'Instant mix', alchemy: 'Alchemy', fingerprint: "A person's fingerprint", path: 'Path' };
const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? '' : 's'}`;

/** The recipe in words, its songs named as the API names them (an id the library does not know, as it is). */
function recipeInWords({ recipe: r, songs }: Radio, people: Person[]): string {
  const title = (id: string) => songs[id] ?? id;
  switch (r.kind) {
    case 'instantMix':
      return `Instant mix of ${r.seeds.map(title).join(', ')}`;
    case 'alchemy': {
      const of = (op: string) => r.items.filter((i) => i.op === op).map((i) => title(i.id));
      const minus = of('SUBTRACT');
      return `Alchemy of ${of('ADD').join(', ')}${minus.length ? ` minus ${minus.join(', ')}` : ''}`;
    }
    case 'fingerprint':
      return `${people.find((p) => p.id === r.userId)?.name ?? `person ${r.userId}`}'s sonic fingerprint`;
    case 'path':
      return `Path from ${title(r.startId)} to ${title(r.endId)}`;
  }
}

function lastRun(run: RadioRun | undefined): string {
  if (!run) return 'not run yet';
  return run.status === 'published'
    ? `published: ${run.added} added, ${run.removed} removed, ${run.kept} kept`
    : `skipped: ${run.reason ?? 'no songs'}`;
}

/** The schedule field: a cron expression or `every 1d`, as the API lists `when`; empty is none. */
function scheduleBody(text: string): { cron: string } | { every: string } | undefined {
  const t = text.trim();
  if (!t) return undefined;
  const every = /^every\s+(\S+)$/.exec(t);
  return every ? { every: every[1] } : { cron: t };
}

function field(id: string, label: string, input: HTMLElement, help?: string) {
  return h(
    'div',
    { class: 'field' },
    h('label', { for: id }, label),
    input,
    help && h('span', { class: 'help' }, help),
  );
}

/** The form that makes a radio: its recipe's songs are picked from a search like the listening panel's. */
function createForm(people: () => Person[], done: (text: string) => Promise<void>) {
  const name = h('input', { id: 'radio-name', type: 'text', maxlength: 200, required: true });
  const kind = h(
    'select',
    { id: 'radio-kind' },
    Object.entries(KINDS).map(([k, label]) => h('option', { value: k }, label)),
  );
  const size = h('input', { id: 'radio-size', type: 'number', min: 1, max: 200, value: 50 });
  const schedule = h('input', { id: 'radio-schedule', type: 'text', placeholder: '0 6 * * * or every 1d' });
  const temperature = h('input', { id: 'radio-temperature', type: 'number', min: 0, max: 10, step: 0.1, value: 1 });
  const person = h('select', { id: 'radio-person' });
  const search = h('input', {
    id: 'radio-song-search',
    type: 'search',
    autocomplete: 'off',
    placeholder: 'Title or artist',
  });
  const found = h('ul', { id: 'radio-song-results', class: 'song-results', 'aria-label': 'Songs found for the radio' });
  const chosen = h('ul', { id: 'radio-seeds', class: 'seeds', 'aria-label': "The radio's songs" });
  const status = h('p', { id: 'radio-create-status', class: 'message', role: 'status' });
  const songs: { song: Song; op: 'ADD' | 'SUBTRACT' }[] = [];
  const ends: { from?: Song; to?: Song } = {};
  const songPart = h('div', {}, field('radio-song-search', 'Find a song', search), found, chosen);
  const alchemyPart = h('div', { class: 'row' }, field('radio-temperature', 'Temperature', temperature));
  const personPart = h('div', { class: 'row' }, field('radio-person', 'Person', person));

  const render = () => {
    const k = kind.value;
    songPart.hidden = k === 'fingerprint';
    alchemyPart.hidden = k !== 'alchemy';
    personPart.hidden = k !== 'fingerprint';
    person.replaceChildren(...people().map((p) => h('option', { value: p.id }, p.name)));
    const remove = (label: string, drop: () => void) =>
      h(
        'button',
        { type: 'button', class: 'secondary small', 'aria-label': label, onclick: () => (drop(), render()) },
        'Remove',
      );
    chosen.replaceChildren(
      ...(k === 'path'
        ? (['from', 'to'] as const).map((end) =>
            h('li', {}, `${end === 'from' ? 'From' : 'To'}: `, ends[end] ? songName(ends[end]) : '—'),
          )
        : songs.map((s, i) =>
            h(
              'li',
              { 'data-item': s.song.item_id },
              k === 'alchemy' ? `${s.op === 'ADD' ? 'Add' : 'Subtract'}: ` : '',
              h('span', { class: 'song' }, songName(s.song)),
              remove(`Remove ${songName(s.song)}`, () => songs.splice(i, 1)),
            ),
          )),
    );
  };
  const pick = (song: Song, op: 'ADD' | 'SUBTRACT') => {
    if (!songs.some((s) => s.song.item_id === song.item_id)) songs.push({ song, op });
    render();
  };
  const button = (label: string, song: Song, act: () => void) =>
    h(
      'button',
      { type: 'button', class: 'secondary small', 'aria-label': `${label}: ${songName(song)}`, onclick: act },
      label,
    );
  let asked = 0;
  search.addEventListener('input', () => {
    const ask = ++asked;
    const text = search.value.trim();
    void (text ? searchSongs(text) : Promise.resolve([])).then(
      (list) => {
        if (ask !== asked) return;
        found.replaceChildren(
          ...list.map((song) =>
            h(
              'li',
              { 'data-item': song.item_id },
              h('span', { class: 'song' }, songName(song)),
              h(
                'span',
                { class: 'row' },
                kind.value === 'path'
                  ? ['from', 'to'].map((end) =>
                      button(end === 'from' ? 'From' : 'To', song, () => {
                        ends[end as 'from' | 'to'] = song;
                        render();
                      }),
                    )
                  : [
                      button('Add', song, () => pick(song, 'ADD')),
                      kind.value === 'alchemy' && button('Subtract', song, () => pick(song, 'SUBTRACT')),
                    ],
              ),
            ),
          ),
        );
      },
      (err: unknown) => showError(status, err),
    );
  });
  kind.addEventListener('change', () => {
    found.replaceChildren();
    search.value = '';
    render();
  });

  const recipe = (): Recipe => {
    const adds = songs.map((s) => s.song.item_id);
    switch (kind.value) {
      case 'alchemy':
        return {
          kind: 'alchemy',
          items: songs.map((s) => ({ id: s.song.item_id, op: s.op, type: 'song' })),
          temperature: Number(temperature.value),
        };
      case 'fingerprint':
        return { kind: 'fingerprint', userId: person.value };
      case 'path':
        return { kind: 'path', startId: ends.from?.item_id ?? '', endId: ends.to?.item_id ?? '' };
      default:
        return { kind: 'instantMix', seeds: adds };
    }
  };
  const submit = h('button', { id: 'radio-create', type: 'submit' }, 'Create radio');
  const form = h(
    'form',
    { id: 'radio-create-form', class: 'tool', novalidate: true, 'aria-labelledby': 'radio-create-title' },
    h('h3', { id: 'radio-create-title' }, 'New radio'),
    h(
      'div',
      { class: 'row' },
      field('radio-name', 'Playlist name', name),
      field('radio-kind', 'Recipe', kind),
      field('radio-size', 'Songs', size),
      field('radio-schedule', 'Schedule (UTC)', schedule, 'cron or “every 1d”; empty: by hand only'),
    ),
    alchemyPart,
    personPart,
    songPart,
    submit,
    status,
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    submit.disabled = true;
    showStatus(status, 'Creating…');
    api<Radio>('/api/radios', {
      method: 'POST',
      body: { name: name.value.trim(), recipe: recipe(), size: Number(size.value), ...scheduleBody(schedule.value) },
    })
      .then(async (r) => {
        songs.length = 0;
        delete ends.from;
        delete ends.to;
        name.value = '';
        showStatus(status, '');
        render();
        await done(`Radio “${r.name}” created: press Run to fill its playlist`);
      })
      .catch((err: unknown) => showError(status, err))
      .finally(() => (submit.disabled = false));
  });
  render();
  return { form, render };
}

/** The edit form of one radio, shown under the table: only the fields changed are sent. */
function editForm(r: Radio, done: (text: string) => Promise<void>): HTMLFormElement {
  const name = h('input', { id: 'radio-edit-name', type: 'text', maxlength: 200, value: r.name });
  const size = h('input', { id: 'radio-edit-size', type: 'number', min: 1, max: 200, value: r.size });
  const was = r.schedule?.when ?? '';
  const schedule = h('input', { id: 'radio-edit-schedule', type: 'text', value: was, placeholder: 'none' });
  const status = h('p', { id: 'radio-edit-status', class: 'message', role: 'status' });
  const form = h(
    'form',
    { id: 'radio-edit-form', class: 'tool', novalidate: true, 'data-radio': r.id },
    h('h3', {}, `Edit “${r.name}”`),
    h(
      'div',
      { class: 'row' },
      field('radio-edit-name', 'Playlist name', name, 'the playlist keeps its id; the next run renames it'),
      field('radio-edit-size', 'Songs', size),
      field('radio-edit-schedule', 'Schedule (UTC)', schedule, 'empty: no schedule'),
    ),
    h(
      'div',
      { class: 'row' },
      h('button', { id: 'radio-edit-save', type: 'submit' }, 'Save'),
      h('button', { type: 'button', class: 'secondary', onclick: () => form.remove() }, 'Cancel'),
    ),
    status,
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const body: Record<string, unknown> = {};
    if (name.value.trim() !== r.name) body.name = name.value.trim();
    if (Number(size.value) !== r.size) body.size = Number(size.value);
    // Emptied: no schedule (cron null); else the cron or interval written.
    if (schedule.value.trim() !== was) Object.assign(body, scheduleBody(schedule.value) ?? { cron: null });
    if (!Object.keys(body).length) return form.remove();
    showStatus(status, 'Saving…');
    api<Radio>(`/api/radios/${r.id}`, { method: 'PUT', body })
      .then(() => done(`Radio “${String(body.name ?? r.name)}” saved`))
      .catch((err: unknown) => showError(status, err));
  });
  return form;
}

export async function showRadios(): Promise<void> {
  const root = byId('radios-panel');
  const body = h('tbody', { id: 'radios-body' });
  const table = h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: 'runs' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ['Radio', 'Recipe', 'Songs', 'Person', 'Schedule', 'Last run', 'Actions'].map((c) =>
            h('th', { scope: 'col' }, c),
          ),
        ),
      ),
      body,
    ),
  );
  const message = h('p', { id: 'radios-message', class: 'message', role: 'status', 'aria-live': 'polite' });
  const editing = h('div', { id: 'radios-edit' });
  let people: Person[] = [];
  const say = (text: string, isError = false) => (isError ? showError(message, text) : showStatus(message, text));
  const refresh = async (text?: string) => {
    if (text !== undefined) say(text);
    editing.replaceChildren();
    people = await api<Person[]>('/api/users').catch(() => []);
    creator.render();
    const { radios } = await api<{ radios: Radio[] }>('/api/radios');
    body.replaceChildren(
      ...(radios.length ? radios.map(row) : [h('tr', {}, h('td', { colspan: 7, class: 'empty' }, 'No radios yet.'))]),
    );
  };
  const act = (label: string, r: Radio, work: () => Promise<string>) =>
    h(
      'button',
      {
        type: 'button',
        class: 'secondary',
        'data-action': label.toLowerCase(),
        'aria-label': `${label} ${r.name}`,
        onclick: () => {
          say(`${label}: ${r.name}…`);
          work()
            .then((text) => refresh(text))
            .catch((err: unknown) => say(err instanceof Error ? err.message : String(err), true));
        },
      },
      label,
    );
  const row = (r: Radio) => {
    const last = r.runs[0];
    return h(
      'tr',
      { 'data-radio': r.id },
      h(
        'td',
        {},
        r.name,
        h('div', { class: 'meta' }, r.serverPlaylistId ? `playlist ${r.serverPlaylistId}` : 'no playlist yet'),
      ),
      h('td', { class: 'recipe' }, recipeInWords(r, people)),
      h('td', { class: 'num' }, r.size),
      h('td', {}, people.find((p) => p.id === r.userId)?.name ?? '—'),
      h(
        'td',
        { class: 'schedule' },
        r.schedule
          ? [
              r.schedule.temporalUrl
                ? h('a', { href: r.schedule.temporalUrl, target: '_blank', rel: 'noopener' }, r.schedule.when)
                : r.schedule.when,
              h('div', { class: 'meta' }, r.schedule.paused ? 'paused' : `next ${at(r.schedule.nextRuns[0] ?? null)}`),
            ]
          : 'by hand',
      ),
      h(
        'td',
        { class: `last-run status ${last?.status ?? ''}` },
        lastRun(last),
        last && h('div', { class: 'meta' }, at(last.startedAt)),
      ),
      h(
        'td',
        { class: 'actions' },
        act('Run', r, async () => {
          const run = await api<RadioRun>(`/api/radios/${r.id}/run`, { method: 'POST' });
          return `${r.name}: ${lastRun(run)}`;
        }),
        h(
          'button',
          {
            type: 'button',
            class: 'secondary',
            'data-action': 'edit',
            'aria-label': `Edit ${r.name}`,
            onclick: () => editing.replaceChildren(editForm(r, refresh)),
          },
          'Edit',
        ),
        act('Delete', r, async () => {
          if (!confirm(`Delete the radio “${r.name}” and its schedule? Its playlist stays on the server.`)) return '';
          await api(`/api/radios/${r.id}`, { method: 'DELETE' });
          return `Radio “${r.name}” deleted; its playlist stays on the server`;
        }),
      ),
    );
  };
  const creator = createForm(() => people, refresh);
  root.replaceChildren(message, table, editing, creator.form);
  await refresh().catch((err: unknown) => say(err instanceof Error ? err.message : String(err), true));
}
