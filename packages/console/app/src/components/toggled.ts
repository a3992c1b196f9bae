/** `set` with `key` added, or removed when it was in: a row opened or closed, selected or not. */
export function toggled<K>(set: ReadonlySet<K>, key: K): ReadonlySet<K> {
  const next = new Set(set);
  if (next.has(key)) next.delete(key);
  else next.add(key);
  return next;
}
