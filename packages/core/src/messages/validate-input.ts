import type { StandardSchemaV1 } from '@standard-schema/spec';
import { TandemError, type FieldIssue } from '../errors/tandem-error.js';

function pathOf(issue: StandardSchemaV1.Issue): string {
  return (issue.path ?? [])
    .map((segment) => String(typeof segment === 'object' ? segment.key : segment))
    .join('.');
}

/**
 * Lists keys present in `input` but absent from the validator's `output`. Standard Schema has no
 * "strict" switch, yet every validator strips what it does not know, so comparing the two finds
 * unknown fields whichever library the user chose.
 */
export function findUnknownKeys(input: unknown, output: unknown, path = ''): string[] {
  if (Array.isArray(input) && Array.isArray(output)) {
    return input.flatMap((item, i) =>
      findUnknownKeys(item, output[i], path === '' ? `${i}` : `${path}.${i}`),
    );
  }
  if (!isPlainObject(input) || !isPlainObject(output)) return [];
  const unknown: string[] = [];
  for (const key of Object.keys(input)) {
    const keyPath = path === '' ? key : `${path}.${key}`;
    if (!Object.prototype.hasOwnProperty.call(output, key)) unknown.push(keyPath);
    else unknown.push(...findUnknownKeys(input[key], output[key], keyPath));
  }
  return unknown;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Validates `input` against any Standard Schema validator and rejects unknown fields. Throws a
 * `validation` error listing every issue; returns the validator's (possibly transformed) output.
 */
export async function validateInput<Schema extends StandardSchemaV1>(
  schema: Schema,
  input: unknown,
): Promise<StandardSchemaV1.InferOutput<Schema>> {
  return checkInput(schema, input);
}

/**
 * {@link validateInput}, answering synchronously when the validator does (zod, valibot and
 * arktype do for synchronous schemas), so a hot path need not wait a turn for a plain check.
 */
export function checkInput<Schema extends StandardSchemaV1>(
  schema: Schema,
  input: unknown,
): StandardSchemaV1.InferOutput<Schema> | Promise<StandardSchemaV1.InferOutput<Schema>> {
  const result = schema['~standard'].validate(input);
  // Any thenable counts as asynchronous, as `await` would treat it.
  return typeof (result as { then?: unknown }).then === 'function'
    ? Promise.resolve(result).then((r) => checkedValue(r, input))
    : checkedValue(result as StandardSchemaV1.Result<StandardSchemaV1.InferOutput<Schema>>, input);
}

function checkedValue<Output>(result: StandardSchemaV1.Result<Output>, input: unknown): Output {
  if (result.issues !== undefined) {
    const issues: FieldIssue[] = result.issues.map((issue) => ({
      path: pathOf(issue),
      message: issue.message,
    }));
    throw new TandemError('validation', 'The input is invalid', { details: { issues } });
  }
  const unknown = findUnknownKeys(input, result.value);
  if (unknown.length > 0) {
    const issues: FieldIssue[] = unknown.map((path) => ({ path, message: 'Unknown field' }));
    throw new TandemError('validation', 'The input has unknown fields', { details: { issues } });
  }
  return result.value;
}
