// The REST API as data: each route declares its path, parameters, body schema and examples once; from that
// table come the OpenAPI 3.1 document served at /api/openapi.json and the validators the server checks every
// request with (compiled from the document itself), so the two can never disagree.
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import type { JsonSchema } from '../../contracts/input-spec.ts';
import { ApiError } from './errors.ts';

export interface RouteInput {
  params: Record<string, string>;
  query: Record<string, unknown>;
  body: Record<string, unknown>;
}

export interface Route<Ctx> {
  method: 'get' | 'post' | 'put' | 'delete';
  /** Koa path, e.g. `/api/status/:taskId`. */
  path: string;
  operationId: string;
  summary: string;
  tag: string;
  /** Path parameters (strings), with a schema each. */
  params?: Record<string, JsonSchema>;
  /** Query parameters; values arrive as strings and are coerced to the schema's type. */
  query?: Record<string, JsonSchema>;
  body?: JsonSchema;
  /** Status → description; every route may also answer 400, 401, 500 and 503. */
  responses: Record<number, string>;
  /** An example request (curl-able) shown in the README and the document. */
  example?: { body?: unknown; response?: unknown };
  /** Top-level body fields may be given in snake_case (the original's names); extra aliases map odd ones. */
  snakeCase?: Record<string, string>;
  /** Open without API_TOKEN (health, login). */
  open?: boolean;
  /** `stream` routes write the response themselves (server-sent events). */
  stream?: boolean;
  /** The 200 answer's media types when it is a file, not JSON. */
  produces?: string[];
  handler(ctx: Ctx, input: RouteInput): Promise<unknown>;
}

const ERROR_SCHEMA = {
  type: 'object',
  required: ['error'],
  properties: { error: { type: 'string' }, field: { type: 'string', description: 'The request field at fault' } },
};

const openApiPath = (p: string) => p.replace(/:(\w+)/g, '{$1}');

export function buildOpenApi<C>(
  routes: readonly Route<C>[],
  info: { title: string; version: string; description: string },
): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const parameters = [
      ...Object.entries(r.params ?? {}).map(([name, schema]) => ({ name, in: 'path', required: true, schema })),
      ...Object.entries(r.query ?? {}).map(([name, schema]) => ({ name, in: 'query', required: false, schema })),
    ];
    const responses: Record<string, unknown> = {};
    for (const [status, description] of Object.entries(r.responses)) {
      responses[status] =
        Number(status) < 300
          ? {
              description,
              content: r.produces
                ? Object.fromEntries(r.produces.map((type) => [type, {}]))
                : {
                    [r.stream ? 'text/event-stream' : 'application/json']:
                      r.example?.response === undefined ? {} : { example: r.example.response },
                  },
            }
          : { description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };
    }
    for (const [status, description] of [
      ['400', 'Bad request: the field at fault is named'],
      ['503', 'PostgreSQL or Temporal is unreachable'],
    ]) {
      responses[status] ??= {
        description,
        content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
      };
    }
    if (!r.open)
      responses['401'] = {
        description: 'API_TOKEN is set and the request carries neither the token nor the session cookie',
        content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
      };
    (paths[openApiPath(r.path)] ??= {})[r.method] = {
      operationId: r.operationId,
      summary: r.summary,
      tags: [r.tag],
      ...(parameters.length && { parameters }),
      ...(r.body && {
        requestBody: {
          required: false,
          content: {
            'application/json': {
              schema: { $ref: `#/components/schemas/${r.operationId}Body` },
              ...(r.example?.body !== undefined && { example: r.example.body }),
            },
          },
        },
      }),
      ...(r.open ? { security: [] } : {}),
      responses,
    };
  }
  const schemas: Record<string, unknown> = { Error: ERROR_SCHEMA };
  for (const r of routes) if (r.body) schemas[`${r.operationId}Body`] = r.body;
  return {
    openapi: '3.1.0',
    info,
    servers: [{ url: '/' }],
    security: [{ bearer: [] }, { session: [] }],
    paths,
    components: {
      schemas,
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'API_TOKEN' },
        session: { type: 'apiKey', in: 'cookie', name: 'audiomuse_session', description: 'Set by POST /api/login' },
      },
    },
  };
}

/** The request checks of one route, compiled from the document (not from the route table). */
export interface RouteValidator {
  check(input: RouteInput): RouteInput;
}

function fieldOf(e: ErrorObject, prefix: string): string {
  const path = e.instancePath.split('/').filter(Boolean);
  if (e.keyword === 'additionalProperties') path.push(String(e.params.additionalProperty));
  if (e.keyword === 'required') path.push(String(e.params.missingProperty));
  return path.length ? path.join('.') : prefix;
}

function describe(e: ErrorObject, field: string, value: unknown): string {
  switch (e.keyword) {
    case 'additionalProperties':
      return `${field}: unknown field`;
    case 'enum':
      return `${field}: expected one of ${(e.params.allowedValues as unknown[]).join(', ')}, got ${JSON.stringify(value)}`;
    case 'type':
      return `${field}: expected ${e.params.type}, got ${JSON.stringify(value)}`;
    default:
      return `${field}: ${e.message ?? 'invalid'}${value === undefined ? '' : `, got ${JSON.stringify(value)}`}`;
  }
}

const valueAt = (root: unknown, pointer: string) =>
  pointer
    .split('/')
    .filter(Boolean)
    .reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), root);

export function compileValidators(doc: Record<string, unknown>): Map<string, RouteValidator> {
  const body = new Ajv2020({ allErrors: false, strict: false });
  const coercing = new Ajv2020({ allErrors: false, strict: false, coerceTypes: true });
  body.addSchema(doc, 'api');
  const out = new Map<string, RouteValidator>();
  const paths = doc.paths as Record<
    string,
    Record<
      string,
      { operationId: string; parameters?: { name: string; in: string; schema: JsonSchema }[]; requestBody?: unknown }
    >
  >;
  for (const ops of Object.values(paths)) {
    for (const op of Object.values(ops)) {
      const group = (where: string) => {
        const ps = (op.parameters ?? []).filter((p) => p.in === where);
        return coercing.compile({
          type: 'object',
          additionalProperties: false,
          properties: Object.fromEntries(ps.map((p) => [p.name, p.schema])),
        });
      };
      const checks: [keyof RouteInput, ValidateFunction][] = [
        ['params', group('path')],
        ['query', group('query')],
      ];
      if (op.requestBody) checks.push(['body', body.getSchema(`api#/components/schemas/${op.operationId}Body`)!]);
      out.set(op.operationId, {
        check(input) {
          for (const [part, validate] of checks) {
            const value = input[part];
            if (validate(value)) continue;
            const e = validate.errors![0];
            const field = fieldOf(e, part);
            throw new ApiError(400, describe(e, field, valueAt(value, e.instancePath)), field);
          }
          return input;
        },
      });
    }
  }
  return out;
}
