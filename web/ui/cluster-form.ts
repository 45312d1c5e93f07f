// The clustering form, generated from the OpenAPI document's body schema (components.schemas.startClusteringBody):
// every parameter with its default, range or choices and help text. Checked in the browser with the same
// schema (types, ranges, each min ≤ its max) before POST /api/clustering/start; the server's 400 {error, field}
// is shown next to the field it names.
import { api, type ApiFailure, type FieldSchema } from './api.ts';
import { h } from './dom.ts';

/** Shown first; the rest fold away under "All parameters". */
const MAIN_FIELDS = ['algorithm', 'runs', 'numClustersMin', 'numClustersMax', 'minPlaylistSize', 'publish'];

interface Field {
  path: string;
  schema: FieldSchema;
  input: HTMLInputElement | HTMLSelectElement;
  error: HTMLElement;
}

const label = (name: string) =>
  name
    .replace(/([A-Z])/g, ' $1')
    .toLowerCase()
    .replace(/^./, (c) => c.toUpperCase());
const domId = (path: string) => `cf-${path.replace(/\./g, '-')}`;

function accepted(s: FieldSchema): string {
  if (s.enum) return s.enum.join(' | ');
  if (s.type === 'boolean') return 'yes / no';
  if (s.minimum !== undefined && s.maximum !== undefined)
    return `${s.minimum.toLocaleString('en')} – ${s.maximum.toLocaleString('en')}`;
  return '';
}

function makeField(path: string, name: string, s: FieldSchema): { field: Field; el: HTMLElement } {
  const id = domId(path);
  const help = h(
    'small',
    { id: `${id}-help`, class: 'help' },
    [s.description, s.default !== undefined && `default ${String(s.default)}`, accepted(s)].filter(Boolean).join(' · '),
  );
  const error = h('span', { id: `${id}-error`, class: 'field-error', role: 'alert' });
  const described = `${id}-help ${id}-error`;
  let input: HTMLInputElement | HTMLSelectElement;
  if (s.enum) {
    input = h(
      'select',
      { id, name: path, 'aria-describedby': described },
      s.enum.map((v) => h('option', { value: v, selected: v === s.default }, v)),
    );
  } else if (s.type === 'boolean') {
    input = h('input', {
      id,
      name: path,
      type: 'checkbox',
      checked: s.default === true,
      'aria-describedby': described,
    });
  } else {
    input = h('input', {
      id,
      name: path,
      type: 'number',
      inputmode: s.type === 'integer' ? 'numeric' : 'decimal',
      step: s.type === 'integer' ? 1 : 'any',
      min: s.minimum,
      max: s.maximum,
      value: s.default === undefined ? '' : String(s.default),
      'aria-describedby': described,
    });
  }
  const el = h(
    'div',
    { class: `field ${s.type === 'boolean' ? 'check' : ''}` },
    h('label', { for: id }, label(name)),
    input,
    help,
    error,
  );
  return { field: { path, schema: s, input, error }, el };
}

/** The value a field holds, or the reason it is not acceptable. Empty means "use the default". */
function read(f: Field): { value?: unknown; problem?: string } {
  const s = f.schema;
  if (f.input instanceof HTMLSelectElement) return { value: f.input.value };
  if (f.input.type === 'checkbox') return { value: f.input.checked };
  const text = f.input.value.trim();
  if (!text) return { value: s.default };
  const n = Number(text);
  if (!Number.isFinite(n)) return { problem: 'enter a number' };
  if (s.type === 'integer' && !Number.isInteger(n)) return { problem: 'enter a whole number' };
  if (s.minimum !== undefined && n < s.minimum) return { problem: `at least ${s.minimum}` };
  if (s.maximum !== undefined && n > s.maximum) return { problem: `at most ${s.maximum}` };
  return { value: n };
}

export interface ClusterForm {
  /** Checks the form; the request body (only what differs from the defaults), or undefined with the errors shown. */
  body(): Record<string, unknown> | undefined;
  /** Shows a server answer's error next to its field (or above the buttons when it names none we have). */
  showServerError(err: ApiFailure): boolean;
}

export async function buildClusterForm(root: HTMLElement): Promise<ClusterForm> {
  const doc = await api<{ components: { schemas: Record<string, FieldSchema> } }>('/api/openapi.json');
  const schema = doc.components.schemas.startClusteringBody;
  const fields: Field[] = [];
  const main: HTMLElement[] = [];
  const more: HTMLElement[] = [];
  for (const [name, s] of Object.entries(schema.properties ?? {})) {
    if (s.type === 'object') {
      const nested = Object.entries(s.properties ?? {}).map(([sub, ss]) => makeField(`${name}.${sub}`, sub, ss));
      fields.push(...nested.map((n) => n.field));
      more.push(
        h(
          'fieldset',
          { class: 'group' },
          h('legend', {}, `${label(name)}${s.description ? ` — ${s.description}` : ''}`),
          nested.map((n) => n.el),
        ),
      );
      continue;
    }
    const { field, el } = makeField(name, name, s);
    fields.push(field);
    (MAIN_FIELDS.includes(name) ? main : more).push(el);
  }
  root.append(
    h('div', { class: 'fields' }, main),
    h(
      'details',
      { class: 'more' },
      h('summary', {}, `All parameters (${fields.length})`),
      h('div', { class: 'fields' }, more),
    ),
  );
  const byPath = new Map(fields.map((f) => [f.path, f]));
  const setError = (f: Field, text: string) => {
    f.error.textContent = text;
    f.input.setAttribute('aria-invalid', text ? 'true' : 'false');
  };
  // Each `…Min` with its `…Max` sibling (numClustersMin/Max, dbscanEpsMin/Max …), as the server pairs them.
  const pairs = fields
    .filter((f) => f.path.endsWith('Min') && byPath.has(`${f.path.slice(0, -3)}Max`))
    .map((f) => [f, byPath.get(`${f.path.slice(0, -3)}Max`)!] as const);

  return {
    body() {
      const values = new Map<string, unknown>();
      let first: Field | undefined;
      for (const f of fields) {
        const r = read(f);
        setError(f, r.problem ?? '');
        if (r.problem) first ??= f;
        else values.set(f.path, r.value);
      }
      for (const [lo, hi] of pairs) {
        const a = values.get(lo.path),
          b = values.get(hi.path);
        if (typeof a === 'number' && typeof b === 'number' && a > b) {
          setError(lo, `must not exceed ${label(hi.path.split('.').pop()!).toLowerCase()} (${b})`);
          first ??= lo;
        }
      }
      if (first) {
        first.input.closest('details')?.setAttribute('open', '');
        first.input.focus();
        return undefined;
      }
      const body: Record<string, unknown> = {};
      for (const f of fields) {
        const v = values.get(f.path);
        if (v === f.schema.default) continue;
        const [top, sub] = f.path.split('.');
        if (sub) ((body[top] ??= {}) as Record<string, unknown>)[sub] = v;
        else body[top] = v;
      }
      return body;
    },
    showServerError(err) {
      const f = err.field ? byPath.get(err.field) : undefined;
      if (!f) return false;
      setError(f, err.message);
      f.input.closest('details')?.setAttribute('open', '');
      f.input.focus();
      return true;
    },
  };
}
