/**
 * One form for any operation, drawn from its input JSON Schema in `/api/openapi.json` (the same
 * zod schemas the server checks, so no form is written by hand and none drifts): a field per
 * property, the server's refusal shown at the top and next to the field it names.
 */

import type { KeyboardEvent } from 'react';
import { useEffect, useId, useRef, useState } from 'react';
import type { Api } from './api.js';
import { describeError, useApi } from './api.js';
import { ErrorBox } from './components.js';

export interface JsonSchema {
  readonly type?: string;
  readonly enum?: readonly unknown[];
  readonly anyOf?: readonly JsonSchema[];
  readonly $ref?: string;
  readonly properties?: Readonly<Record<string, JsonSchema>>;
  readonly required?: readonly string[];
  readonly items?: JsonSchema;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly exclusiveMinimum?: number;
  readonly maxLength?: number;
  readonly pattern?: string;
  readonly description?: string;
}

interface OpenApiDocument {
  readonly components: { readonly schemas: Readonly<Record<string, JsonSchema>> };
}

let documentOnce: Promise<OpenApiDocument> | null = null;

/** The OpenAPI document, fetched once per page load (again only after a failure). */
function openApiDocument(api: Api): Promise<OpenApiDocument> {
  documentOnce ??= api.openapi() as Promise<OpenApiDocument>;
  documentOnce.catch(() => {
    documentOnce = null;
  });
  return documentOnce;
}

/** A schema with its `$ref`s to `#/components/schemas/…` followed. */
const deref = (doc: OpenApiDocument, schema: JsonSchema): JsonSchema => {
  let s = schema;
  for (let hops = 0; s.$ref && hops < 20; hops++) {
    s = doc.components.schemas[s.$ref.replace('#/components/schemas/', '')] ?? {};
  }
  return s;
};

/** An operation's input schema (`risk.add` → components.schemas['risk_add.input']), resolved. */
export async function inputSchema(api: Api, operation: string): Promise<JsonSchema> {
  const doc = await openApiDocument(api);
  const found = doc.components.schemas[`${operation.replace(/\./g, '_')}.input`];
  if (!found) throw new Error(`${operation}: no input schema in /api/openapi.json`);
  const resolve = (schema: JsonSchema): JsonSchema => {
    const s = deref(doc, schema);
    return {
      ...s,
      ...(s.anyOf ? { anyOf: s.anyOf.map(resolve) } : {}),
      ...(s.items ? { items: resolve(s.items) } : {}),
      ...(s.properties
        ? {
            properties: Object.fromEntries(
              Object.entries(s.properties).map(([k, v]) => [k, resolve(v)]),
            ),
          }
        : {}),
    };
  };
  return resolve(found);
}

/** The input schema of `operation` once loaded (undefined meanwhile), and a loading error. */
export function useInputSchema(operation: string): { schema?: JsonSchema; error?: string } {
  const api = useApi();
  const [state, setState] = useState<{ schema?: JsonSchema; error?: string }>({});
  useEffect(() => {
    let live = true;
    inputSchema(api, operation).then(
      (schema) => live && setState({ schema }),
      (error: unknown) => live && setState({ error: describeError(error) }),
    );
    return () => {
      live = false;
    };
  }, [api, operation]);
  return state;
}

const DATE = '^\\d{4}-\\d{2}-\\d{2}$';

type Kind = 'text' | 'textarea' | 'select' | 'number' | 'checkbox' | 'date' | 'list';

interface Field {
  readonly name: string;
  readonly label: string;
  readonly kind: Kind;
  readonly required: boolean;
  readonly nullable: boolean;
  readonly hint?: string | undefined;
  readonly options?: readonly string[];
  readonly min?: number | undefined;
  readonly max?: number | undefined;
  readonly integer?: boolean;
}

/** `reviewDate` → "Review date". */
export const readable = (name: string): string => {
  const words = name.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
};

