import { useEffect, useState } from 'preact/hooks';
import { parseRoute, type Route } from './route.js';

export { parseRoute, routeHref, type Route } from './route.js';

/** The current route, following hash changes. */
export function useHashRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const changed = () => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', changed);
    // Effects run after the first paint: a hash changed before then is caught up here.
    changed();
    return () => removeEventListener('hashchange', changed);
  }, []);
  return route;
}
