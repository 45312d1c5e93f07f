// The library map on the wire (`GET /api/map?format=bin`), encoded by the web API and decoded by the page:
// "AMAP", then the point count and the length of a JSON head (snapshot, playlists, bounds…), the head, then per
// point x and y as Float32 and the playlist index as Uint16 (NO_PLAYLIST for none), all little-endian. A point's
// number is its row: `GET /api/map/points/:n` names it. 300,000 points are 3 MB instead of 30 MB of JSON.

export const MAP_MAGIC = 0x50414d41; // "AMAP" read little-endian
export const NO_PLAYLIST = 0xffff;

export interface MapHead {
  snapshot: string;
  computedAt: string;
  /** An older library's map, answered while the current one is computed. */
  stale: boolean;
  playlists: { id: string; name: string }[];
  /** min x, max x, min y, max y of the points. */
  bounds: [number, number, number, number];
}

export interface BinaryMap {
  head: MapHead;
  x: Float32Array;
  y: Float32Array;
  playlist: Uint16Array;
}

const pad4 = (n: number) => (n + 3) & ~3;

export function encodeMap(map: BinaryMap): Uint8Array {
  const n = map.x.length;
  const head = new TextEncoder().encode(JSON.stringify(map.head));
  const at = pad4(12 + head.length);
  const bytes = new Uint8Array(at + n * 10);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, MAP_MAGIC, true);
  view.setUint32(4, n, true);
  view.setUint32(8, head.length, true);
  bytes.set(head, 12);
  // Typed-array views need aligned offsets: x and y start at a multiple of 4, the playlists after them.
  new Float32Array(bytes.buffer, at, n).set(map.x);
  new Float32Array(bytes.buffer, at + 4 * n, n).set(map.y);
  new Uint16Array(bytes.buffer, at + 8 * n, n).set(map.playlist);
  return bytes;
}

export function decodeMap(buffer: ArrayBuffer): BinaryMap {
  const view = new DataView(buffer);
  if (buffer.byteLength < 12 || view.getUint32(0, true) !== MAP_MAGIC) throw new Error('not a library map');
  const n = view.getUint32(4, true);
  const headLength = view.getUint32(8, true);
  const head = JSON.parse(new TextDecoder().decode(new Uint8Array(buffer, 12, headLength))) as MapHead;
  const at = pad4(12 + headLength);
  return {
    head,
    x: new Float32Array(buffer, at, n),
    y: new Float32Array(buffer, at + 4 * n, n),
    playlist: new Uint16Array(buffer, at + 8 * n, n),
  };
}