/** The field of one property, or null for a shape no form field fits (objects, unions). */
function fieldOf(name: string, schema: JsonSchema, required: boolean): Field | null {
  let s = schema;
  let nullable = false;
  if (s.anyOf) {
    const others = s.anyOf.filter((m) => m.type !== 'null');
    if (others.length !== 1) return null;
    nullable = others.length < s.anyOf.length;
    s = { ...others[0]!, description: others[0]!.description ?? s.description };
  }
  const base = { name, label: readable(name), required, nullable, hint: s.description };
  switch (s.type) {
    case 'string':
      if (s.enum) return { ...base, kind: 'select', options: s.enum.map(String) };
      if (s.pattern === DATE) return { ...base, kind: 'date' };
      return { ...base, kind: (s.maxLength ?? 0) > 300 ? 'textarea' : 'text' };
    case 'integer':
    case 'number': {
      const min =
        s.minimum ??
        (s.exclusiveMinimum === undefined
          ? undefined
          : s.exclusiveMinimum + (s.type === 'integer' ? 1 : 0));
      const range =
        min !== undefined && s.maximum !== undefined && s.maximum < 1e9
          ? `${min}–${s.maximum}`
          : undefined;
      return {
        ...base,
        kind: 'number',
        min,
        max: s.maximum !== undefined && s.maximum < 1e9 ? s.maximum : undefined,
        integer: s.type === 'integer',
        hint: s.description ?? range,
      };
    }
    case 'boolean':
      return { ...base, kind: 'checkbox' };
    case 'array':
      return s.items?.type === 'string'
        ? { ...base, kind: 'list', hint: s.description ?? 'one per line' }
        : null;
    default:
      return null;
  }
}

type Values = Record<string, string | boolean>;

/** A row's value as the form holds it: text for inputs, a flag for checkboxes. */
const held = (field: Field, value: unknown): string | boolean => {
  if (field.kind === 'checkbox') return value === true;
  if (value === null || value === undefined) return '';
  if (Array.isArray(value)) return value.join('\n');
  return String(value);
};

/** What is sent for a field, or undefined to leave it out. */
function sent(field: Field, value: string | boolean, editing: boolean): unknown {
  if (field.kind === 'checkbox') return value;
  const text = String(value);
  if (field.kind === 'list') {
    const items = text
      .split(/\n|,/)
      .map((item) => item.trim())
      .filter(Boolean);
    return items.length || editing ? items : undefined;
  }
  // Spaces in a one-line text are sent: the server says what it thinks of them.
  const cleared = field.kind === 'text' ? text === '' : text.trim() === '';
  if (cleared) {
    // On an edit: null where the field may be null, else '' (the server names what it refuses);
    // on an add: left out, for the server's default.
    return editing ? (field.nullable ? null : '') : undefined;
  }
  if (field.kind === 'number') return Number(text);
  return text;
}

export interface SchemaFormProps {
  /** The operation to call, e.g. `risk.add`. */
  readonly operation: string;
  /** Values sent but not shown, e.g. { project: 'WEB' } or { risk: 'WEB-R1' }. */
  readonly fixed?: Readonly<Record<string, unknown>>;
  /** Fields not shown (nor sent unless fixed). */
  readonly omit?: readonly string[];
  /** The current values, for an edit: only what changes is sent, a cleared field as null. */
  readonly initial?: Readonly<Record<string, unknown>>;
  /** The form's accessible name and heading (default: the operation's name). */
  readonly title?: string;
  /** The submit button's text (default "Save"). */
  readonly submit?: string;
  onDone(output: unknown): void;
  onCancel?(): void;
}

