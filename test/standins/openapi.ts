// Checks HTTP exchanges against an OpenAPI 3.0 document (the Jellyfin server's own), so a stand-in server
// cannot drift from the real one and our client cannot send parameters the real server does not know.
//
// OpenAPI 3.0 is not JSON Schema: `nullable: true` is turned into `anyOf [null, schema]`, component refs
// are moved under `$defs`, and `format: uuid` follows Jellyfin (responses carry 32 hex digits without dashes;
// requests may use either form).
import { readFileSync } from 'node:fs';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';

// ajv-formats is CommonJS: under NodeNext its default import is the module object.
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;

type Json = unknown;
interface Parameter {
  name: string;
  in: 'query' | 'path' | 'header' | 'cookie';
  schema?: Schema;
  required?: boolean;
}
interface Operation {
  operationId?: string;
  parameters?: Parameter[];
  requestBody?: { content: Record<string, { schema?: Schema }> };
  responses: Record<string, { content?: Record<string, { schema?: Schema }> }>;
}
interface Schema {
  [k: string]: unknown;
}

export interface RouteMatch {
  template: string;
  operation: Operation;
  pathParams: Record<string, string>;
}

const N_GUID = /^[0-9a-f]{32}$/;
const ANY_GUID = /^(?:[0-9a-f]{32}|[0-9a-f]{8}-(?:[0-9a-f]{4}-){3}[0-9a-f]{12})$/i;
const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

export class OpenApiDocument {
  readonly version: string;
  private readonly routes: { template: string; regex: RegExp; literals: number; ops: Record<string, Operation> }[];
  private readonly schemas: Record<string, Schema>;
  private readonly validators = new Map<string, ValidateFunction>();
  private readonly responseAjv: Ajv;
  private readonly requestAjv: Ajv;

