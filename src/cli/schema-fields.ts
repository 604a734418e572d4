/**
 * Reads an operation's zod input schema into flag descriptors: name, kind, whether required, the
 * allowed values. This is how the CLI derives its flags instead of declaring them twice.
 */

import type { z } from 'zod';

/** `pairs`: a string-keyed record, given as repeated `--flag key=value` (or one JSON object). */
export type FieldKind = 'string' | 'number' | 'boolean' | 'enum' | 'json' | 'pairs';

export interface FieldDescriptor {
  /** The input field (camelCase). */
  readonly name: string;
  /** The flag (kebab-case, without dashes). */
  readonly flag: string;
  readonly kind: FieldKind;
  readonly array: boolean;
  readonly required: boolean;
  /** May be cleared with `--no-<flag>`. */
  readonly nullable: boolean;
  readonly values?: readonly string[];
}

interface Def {
  type: string;
  innerType?: z.ZodType;
  element?: z.ZodType;
  entries?: Record<string, string>;
  in?: z.ZodType;
  shape?: Record<string, z.ZodType>;
}

const defOf = (schema: z.ZodType): Def => (schema as unknown as { _zod: { def: Def } })._zod.def;

/** The flag for a field: `dependsOn` and `max_steps` are typed `--depends-on`, `--max-steps`. */
export function kebabCase(name: string): string {
  return name.replace(/[A-Z]/g, (ch) => `-${ch.toLowerCase()}`).replace(/_/g, '-');
}

export function describeFields(schema: z.ZodType): FieldDescriptor[] {
  const def = defOf(schema);
  const shape =
    def.type === 'object' ? (schema as unknown as { shape: Record<string, z.ZodType> }).shape : {};
  return Object.entries(shape).map(([name, field]) => describeField(name, field));
}

function describeField(name: string, schema: z.ZodType): FieldDescriptor {
  let current = schema;
  let required = true;
  let nullable = false;
  let array = false;
  for (;;) {
    const def = defOf(current);
    if (def.type === 'optional' || def.type === 'default' || def.type === 'nullable') {
      required = required && def.type === 'nullable';
      nullable = nullable || def.type === 'nullable';
      current = def.innerType!;
    } else if (def.type === 'pipe') {
      current = def.in!;
    } else if (def.type === 'array' && !array) {
      array = true;
      current = def.element!;
    } else {
      const base = { name, flag: kebabCase(name), array, required, nullable };
      switch (def.type) {
        case 'string':
          return { ...base, kind: 'string' };
        case 'number':
        case 'int':
          return { ...base, kind: 'number' };
        case 'boolean':
          return { ...base, kind: 'boolean' };
        case 'enum':
          return { ...base, kind: 'enum', values: Object.values(def.entries ?? {}) };
        case 'record':
          return { ...base, kind: array ? 'json' : 'pairs' };
        default:
          return { ...base, kind: 'json' };
      }
    }
  }
}
