/**
 * What a writer believes about a stream's version before appending.
 * - a number: the stream's version must equal it exactly (`0` means the stream must be empty);
 * - `'no-stream'`: the stream must not exist yet;
 * - `'stream-exists'`: the stream must have at least one event;
 * - `'any'`: no check.
 */
export type ExpectedVersion = number | 'no-stream' | 'stream-exists' | 'any';

/** Whether a stream at `actual` (0 = no events) satisfies `expected`. */
export function versionMatches(expected: ExpectedVersion, actual: number): boolean {
  switch (expected) {
    case 'any':
      return true;
    case 'no-stream':
      return actual === 0;
    case 'stream-exists':
      return actual > 0;
    default:
      return actual === expected;
  }
}
