// The library map: every analysed track as a dot on a canvas (PCA of the embeddings, GET /api/map?format=bin),
// coloured by playlist; drag pans and the wheel zooms around the cursor; hovering a dot names the track (fetched
// by its row); a song path (highlightSongs) is drawn over it as a line through its songs' dots. Dots are written
// into one ImageData per draw and hover searches a uniform grid in data space, so 300,000 dots stay interactive.
import { ApiFailure, api } from './api.ts';
import { byId, h } from './dom.ts';
import { playlistColour } from './format.ts';
import { decodeMap, NO_PLAYLIST, type BinaryMap } from '../../contracts/map-binary.ts';

const PAD = 12;
const HIT_PX = 8;
const OTHER = '#b6bcc6';
/** The highlighted path's colour (the browser test reads it back from the canvas). */
const PATH_COLOUR = '#e8590c';
const MIN_SCALE = 0.5;
const MAX_SCALE = 500;
/** A stale map (the library changed, its new map is being computed) is fetched again after this long. */
const STALE_RETRY_MS = 5000;
/** One observer for the page: a redrawn map (after a clustering) replaces the previous one. */
let observer: ResizeObserver | undefined;
/** The highlighted songs (item ids, in path order); kept across a reload of the map. */
let highlighted: string[] = [];
/** Their rows on the current map, once asked (songs not on the map left out). */
let highlightedRows: number[] = [];
/** Draws the current map again (set once a map with points is shown). */
let redraw: (() => void) | undefined;
let staleRetry: ReturnType<typeof setTimeout> | undefined;

/** Draws a line through these songs' dots, in order (an empty list clears it). */
export function highlightSongs(itemIds: string[]): void {
  highlighted = itemIds;
  void placeHighlighted();
}

async function placeHighlighted(): Promise<void> {
  const ids = highlighted;
  const rows = ids.length
    ? (await api<{ rows: (number | null)[] }>(`/api/map/rows?item_ids=${ids.map(encodeURIComponent).join(',')}`)).rows
    : [];
  if (ids !== highlighted) return; // a newer path was asked for meanwhile
  highlightedRows = rows.filter((r) => r !== null);
  redraw?.();
}

async function fetchMap(): Promise<BinaryMap> {
  let res: Response;
  try {
    res = await fetch('/api/map?format=bin', { credentials: 'same-origin' });
  } catch {
    throw new ApiFailure(0, 'The AudioMuse web server does not answer.');
  }
  if (!res.ok) {
    const body = (await res.json().catch(() => ({}))) as { error?: string };
    throw new ApiFailure(res.status, body.error ?? `HTTP ${res.status}`);
  }
  const bytes = await res.arrayBuffer();
  performance.mark('map-fetched');
  const map = decodeMap(bytes);
  performance.mark('map-decoded');
  return map;
}

/** A CSS colour as the canvas's little-endian RGBA pixel word. */
function pixelWord(colour: string): number {
  const c = document.createElement('canvas').getContext('2d', { willReadFrequently: true })!;
  c.fillStyle = colour;
  c.fillRect(0, 0, 1, 1);
  const [r, g, b] = c.getImageData(0, 0, 1, 1).data;
  return ((255 << 24) | (b << 16) | (g << 8) | r) >>> 0;
}

/** Points bucketed by a uniform grid over their bounds: the hover looks at the few cells around the cursor. */
function dataGrid(m: BinaryMap) {
  const n = m.x.length;
  const side = Math.max(1, Math.round(Math.sqrt(n / 4)));
  const [x0, x1, y0, y1] = m.head.bounds;
  const sx = side / (x1 - x0 || 1),
    sy = side / (y1 - y0 || 1);
  const cellX = (x: number) => Math.min(side - 1, Math.max(0, Math.floor((x - x0) * sx)));
  const cellY = (y: number) => Math.min(side - 1, Math.max(0, Math.floor((y - y0) * sy)));
  const cell = new Uint32Array(n);
  const start = new Uint32Array(side * side + 1);
  for (let i = 0; i < n; i++) start[(cell[i] = cellY(m.y[i]) * side + cellX(m.x[i])) + 1]++;
  for (let c = 0; c < side * side; c++) start[c + 1] += start[c];
  const fill = start.slice(0, side * side);
  const items = new Uint32Array(n);
  for (let i = 0; i < n; i++) items[fill[cell[i]]++] = i;
  /** Calls `visit` with every point whose cell meets the box [xa, xb] × [ya, yb]. */
  return (xa: number, xb: number, ya: number, yb: number, visit: (i: number) => void) => {
    for (let cy = cellY(ya); cy <= cellY(yb); cy++)
      for (let cx = cellX(xa); cx <= cellX(xb); cx++)
        for (let k = start[cy * side + cx]; k < start[cy * side + cx + 1]; k++) visit(items[k]);
  };
}

