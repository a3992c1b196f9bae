/**
 * Refuses an options object that carries keys its reader does not know. TypeScript's excess
 * property check only covers object literals written in place: options built in a variable, spread
 * from configuration or passed from JavaScript reach us unchecked, and a mistyped key (`maxAttempts`
 * for `maxRetries`) would otherwise be silently ignored and the default used instead.
 *
 * @param where - what the options configure, for the message (`createTandem`, `RetryPolicy`...).
 * @param options - the object to check; `undefined` passes.
 * @param known - every key the reader accepts.
 * @throws TypeError naming each unknown key, the closest known key when one is near, and the known keys.
 */
export function assertKnownOptions(
  where: string,
  options: object | undefined,
  known: readonly string[],
): void {
  if (options === undefined) return;
  const unknown = Object.keys(options).filter((key) => !known.includes(key));
  if (unknown.length === 0) return;
  const parts = unknown.map((key) => {
    const near = closestKey(key, known);
    return near === undefined
      ? JSON.stringify(key)
      : `${JSON.stringify(key)} (did you mean ${JSON.stringify(near)}?)`;
  });
  throw new TypeError(
    `${where}: unknown option${unknown.length > 1 ? 's' : ''} ${parts.join(', ')}; known options are ${known.join(', ')}`,
  );
}

/**
 * The known key the caller most likely meant: one the unknown key contains or is contained in
 * (`maxAttempts` → `attempts`), the longest such; else the nearest within a third of its length in
 * edits (`baseDelay` → `baseDelayMs`); else undefined.
 */
function closestKey(key: string, known: readonly string[]): string | undefined {
  const lower = key.toLowerCase();
  const nested = known
    .filter((candidate) => {
      const other = candidate.toLowerCase();
      return Math.min(other.length, lower.length) >= 4 && (lower.includes(other) || other.includes(lower));
    })
    .sort((a, b) => b.length - a.length);
  if (nested[0] !== undefined) return nested[0];
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const distance = editDistance(lower, candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(best.length / 3)) ? best : undefined;
}

/** Levenshtein distance; option names are short, so the quadratic table is cheap. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost);
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