export function SchemaForm(props: SchemaFormProps) {
  const api = useApi();
  const { schema, error: schemaError } = useInputSchema(props.operation);
  const editing = props.initial !== undefined;
  const fixed = props.fixed ?? {};
  const fields = Object.entries(schema?.properties ?? {})
    .filter(([name]) => !(name in fixed) && !props.omit?.includes(name))
    .map(([name, s]) => fieldOf(name, s, schema?.required?.includes(name) ?? false))
    .filter((f): f is Field => f !== null);
  const [values, setValues] = useState<Values | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [fieldError, setFieldError] = useState<{ field: string; message: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const form = useRef<HTMLFormElement>(null);
  const prefix = useId();

  const initialValues = (): Values =>
    Object.fromEntries(fields.map((f) => [f.name, held(f, props.initial?.[f.name])]));
  const current = values ?? (schema ? initialValues() : null);

  useEffect(() => {
    if (!schema) return;
    const first = form.current?.querySelector<HTMLElement>('input, select, textarea');
    first?.focus();
  }, [schema]);

  const focusField = (name: string) => {
    const element = form.current?.elements.namedItem(name);
    if (element instanceof HTMLElement) element.focus();
  };

  const submit = async () => {
    if (!current || busy) return;
    setError(null);
    setFieldError(null);
    const before = initialValues();
    const input: Record<string, unknown> = {};
    for (const field of fields) {
      const value = current[field.name]!;
      if (editing && value === before[field.name]) continue;
      const out = sent(field, value, editing);
      if (out !== undefined) input[field.name] = out;
    }
    setBusy(true);
    try {
      const output = await api.call(props.operation, { ...input, ...fixed });
      setValues(null);
      props.onDone(output);
    } catch (e) {
      const details = (e as { details?: { field?: unknown } }).details;
      const named = typeof details?.field === 'string' ? details.field.split('.')[0]! : null;
      const message = describeError(e);
      setError(message);
      if (named && fields.some((f) => f.name === named)) {
        setFieldError({ field: named, message: (e as Error).message });
        focusField(named);
      }
    } finally {
      setBusy(false);
    }
  };

  const onKeyDown = (event: KeyboardEvent) => {
    if (event.key === 'Escape' && props.onCancel) {
      event.preventDefault();
      props.onCancel();
    }
  };

  const title = props.title ?? props.operation;
  return (
    <form
      ref={form}
      className="panel schema-form"
      aria-label={title}
      onKeyDown={onKeyDown}
      onSubmit={(event) => {
        event.preventDefault();
        void submit();
      }}
    >
      <h3>{title}</h3>
      <ErrorBox error={schemaError ?? error} />
      {current ? (
        <div className="fields">
          {fields.map((field) => (
            <FieldInput
              key={field.name}
              field={field}
              value={current[field.name]!}
              prefix={prefix}
              clearable={field.nullable || !editing}
              error={fieldError?.field === field.name ? fieldError.message : null}
              onChange={(value) => setValues({ ...current, [field.name]: value })}
            />
          ))}
        </div>
      ) : schemaError ? null : (
        <p className="muted">Loading…</p>
      )}
      <div className="inline">
        <button type="submit" className="primary" disabled={!current || busy}>
          {props.submit ?? 'Save'}
        </button>
        {props.onCancel ? (
          <button type="button" onClick={props.onCancel}>
            Cancel
          </button>
        ) : null}
      </div>
    </form>
  );
}

function FieldInput(props: {
  field: Field;
  /** Makes ids unique when two forms are open. */
  prefix: string;
  /** Offers an empty choice in a select. */
  clearable: boolean;
  value: string | boolean;
  error: string | null;
  onChange: (value: string | boolean) => void;
}) {
  const { field, value, error } = props;
  const id = `${props.prefix}-${field.name}`;
  const described = [field.hint ? `${id}-hint` : null, error ? `${id}-error` : null]
    .filter(Boolean)
    .join(' ');
  const common = {
    id,
    name: field.name,
    required: field.required && field.kind !== 'checkbox',
    'aria-invalid': error ? true : undefined,
    'aria-describedby': described || undefined,
  };
  const text = String(value);
  const change = (event: { target: { value: string } }) => props.onChange(event.target.value);
  let input;
  switch (field.kind) {
    case 'select':
      input = (
        <select {...common} value={text} onChange={change}>
          {text === '' || (props.clearable && !field.required) ? <option value="">—</option> : null}
          {field.options!.map((option) => (
            <option key={option} value={option}>
              {option.replace(/_/g, ' ')}
            </option>
          ))}
        </select>
      );
      break;
    case 'textarea':
    case 'list':
      input = (
        <textarea
          {...common}
          rows={field.kind === 'list' ? 3 : 4}
          value={text}
          onChange={change}
          onKeyDown={(event) => {
            // Ctrl/Cmd+Enter submits from a multi-line field; Enter alone is a new line.
            if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
              event.preventDefault();
              event.currentTarget.form?.requestSubmit();
            }
          }}
        />
      );
      break;
    case 'checkbox':
      input = (
        <input
          {...common}
          type="checkbox"
          checked={value === true}
          onChange={(event) => props.onChange(event.target.checked)}
        />
      );
      break;
    case 'number':
      input = (
        <input
          {...common}
          type="number"
          min={field.min}
          max={field.max}
          step={field.integer ? 1 : 'any'}
          value={text}
          onChange={change}
        />
      );
      break;
    case 'date':
      input = <input {...common} type="date" value={text} onChange={change} />;
      break;
    default:
      input = <input {...common} type="text" value={text} onChange={change} />;
  }
  return (
    <div className={`field${field.kind === 'checkbox' ? ' check' : ''}${error ? ' invalid' : ''}`}>
      <label htmlFor={id}>
        <span>
          {field.label}
          {field.required ? (
            <span className="required" aria-hidden="true">
              {' '}
              *
            </span>
          ) : null}
        </span>
      </label>
      {input}
      {field.hint ? (
        <small id={`${id}-hint`} className="hint">
          {field.hint}
        </small>
      ) : null}
      {error ? (
        <small id={`${id}-error`} className="field-error" role="alert">
          {error}
        </small>
      ) : null}
    </div>
  );
}