export async function showMap(): Promise<void> {
  const wrap = byId('map-canvas-wrap');
  const summary = byId('map-summary');
  const legend = byId('map-legend');
  clearTimeout(staleRetry);
  performance.mark('map-fetch-start');
  let m: BinaryMap;
  try {
    m = await fetchMap();
  } catch (err) {
    summary.textContent = err instanceof Error ? err.message : String(err);
    return;
  }
  const n = m.x.length;
  const { playlists, stale, snapshot } = m.head;
  if (stale) staleRetry = setTimeout(() => void showMap(), STALE_RETRY_MS);
  summary.textContent =
    (n ? `${n.toLocaleString('en')} tracks; colour = playlist, grey = in none` : 'No analysed tracks yet.') +
    (stale ? ' (the library changed: its new map is being computed)' : '');
  legend.replaceChildren(
    ...playlists.map((pl, i) =>
      h(
        'li',
        {},
        h('span', { class: 'swatch', style: `background:${playlistColour(i)}`, 'aria-hidden': 'true' }),
        pl.name,
      ),
    ),
  );
  const label = `Map of ${n} tracks coloured by playlist`;
  const canvas = h('canvas', { id: 'map', role: 'img', 'aria-label': label, 'data-snapshot': snapshot });
  const tip = h('div', { class: 'map-tip', role: 'status', hidden: true });
  wrap.replaceChildren(canvas, tip);
  redraw = undefined;
  if (!n) return;
  if (highlighted.length) void placeHighlighted();

  const near = dataGrid(m);
  const colours = Uint32Array.from(playlists, (_, i) => pixelWord(playlistColour(i)));
  const grey = pixelWord(OTHER);
  const r = n > 5000 ? 1.5 : 3;
  // The view: a point's screen position (CSS px) is its base position (the unit square fitted to the canvas,
  // what the map drew before pan and zoom) times `scale` plus the offset. Kept on the canvas for tests.
  let scale = 1,
    ox = 0,
    oy = 0,
    w = 0,
    hgt = 0,
    dpr = 1,
    image: ImageData | undefined,
    first = true;
  const toScreen = (i: number) => ({
    x: (PAD + ((m.x[i] + 1) / 2) * (w - 2 * PAD)) * scale + ox,
    y: (PAD + ((1 - m.y[i]) / 2) * (hgt - 2 * PAD)) * scale + oy,
  });

  const draw = () => {
    const t0 = performance.now();
    const ctx = canvas.getContext('2d')!;
    const W = canvas.width,
      H = canvas.height;
    // A map laid out while hidden has no width yet: the ResizeObserver draws it once it has one.
    if (!W || !H) return;
    if (!image || image.width !== W || image.height !== H) image = ctx.createImageData(W, H);
    const px = new Uint32Array(image.data.buffer);
    px.fill(0);
    // Device px = x * ax + bx (and likewise y): the base fit, the view and the pixel ratio folded together.
    const ax = (dpr * scale * (w - 2 * PAD)) / 2,
      bx = dpr * (scale * (PAD + (w - 2 * PAD) / 2) + ox);
    const ay = (-dpr * scale * (hgt - 2 * PAD)) / 2,
      by = dpr * (scale * (PAD + (hgt - 2 * PAD) / 2) + oy);
    const R = r * dpr,
      reach = Math.ceil(R - 0.5);
    const stamp: number[] = [];
    for (let dy = -reach; dy <= reach; dy++)
      for (let dx = -reach; dx <= reach; dx++) if (dx * dx + dy * dy <= R * R) stamp.push(dy * W + dx);
    // Tracks in no playlist first, so coloured ones stay on top.
    for (const coloured of [false, true]) {
      for (let i = 0; i < n; i++) {
        const pl = m.playlist[i];
        if ((pl !== NO_PLAYLIST) !== coloured) continue;
        const sx = Math.round(m.x[i] * ax + bx),
          sy = Math.round(m.y[i] * ay + by);
        if (sx < reach || sy < reach || sx >= W - reach || sy >= H - reach) continue;
        const word = coloured ? (colours[pl] ?? grey) : grey;
        const at = sy * W + sx;
        for (const d of stamp) px[at + d] = word;
      }
    }
    ctx.putImageData(image, 0, 0);
    canvas.dataset.view = JSON.stringify({ scale, x: ox, y: oy });
    // The path on top: a line through its songs in order, each song a larger dot.
    const path = highlightedRows.filter((i) => i < n).map(toScreen);
    canvas.setAttribute('aria-label', path.length ? `${label}; a path of ${path.length} songs drawn over it` : label);
    if (path.length) {
      ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
      ctx.strokeStyle = PATH_COLOUR;
      ctx.lineWidth = 2;
      ctx.beginPath();
      path.forEach((p, k) => (k ? ctx.lineTo(p.x, p.y) : ctx.moveTo(p.x, p.y)));
      ctx.stroke();
      // Each song a larger dot with a white rim; every rim first, so no rim covers another song's dot.
      for (const [colour, radius] of [
        ['#fff', r + 4.5],
        [PATH_COLOUR, r + 3],
      ] as const) {
        ctx.fillStyle = colour;
        for (const p of path) {
          ctx.beginPath();
          ctx.arc(p.x, p.y, radius, 0, 2 * Math.PI);
          ctx.fill();
        }
      }
      ctx.setTransform(1, 0, 0, 1, 0, 0);
    }
    performance.measure('map-draw', { start: t0, end: performance.now() });
    if (first) {
      first = false;
      performance.mark('map-first-drawn');
    }
  };
  const resize = () => {
    w = wrap.clientWidth;
    hgt = Math.round(Math.min(520, Math.max(260, w * 0.6)));
    dpr = window.devicePixelRatio || 1;
    canvas.width = Math.round(w * dpr);
    canvas.height = Math.round(hgt * dpr);
    canvas.style.height = `${hgt}px`;
    draw();
  };
  let frame = 0;
  const drawSoon = () => {
    frame ||= requestAnimationFrame(() => {
      frame = 0;
      draw();
    });
  };
  redraw = drawSoon;

  const nearest = (x: number, y: number): number | undefined => {
    // The cursor and the hit radius in data space, then the closest point on screen within HIT_PX.
    const kx = (scale * (w - 2 * PAD)) / 2,
      ky = (scale * (hgt - 2 * PAD)) / 2;
    const dx = (x - ox) / scale - PAD - (w - 2 * PAD) / 2,
      dy = (y - oy) / scale - PAD - (hgt - 2 * PAD) / 2;
    const cx = dx / (kx / scale),
      cy = -dy / (ky / scale);
    let best: number | undefined,
      bestD = HIT_PX * HIT_PX;
    near(cx - HIT_PX / kx, cx + HIT_PX / kx, cy - HIT_PX / ky, cy + HIT_PX / ky, (i) => {
      const p = toScreen(i);
      const d = (p.x - x) ** 2 + (p.y - y) ** 2;
      // Ties go to a coloured dot: it is the one drawn on top.
      if (d < bestD || (d === bestD && m.playlist[i] !== NO_PLAYLIST)) [best, bestD] = [i, d];
    });
    return best;
  };
  let hovered: number | undefined;
  const showTip = async (i: number) => {
    hovered = i;
    const t = await api<{ title: string | null; artist: string | null }>(`/api/map/points/${i}`);
    if (hovered !== i) return;
    const pl = m.playlist[i];
    const p = toScreen(i);
    tip.replaceChildren(
      h('b', {}, t.title ?? '(untitled)'),
      ` — ${t.artist ?? 'unknown artist'}`,
      pl === NO_PLAYLIST ? '' : h('span', { class: 'meta' }, ` · ${playlists[pl]?.name ?? ''}`),
    );
    tip.style.left = `${Math.min(p.x + 10, w - 200)}px`;
    tip.style.top = `${p.y + 10}px`;
    tip.hidden = false;
  };
  const hideTip = () => {
    hovered = undefined;
    tip.hidden = true;
  };

  let drag: { x: number; y: number } | undefined;
  canvas.addEventListener('mousedown', (e) => {
    drag = { x: e.clientX, y: e.clientY };
    hideTip();
  });
  window.addEventListener('mouseup', () => (drag = undefined));
  canvas.addEventListener('mousemove', (e) => {
    if (drag) {
      ox += e.clientX - drag.x;
      oy += e.clientY - drag.y;
      drag = { x: e.clientX, y: e.clientY };
      drawSoon();
      return;
    }
    const rect = canvas.getBoundingClientRect();
    const i = nearest(e.clientX - rect.left, e.clientY - rect.top);
    if (i === undefined) hideTip();
    else if (i !== hovered) void showTip(i).catch(hideTip);
  });
  canvas.addEventListener(
    'wheel',
    (e) => {
      e.preventDefault();
      const rect = canvas.getBoundingClientRect();
      const cx = e.clientX - rect.left,
        cy = e.clientY - rect.top;
      const next = Math.min(MAX_SCALE, Math.max(MIN_SCALE, scale * Math.exp(-e.deltaY * 0.002)));
      // The data under the cursor stays under it.
      ox = cx - ((cx - ox) * next) / scale;
      oy = cy - ((cy - oy) * next) / scale;
      scale = next;
      hideTip();
      drawSoon();
    },
    { passive: false },
  );
  canvas.addEventListener('mouseleave', () => {
    drag = undefined;
    hideTip();
  });
  observer?.disconnect();
  observer = new ResizeObserver(() => resize());
  observer.observe(wrap); // draws once at once, then on every resize
}
