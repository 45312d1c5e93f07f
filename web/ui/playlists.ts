// The playlists of the last clustering: each with a small chart of its profile (top moods, tempo, energy) and
// its tracks behind an "Open" button (fetched when opened: a list of 1,000 playlists carries only their sizes); then the saved ones. Every playlist downloads as .m3u8 and JSPF.
import { api, type Playlist, type PlaylistTracks, type SavedPlaylist } from './api.ts';
import { byId, h, svg } from './dom.ts';
import { fixed, playlistColour } from './format.ts';

const TOP_MOODS = 3;
const ROW = 18,
  LABEL_W = 84,
  BAR_W = 120;

/** Horizontal bars on a 0–1 scale: the strongest moods, then tempo and energy (both normalised to 0–1). */
function profileChart(p: NonNullable<Playlist['profile']>, colour: string): SVGSVGElement {
  const moods = Object.entries(p.moods)
    .sort((a, b) => b[1] - a[1])
    .slice(0, TOP_MOODS);
  const rows: [string, number][] = [...moods, ['tempo', p.tempo], ['energy', p.energy]];
  const width = LABEL_W + BAR_W + 40;
  return svg(
    'svg',
    {
      class: 'profile',
      viewBox: `0 0 ${width} ${rows.length * ROW}`,
      role: 'img',
      'aria-label': `Profile: ${rows.map(([k, v]) => `${k} ${fixed(v, 2)}`).join(', ')}`,
    },
    rows.map(([name, v], i) => {
      const y = i * ROW;
      const clamped = Math.max(0, Math.min(1, v));
      return svg(
        'g',
        { class: i < moods.length ? 'mood' : 'feature' },
        svg('text', { x: 0, y: y + 13, class: 'label' }, name),
        svg('rect', { x: LABEL_W, y: y + 4, width: BAR_W, height: 10, class: 'track' }),
        svg('rect', {
          x: LABEL_W,
          y: y + 4,
          width: Math.max(1, clamped * BAR_W),
          height: 10,
          fill: i < moods.length ? colour : '#6b7280',
        }),
        svg('text', { x: LABEL_W + BAR_W + 4, y: y + 13, class: 'value' }, fixed(v, 2)),
      );
    }),
  );
}

const FORMATS = [
  ['m3u8', '.m3u8'],
  ['jspf', 'JSPF'],
] as const;

/** The export URL of a playlist, against the music root typed in the field (if any). */
function exportHref(id: string, format: string): string {
  const root = byId<HTMLInputElement>('playlists-root').value.trim();
  return `/api/playlists/${encodeURIComponent(id)}/export?format=${format}${root ? `&root=${encodeURIComponent(root)}` : ''}`;
}

/** Download links of a playlist; their hrefs follow the music-root field. */
function downloads(p: { id: string; name: string }): HTMLElement {
  return h(
    'span',
    { class: 'downloads' },
    FORMATS.map(([format, label]) =>
      h(
        'a',
        {
          href: exportHref(p.id, format),
          download: '',
          'data-export': p.id,
          'data-format': format,
          'aria-label': `Download ${p.name} as ${label}`,
        },
        label,
      ),
    ),
  );
}

function refreshDownloads(): void {
  for (const a of document.querySelectorAll<HTMLAnchorElement>('a[data-export]'))
    a.href = exportHref(a.dataset.export!, a.dataset.format!);
}

function card(p: Playlist, index: number): HTMLElement {
  const colour = playlistColour(index);
  const listId = `playlist-${p.id}-tracks`;
  const tracks = h('ol', { id: listId, class: 'tracks', hidden: true });
  const openLabel = `Open (${p.size} tracks)`;
  const open = h(
    'button',
    { type: 'button', class: 'secondary', 'aria-expanded': 'false', 'aria-controls': listId },
    openLabel,
  );
  let loaded = false;
  open.addEventListener('click', () => {
    const opening = tracks.hidden;
    tracks.hidden = !opening;
    open.setAttribute('aria-expanded', String(opening));
    open.textContent = opening ? 'Close' : openLabel;
    if (!opening || loaded) return;
    loaded = true;
    tracks.setAttribute('aria-busy', 'true');
    api<PlaylistTracks>(`/api/playlists/${encodeURIComponent(p.id)}`)
      .then(({ tracks: list }) =>
        tracks.replaceChildren(
          ...list.map((t) =>
            h(
              'li',
              {},
              h('span', { class: 'title' }, t.title ?? '(untitled)'),
              t.artist ? h('span', { class: 'artist' }, ` — ${t.artist}`) : null,
            ),
          ),
        ),
      )
      .catch((err: unknown) => {
        loaded = false; // the next opening tries again
        tracks.replaceChildren(h('li', { class: 'error' }, err instanceof Error ? err.message : String(err)));
      })
      .finally(() => tracks.removeAttribute('aria-busy'));
  });
  return h(
    'article',
    { class: 'playlist', 'data-playlist': p.id },
    h(
      'header',
      {},
      h('span', { class: 'swatch', style: `background:${colour}`, 'aria-hidden': 'true' }),
      h('h3', {}, p.name),
    ),
    h('p', { class: 'meta' }, `${p.size} tracks · ${p.status}`),
    downloads(p),
    p.profile ? profileChart(p.profile, colour) : h('p', { class: 'meta' }, 'no profile'),
    open,
    tracks,
  );
}

/** The playlists saved from the listening panel, newest first. */
async function showSaved(): Promise<void> {
  const list = byId('saved-playlists');
  try {
    const { playlists } = await api<{ playlists: SavedPlaylist[] }>('/api/saved_playlists');
    list.replaceChildren(
      ...(playlists.length
        ? playlists.map((p) =>
            h('li', { 'data-playlist': p.id }, `${p.name} (${p.itemIds.length} tracks)`, downloads(p)),
          )
        : [h('li', { class: 'meta' }, 'None yet: save a result of the listening panel below.')]),
    );
  } catch (err) {
    list.replaceChildren(h('li', { class: 'error' }, err instanceof Error ? err.message : String(err)));
  }
}

let listening = false;

export async function showPlaylists(): Promise<void> {
  const root = byId('playlists-list');
  const summary = byId('playlists-summary');
  if (!listening) {
    listening = true;
    byId('playlists-root').addEventListener('input', refreshDownloads);
    document.addEventListener('playlist-saved', () => void showSaved());
  }
  void showSaved();
  try {
    const { runId, playlists } = await api<{ runId: string | null; playlists: Playlist[] }>('/api/playlists');
    summary.textContent = runId
      ? `${playlists.length} playlists from ${runId}`
      : 'No playlists yet: run a clustering after the analysis.';
    root.replaceChildren(...playlists.map(card));
  } catch (err) {
    summary.textContent = err instanceof Error ? err.message : String(err);
    summary.classList.add('error');
  }
}
