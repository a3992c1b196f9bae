import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { AdminApi } from './admin-api.js';

/** The signed-in admin API, for every page under the shell. */
export const ApiContext = createContext<AdminApi | undefined>(undefined);

/** The signed-in admin API (pages only render signed in). */
export function useApi(): AdminApi {
  const api = useContext(ApiContext);
  if (api === undefined) throw new Error('useApi outside a signed-in shell');
  return api;
}
