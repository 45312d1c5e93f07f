// Declarative checks of workflow (and API) input: each field's type, range and help in one table, so a bad
// value is rejected with its field name and what is accepted, wherever the input came from. The same table
// becomes the JSON Schema of the REST API's OpenAPI document (inputJsonSchema), so there is no second copy.

export type FieldSpec = (
  | { kind: 'int'; min: number; max: number }
  | { kind: 'number'; min: number; max: number }
  | { kind: 'enum'; values: readonly string[] }
  | { kind: 'bool' }
  | { kind: 'object'; fields: Record<string, FieldSpec> }
) & { help?: string };

export type InputSpec = Record<string, FieldSpec>;

export class InputError extends Error {
  override name = 'InputError';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}

function accepted(s: FieldSpec): string {
  switch (s.kind) {
    case 'int':
      return `an integer from ${s.min} to ${s.max}`;
    case 'number':
      return `a number from ${s.min} to ${s.max}`;
    case 'enum':
      return `one of ${s.values.join(', ')}`;
    case 'bool':
      return 'true or false';
    case 'object':
      return `an object with fields ${Object.keys(s.fields).join(', ')}`;
  }
}

/** Throws InputError naming the first bad field (unknown fields included); undefined values are allowed. */
export function checkInput(spec: InputSpec, input: unknown, prefix = ''): void {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new InputError(prefix || 'input', 'expected a JSON object');
  }
  for (const [key, value] of Object.entries(input)) {
    const field = prefix ? `${prefix}.${key}` : key;
    const s = spec[key];
    if (!s) throw new InputError(field, `unknown field; accepted: ${Object.keys(spec).join(', ')}`);
    if (value === undefined) continue;
    if (s.kind === 'object') {
      checkInput(s.fields, value, field);
      continue;
    }
    const ok =
      s.kind === 'int'
        ? Number.isInteger(value) && (value as number) >= s.min && (value as number) <= s.max
        : s.kind === 'number'
          ? typeof value === 'number' && Number.isFinite(value) && value >= s.min && value <= s.max
          : s.kind === 'enum'
            ? typeof value === 'string' && s.values.includes(value)
            : typeof value === 'boolean';
    if (!ok) throw new InputError(field, `expected ${accepted(s)}, got ${JSON.stringify(value)}`);
  }
}

/** Checks that every `[min, max]` pair of field names is ordered. */
export function checkRanges(input: Record<string, unknown>, pairs: readonly [string, string][]): void {
  for (const [lo, hi] of pairs) {
    const a = input[lo],
      b = input[hi];
    if (typeof a === 'number' && typeof b === 'number' && a > b)
      throw new InputError(lo, `${lo}=${a} is greater than ${hi}=${b}`);
  }
}

export type JsonSchema = Record<string, unknown>;

/** The spec as a JSON Schema object (no unknown fields); `defaults` become each field's `default`. */
export function inputJsonSchema(spec: InputSpec, defaults: Record<string, unknown> = {}): JsonSchema {
  const properties = Object.fromEntries(
    Object.entries(spec).map(([key, s]) => {
      const base: JsonSchema =
        s.kind === 'int'
          ? { type: 'integer', minimum: s.min, maximum: s.max }
          : s.kind === 'number'
            ? { type: 'number', minimum: s.min, maximum: s.max }
            : s.kind === 'enum'
              ? { type: 'string', enum: [...s.values] }
              : s.kind === 'bool'
                ? { type: 'boolean' }
                : inputJsonSchema(s.fields, (defaults[key] ?? {}) as Record<string, unknown>);
      const d = s.kind === 'object' ? undefined : defaults[key];
      return [key, { ...base, ...(s.help && { description: s.help }), ...(d != null && { default: d }) }];
    }),
  );
  return { type: 'object', additionalProperties: false, properties };
}

/** The TypeScript type of an input a spec accepts (every field optional), so a field is declared only once. */
export type InputOf<S> = { -readonly [K in keyof S]?: ValueOf<S[K]> };
type ValueOf<F> = F extends { kind: 'int' | 'number' }
  ? number
  : F extends { kind: 'enum'; values: readonly (infer V)[] }
    ? V
    : F extends { kind: 'bool' }
      ? boolean
      : F extends { kind: 'object'; fields: infer G }
        ? InputOf<G>
        : never;
