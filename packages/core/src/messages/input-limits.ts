import { TandemError, type FieldIssue } from '../errors/tandem-error.js';
import { unstorableReason } from './storable-text.js';

/**
 * Bounds on the shape of command data and query parameters, checked before anything walks the
 * input recursively (hashing, validation): a body of a few kilobytes can nest thousands of levels
 * deep, and a recursive walk of it overflows the stack (it answered 500 before these limits).
 */
export interface InputLimits {
  /** The deepest nesting of objects and arrays; default 32. */
  readonly maxDepth: number;
  /** The most elements in one array; default 1,000. */
  readonly maxArrayLength: number;
  /** The most keys in one object; default 256. */
  readonly maxKeys: number;
  /** The most values in the whole input, containers included; default 10,000. */
  readonly maxValues: number;
}

/** The limits used when none are configured. */
export const defaultInputLimits: InputLimits = {
  maxDepth: 32,
  maxArrayLength: 1_000,
  maxKeys: 256,
  maxValues: 10_000,
};

/** More issues than this are not listed: the caller has enough to fix. */
const maxIssues = 10;

function join(path: string, key: string | number): string {
  return path === '' ? String(key) : `${path}.${String(key)}`;
}

/**
 * Every problem with the shape and text of `input`: nesting, sizes, and strings (values and keys)
 * that a store cannot hold. Iterative, so no input can overflow the stack; stops after a few issues
 * and after `maxValues` values, so no input can make it walk for long.
 */
export function inputIssues(
  input: unknown,
  limits: InputLimits = defaultInputLimits,
  root = '',
): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const stack: { value: unknown; path: string; depth: number }[] = [{ value: input, path: root, depth: 0 }];
  let seen = 0;
  while (stack.length > 0 && issues.length < maxIssues) {
    const { value, path, depth } = stack.pop() as { value: unknown; path: string; depth: number };
    seen += 1;
    if (seen > limits.maxValues) {
      issues.push({ path: root, message: `The input holds more than ${limits.maxValues} values` });
      break;
    }
    if (typeof value === 'string') {
      const reason = unstorableReason(value);
      if (reason !== undefined) issues.push({ path, message: `The text ${reason}` });
      continue;
    }
    if (typeof value !== 'object' || value === null) continue;
    if (depth >= limits.maxDepth) {
      issues.push({ path, message: `Nested more than ${limits.maxDepth} levels deep` });
      continue;
    }
    if (Array.isArray(value)) {
      if (value.length > limits.maxArrayLength) {
        issues.push({ path, message: `More than ${limits.maxArrayLength} items` });
        continue;
      }
      for (let i = value.length - 1; i >= 0; i--)
        stack.push({ value: value[i], path: join(path, i), depth: depth + 1 });
      continue;
    }
    const keys = Object.keys(value);
    if (keys.length > limits.maxKeys) {
      issues.push({ path, message: `More than ${limits.maxKeys} fields` });
      continue;
    }
    for (let i = keys.length - 1; i >= 0; i--) {
      const key = keys[i] as string;
      const reason = unstorableReason(key);
      // The key itself cannot go into the path: it is the text that cannot be stored.
      if (reason !== undefined) issues.push({ path, message: `A field name ${reason}` });
      else
        stack.push({
          value: (value as Record<string, unknown>)[key],
          path: join(path, key),
          depth: depth + 1,
        });
    }
  }
  return issues;
}

/** Throws a `validation` error listing the problems {@link inputIssues} finds in `input`. */
export function checkInputShape(input: unknown, limits: InputLimits = defaultInputLimits, root = ''): void {
  const issues = inputIssues(input, limits, root);
  if (issues.length > 0) throw new TandemError('validation', 'The input is invalid', { details: { issues } });
}
