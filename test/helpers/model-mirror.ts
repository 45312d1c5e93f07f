// A local HTTP server standing in for the GitHub release that publishes the model files: it serves the
// real files of a folder under any path, and can break one file the way networks and mirrors do.
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

export type Breakage = 'cut' | 'short';

export interface ModelMirror {
  /** Base URL to put in MODELS_BASE_URL. */
  url: string;
  /** File names requested so far. */
  requests: string[];
  close(): Promise<void>;
}

/**
 * `broken` maps a file name to how it breaks: `cut` announces the full length and drops the connection
 * half-way; `short` honestly serves only the first half.
 */
export async function startModelMirror(dir: string, broken: Record<string, Breakage> = {}): Promise<ModelMirror> {
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    const file = decodeURIComponent(req.url!.split('/').pop()!);
    requests.push(file);
    let bytes: Buffer;
    try {
      bytes = readFileSync(join(dir, file));
    } catch {
      res.writeHead(404).end();
      return;
    }
    const half = bytes.subarray(0, bytes.length >> 1);
    if (broken[file] === 'cut') {
      res.writeHead(200, { 'content-length': bytes.length });
      res.write(half, () => res.destroy());
    } else if (broken[file] === 'short') {
      res.writeHead(200, { 'content-length': half.length }).end(half);
    } else {
      res.writeHead(200, { 'content-length': bytes.length }).end(bytes);
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/release/v3.0.0-model`,
    requests,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
