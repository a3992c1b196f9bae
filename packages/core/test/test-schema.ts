import type { StandardSchemaV1 } from '@standard-schema/spec';

type Check = (value: unknown) => string | undefined;

/**
 * A deliberately tiny Standard Schema validator, so core's tests prove the pipeline works with any
 * Standard Schema library rather than with one in particular. Like most validators it strips
 * unknown keys, which is what the pipeline's unknown-field check relies on.
 */
export function objectSchema<T extends Record<string, unknown>>(
  fields: Record<keyof T & string, Check>,
): StandardSchemaV1<unknown, T> {
  return {
    '~standard': {
      version: 1,
      vendor: 'tandem-test',
      validate(value) {
        if (typeof value !== 'object' || value === null || Array.isArray(value)) {
          return { issues: [{ message: 'Expected an object' }] };
        }
        const input = value as Record<string, unknown>;
        const issues: StandardSchemaV1.Issue[] = [];
        const output: Record<string, unknown> = {};
        for (const [key, check] of Object.entries<Check>(fields)) {
          const problem = check(input[key]);
          if (problem !== undefined) issues.push({ message: problem, path: [key] });
          else if (input[key] !== undefined) output[key] = input[key];
        }
        return issues.length > 0 ? { issues } : { value: output as T };
      },
    },
  };
}

export const str: Check = (v) =>
  typeof v === 'string' && v.length > 0 ? undefined : 'Expected a non-empty string';
export const int: Check = (v) => (Number.isInteger(v) ? undefined : 'Expected an integer');
export const optional =
  (check: Check): Check =>
  (v) =>
    v === undefined ? undefined : check(v);