  constructor(
    private readonly doc: {
      info: { version: string };
      paths: Record<string, Record<string, Operation>>;
      components: { schemas: Record<string, Schema> };
    },
  ) {
    this.version = doc.info.version;
    this.schemas = doc.components.schemas;
    this.routes = Object.entries(doc.paths).map(([template, ops]) => {
      const segments = template.split('/').filter(Boolean);
      const pattern = segments
        .map((s) =>
          /^\{[^}]+\}$/.test(s)
            ? '([^/]+)'
            : s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/\\\{[^}]+\\\}/g, '[^/]+'),
        )
        .join('/');
      return {
        template,
        regex: new RegExp(`^/${pattern}/?$`, 'i'),
        literals: segments.filter((s) => !s.includes('{')).length,
        ops: Object.fromEntries(Object.entries(ops).filter(([m]) => HTTP_METHODS.includes(m))),
      };
    });
    // Literal segments win over templates (`/Items/Filters` before `/Items/{itemId}`), as in ASP.NET routing.
    this.routes.sort((a, b) => b.literals - a.literals);
    const defs = convert(this.schemas) as Record<string, Schema>;
    this.responseAjv = makeAjv(defs, N_GUID);
    this.requestAjv = makeAjv(defs, ANY_GUID);
  }

  static load(file: string): OpenApiDocument {
    return new OpenApiDocument(JSON.parse(readFileSync(file, 'utf8')));
  }

  /** The documented operation for a concrete path, matched case-insensitively like the server does. */
  route(method: string, pathname: string): RouteMatch | undefined {
    const m = method.toLowerCase();
    for (const r of this.routes) {
      const match = r.regex.exec(pathname);
      if (!match || !r.ops[m]) continue;
      const names = [...r.template.matchAll(/\{([^}]+)\}/g)].map((x) => x[1]);
      const pathParams = Object.fromEntries(names.map((n, i) => [n, decodeURIComponent(match[i + 1])]));
      return { template: r.template, operation: r.ops[m], pathParams };
    }
    return undefined;
  }

  /**
   * Problems with a request our client sends: the route must exist, every query parameter name must be
   * documented for it (case-insensitively), and values must fit their schema, including enum members
   * (the server silently drops unknown enum values, so a typo would go unnoticed against the real server).
   */
  checkRequest(method: string, url: string | URL, body?: Json): string[] {
    const u = new URL(url, 'http://x');
    const route = this.route(method, u.pathname);
    const at = `${method.toUpperCase()} ${u.pathname}`;
    if (!route) return [`${at}: no such route in OpenAPI ${this.version}`];
    const problems: string[] = [];
    const params = route.operation.parameters ?? [];
    for (const [name, value] of Object.entries(route.pathParams)) {
      const p = params.find((x) => x.in === 'path' && x.name === name);
      for (const issue of this.checkValue(p?.schema, value)) problems.push(`${at}: path {${name}}=${value}: ${issue}`);
    }
    const seen = new Set<string>();
    for (const [key, value] of u.searchParams) {
      const p = params.find((x) => x.in === 'query' && x.name.toLowerCase() === key.toLowerCase());
      if (!p) {
        problems.push(`${at}: query parameter "${key}" is not documented for ${route.template}`);
        continue;
      }
      seen.add(p.name);
      const isArray = this.resolve(p.schema)?.type === 'array';
      const values = isArray ? value.split(',') : [value];
      const itemSchema = isArray ? (this.resolve(p.schema)!.items as Schema) : p.schema;
      for (const v of values) {
        for (const issue of this.checkValue(itemSchema, v)) problems.push(`${at}: ${key}=${v}: ${issue}`);
      }
    }
    for (const p of params) {
      if (p.in === 'query' && p.required && !seen.has(p.name))
        problems.push(`${at}: required query parameter "${p.name}" missing`);
    }
    if (body !== undefined) {
      const schema = route.operation.requestBody?.content['application/json']?.schema;
      if (!schema) problems.push(`${at}: sends a JSON body but ${route.template} documents none`);
      else
        problems.push(
          ...this.validate(this.requestAjv, `req ${route.template} ${method}`, schema, body).map(
            (e) => `${at} body: ${e}`,
          ),
        );
    }
    return problems;
  }

  /** Problems with a response: documented status, and for JSON the body against the response schema. */
  checkResponse(
    method: string,
    pathname: string,
    status: number,
    contentType: string | undefined,
    body: Json | undefined,
  ): string[] {
    const at = `${method.toUpperCase()} ${pathname} → ${status}`;
    const route = this.route(method, pathname);
    if (!route) return [`${at}: no such route in OpenAPI ${this.version}`];
    const response = route.operation.responses[String(status)] ?? route.operation.responses.default;
    if (!response)
      return [
        `${at}: status not documented for ${route.template} (documented: ${Object.keys(route.operation.responses).join(', ')})`,
      ];
    const declared = Object.keys(response.content ?? {});
    if (body === undefined) return [];
    const mime = (contentType ?? '').split(';')[0].trim().toLowerCase();
    if (declared.length === 0) return [`${at}: has a ${mime} body but the document declares none`];
    const matching = declared.find(
      (d) => d.split(';')[0] === mime || (d.endsWith('/*') && mime.startsWith(d.slice(0, -1))),
    );
    if (!matching) return [`${at}: content type ${mime} is not among ${declared.join(', ')}`];
    const schema = response.content![matching].schema;
    if (!schema || mime !== 'application/json') return [];
    return this.validate(this.responseAjv, `res ${route.template} ${method} ${status}`, schema, body).map(
      (e) => `${at}: ${e}`,
    );
  }

  /** Names of a schema's enum (following refs), e.g. the ItemFields values. */
  enumOf(name: string): string[] {
    return (this.schemas[name]?.enum as string[] | undefined) ?? [];
  }

  private validate(ajv: Ajv, key: string, schema: Schema, data: Json): string[] {
    const cacheKey = `${ajv === this.responseAjv ? 'res' : 'req'}:${key}`;
    let fn = this.validators.get(cacheKey);
    if (!fn) {
      fn = ajv.compile(convert(schema) as Schema);
      this.validators.set(cacheKey, fn);
    }
    if (fn(data)) return [];
    return (fn.errors ?? [])
      .slice(0, 10)
      .map(
        (e) =>
          `${e.instancePath || '/'} ${e.message}${e.params && 'additionalProperty' in e.params ? ` (${e.params.additionalProperty})` : ''}`,
      );
  }

  private resolve(schema: Schema | undefined): Schema | undefined {
    if (!schema) return undefined;
    if (typeof schema.$ref === 'string') return this.resolve(this.schemas[schema.$ref.split('/').pop()!]);
    if (Array.isArray(schema.allOf) && schema.allOf.length === 1 && !schema.type && !schema.enum) {
      return this.resolve(schema.allOf[0] as Schema);
    }
    return schema;
  }

  /** Checks one query/path value (a string on the wire) against a parameter schema. */
  private checkValue(schema: Schema | undefined, value: string): string[] {
    const s = this.resolve(schema);
    if (!s) return [];
    const enumValues = (s.enum ?? this.resolve((s.allOf as Schema[] | undefined)?.[0])?.enum) as string[] | undefined;
    if (enumValues && !enumValues.some((e) => e.toLowerCase() === value.toLowerCase())) {
      return [`not one of the ${enumValues.length} documented values`];
    }
    switch (s.type) {
      case 'integer':
        return /^-?\d+$/.test(value) ? [] : ['not an integer'];
      case 'number':
        return Number.isFinite(Number(value)) ? [] : ['not a number'];
      case 'boolean':
        return /^(true|false)$/i.test(value) ? [] : ['not a boolean'];
      case 'string':
        if (s.format === 'uuid' && !ANY_GUID.test(value)) return ['not a GUID'];
        if (s.format === 'date-time' && Number.isNaN(Date.parse(value))) return ['not a date-time'];
        return [];
      default:
        return [];
    }
  }
}

function makeAjv(defs: Record<string, Schema>, guid: RegExp): Ajv {
  const ajv = new Ajv({ strict: false, allErrors: true, logger: false });
  addFormats(ajv);
  ajv.addFormat('uuid', guid);
  ajv.addSchema({ $id: 'openapi', $defs: defs });
  return ajv;
}

/** OpenAPI 3.0 schema → JSON Schema (draft 7 as understood by Ajv). */
function convert(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(convert);
  if (!node || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node as Record<string, unknown>)) {
    if (k === 'nullable' || k === 'example' || k === 'xml' || k === 'externalDocs' || k === 'discriminator') continue;
    if (k === '$ref' && typeof v === 'string') out.$ref = v.replace('#/components/schemas/', 'openapi#/$defs/');
    else out[k] = convert(v);
  }
  if ((node as Record<string, unknown>).nullable === true) return { anyOf: [{ type: 'null' }, out] };
  return out;
}
