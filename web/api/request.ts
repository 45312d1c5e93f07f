// Reading request bodies: JSON only, size-limited, and the original's snake_case field names mapped to ours.
import type Koa from 'koa';
import { ApiError } from './errors.ts';

/** Far above any real request (the clustering form is < 2 KB), far below anything that could hurt. */
export const MAX_BODY_BYTES = 64 * 1024;

export async function readJsonBody(ctx: Koa.Context): Promise<Record<string, unknown>> {
  const declared = Number(ctx.get('content-length') || 0);
  if (declared > MAX_BODY_BYTES) throw new ApiError(413, `request body is larger than ${MAX_BODY_BYTES} bytes`, 'body');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new ApiError(413, `request body is larger than ${MAX_BODY_BYTES} bytes`, 'body');
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (!text) return {};
  if (!ctx.is('application/json')) throw new ApiError(415, 'send the body as application/json', 'body');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new ApiError(400, `malformed JSON: ${(err as Error).message}`, 'body');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new ApiError(400, 'the body must be a JSON object', 'body');
  return value as Record<string, unknown>;
}

/** `num_clusters_min` → `numClustersMin`; `aliases` first for names that differ by more than case. */
export function snakeToCamel(body: Record<string, unknown>, aliases: Record<string, string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(body)) {
    const name = aliases[k] ?? k.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
    if (name in out) throw new ApiError(400, `${k}: given twice (as ${name} too)`, name);
    out[name] = v;
  }
  return out;
}
