// The library map: every analysed track as a dot on a canvas (PCA of the embeddings from GET /api/map),
// coloured by playlist; hovering a dot names the track; a song path (highlightSongs) is drawn over it as a line
// through its songs' dots. A grid of buckets keeps hover fast for 100,000 dots.
import { api, type LibraryMap } from './api.ts';
import { byId, h } from './dom.ts';
import { playlistColour } from './format.ts';

const PAD = 12;
const HIT_PX = 8;
const OTHER = '#b6bcc6';
/** The highlighted path's colour (the browser test reads it back from the canvas). */
const PATH_COLOUR = '#e8590c';
/** One observer for the page: a redrawn map (after a clustering) replaces the previous one. */
let observer: ResizeObserver | undefined;
/** The highlighted songs (item ids, in path order); kept across a reload of the map. */
let highlighted: string[] = [];
/** Draws the current map again (set once a map with points is shown). */
let redraw: (() => void) | undefined;

/** Draws a line through these songs' dots, in order (an empty list clears it). */
export function highlightSongs(itemIds: string[]): void {
  highlighted = itemIds;
  redraw?.();
}

export async function showMap(): Promise<void> {
  const wrap = byId('map-canvas-wrap');
  const summary = byId('map-summary');
  const legend = byId('map-legend');
  let map: LibraryMap;
  try {
    map = await api<LibraryMap>('/api/map');
  } catch (err) {
    summary.textContent = err instanceof Error ? err.message : String(err);
    return;
  }
  const p = map.points;
  summary.textContent = p.ids.length
    ? `${p.ids.length.toLocaleString('en')} tracks; colour = playlist, grey = in none`
    : 'No analysed tracks yet.';
  legend.replaceChildren(
    ...map.playlists.map((pl, i) =>
      h(
        'li',
        {},
        h('span', { class: 'swatch', style: `background:${playlistColour(i)}`, 'aria-hidden': 'true' }),
        pl.name,
      ),
    ),
  );
  const label = `Map of ${p.ids.length} tracks coloured by playlist`;
  const canvas = h('canvas', { id: 'map', role: 'img', 'aria-label': label });
  const tip = h('div', { class: 'map-tip', role: 'status', hidden: true });
  wrap.replaceChildren(canvas, tip);
  redraw = undefined;
  if (!p.ids.length) return;
  const indexOfItem = new Map(p.item_ids.map((id, i) => [id, i]));

  let px: Float32Array,
    py: Float32Array,
    grid = new Map<number, number[]>(),
    cols = 1;
  const draw = () => {
    const w = wrap.clientWidth,
      hgt = Math.round(Math.min(520, Math.max(260, w * 0.6)));
    const dpr = window.devicePixelRatio || 1;
    canvas.width = Math.round(w * dpr);
    canvas.height = Math.round(hgt * dpr);
    canvas.style.height = `${hgt}px`;
    const ctx = canvas.getContext('2d')!;
    ctx.scale(dpr, dpr);
    ctx.clearRect(0, 0, w, hgt);
    px = new Float32Array(p.x.length);
    py = new Float32Array(p.y.length);
    grid = new Map();
    cols = Math.ceil(w / HIT_PX) + 1;
    const r = p.ids.length > 5000 ? 1.5 : 3;
    // Tracks in no playlist first, so coloured ones stay on top.
    const order = p.ids
      .map((_, i) => i)
      .sort((a, b) => Number(p.playlist[a] !== null) - Number(p.playlist[b] !== null));
    for (const i of order) {
      const x = PAD + ((p.x[i] + 1) / 2) * (w - 2 * PAD);
      const y = PAD + ((1 - p.y[i]) / 2) * (hgt - 2 * PAD);
      px[i] = x;
      py[i] = y;
      const cell = Math.floor(y / HIT_PX) * cols + Math.floor(x / HIT_PX);
      (grid.get(cell) ?? grid.set(cell, []).get(cell)!).push(i);
      const pl = p.playlist[i];
      ctx.fillStyle = pl === null ? OTHER : playlistColour(pl);
      ctx.beginPath();
      ctx.arc(x, y, r, 0, 2 * Math.PI);
      ctx.fill();
    }
    // The path on top: a line through its songs in order, each song a larger dot (songs not on the map skipped).
    const path = highlighted.map((id) => indexOfItem.get(id)).filter((i) => i !== undefined);
    canvas.setAttribute('aria-label', path.length ? `${label}; a path of ${path.length} songs drawn over it` : label);
    if (!path.length) return;
    ctx.strokeStyle = PATH_COLOUR;
    ctx.lineWidth = 2;
    ctx.beginPath();
    path.forEach((i, k) => (k ? ctx.lineTo(px[i], py[i]) : ctx.moveTo(px[i], py[i])));
    ctx.stroke();
    // Each song a larger dot with a white rim; every rim first, so no rim covers another song's dot.
    for (const [colour, radius] of [
      ['#fff', r + 4.5],
      [PATH_COLOUR, r + 3],
    ] as const) {
      ctx.fillStyle = colour;
      for (const i of path) {
        ctx.beginPath();
        ctx.arc(px[i], py[i], radius, 0, 2 * Math.PI);
        ctx.fill();
      }
    }
  };
  redraw = draw;
  const nearest = (x: number, y: number): number | undefined => {
    let best: number | undefined,
      bestD = HIT_PX * HIT_PX;
    const cx = Math.floor(x / HIT_PX),
      cy = Math.floor(y / HIT_PX);
    for (let dy = -1; dy <= 1; dy++) {
      for (let dx = -1; dx <= 1; dx++) {
        for (const i of grid.get((cy + dy) * cols + cx + dx) ?? []) {
          const d = (px[i] - x) ** 2 + (py[i] - y) ** 2;
          if (d <= bestD) [best, bestD] = [i, d];
        }
      }
    }
    return best;
  };
  canvas.addEventListener('mousemove', (e) => {
    const rect = canvas.getBoundingClientRect();
    const i = nearest(e.clientX - rect.left, e.clientY - rect.top);
    tip.hidden = i === undefined;
    if (i === undefined) return;
    const pl = p.playlist[i];
    tip.replaceChildren(
      h('b', {}, p.titles[i] ?? '(untitled)'),
      ` — ${p.artists[i] ?? 'unknown artist'}`,
      pl === null ? '' : h('span', { class: 'meta' }, ` · ${map.playlists[pl].name}`),
    );
    tip.style.left = `${Math.min(px[i] + 10, wrap.clientWidth - 200)}px`;
    tip.style.top = `${py[i] + 10}px`;
  });
  canvas.addEventListener('mouseleave', () => {
    tip.hidden = true;
  });
  observer?.disconnect();
  observer = new ResizeObserver(() => draw());
  observer.observe(wrap); // draws once at once, then on every resize
}
