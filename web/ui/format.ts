// Numbers and durations as the page shows them.
export function duration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '—';
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

export const count = (n: number | null | undefined) => (n === null || n === undefined ? '?' : n.toLocaleString('en'));

export const fixed = (n: number | null | undefined, digits: number) =>
  n === null || n === undefined || !Number.isFinite(n) ? '—' : n.toFixed(digits);

export function when(iso: string | null): string {
  return iso ? new Date(iso).toLocaleString('en-GB', { dateStyle: 'short', timeStyle: 'medium' }) : '—';
}

/** Distinct colours for playlists (golden-angle hues); the map and the playlist cards share them. */
export const playlistColour = (i: number) => `hsl(${Math.round((i * 137.508) % 360)} 65% 45%)`;
