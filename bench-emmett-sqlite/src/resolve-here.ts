/**
 * Resolves `specifier` from this package, where npm put its own Emmett: the bench reads the
 * versions it reports from there, without loading Emmett into the process that asks.
 */
export function resolveHere(specifier: string): string {
  return import.meta.resolve(specifier);
}
