/** Where the hash points: `#/events?type=X` is page `events`, params `type=X`. */
export interface Route {
  readonly page: string;
  /** What follows the page name (`#/streams/<id>`: the id, decoded). */
  readonly rest: string;
  readonly params: URLSearchParams;
}

/** Parses a location hash. An empty or unknown one is the overview. */
export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#\/?/, '');
  const query = path.indexOf('?');
  const [pathPart, queryPart] = query === -1 ? [path, ''] : [path.slice(0, query), path.slice(query + 1)];
  const slash = pathPart.indexOf('/');
  const page = (slash === -1 ? pathPart : pathPart.slice(0, slash)) || 'overview';
  let rest = slash === -1 ? '' : pathPart.slice(slash + 1);
  try {
    rest = decodeURIComponent(rest);
  } catch {
    // A malformed escape is kept as typed.
  }
  return { page, rest, params: new URLSearchParams(queryPart) };
}

/** The hash for a page, its rest and params (empty params left out). */
export function routeHref(
  page: string,
  rest = '',
  params: Readonly<Record<string, string | undefined>> = {},
): string {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params))
    if (value !== undefined && value !== '') query.set(name, value);
  const text = query.toString();
  return `#/${page}${rest === '' ? '' : `/${encodeURIComponent(rest)}`}${text === '' ? '' : `?${text}`}`;
}
