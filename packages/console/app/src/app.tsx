import { useMemo, useState } from 'preact/hooks';
import { AdminApi } from './admin-api.js';
import { ApiContext } from './api-context.js';
import { useHashRoute, routeHref } from './hash-route.js';
import { AuditPage } from './pages/audit-page.js';
import { EventsPage } from './pages/events-page.js';
import { LoginPage } from './pages/login-page.js';
import { OverviewPage } from './pages/overview-page.js';
import { ParkedPage } from './pages/parked-page.js';
import { ProjectionsPage } from './pages/projections-page.js';
import { StreamPage } from './pages/stream-page.js';
import { chooseTheme, currentTheme, type Theme } from './theme.js';
import { ThemeContext } from './theme-context.js';
import { forgetToken, storedToken, storeToken } from './token-store.js';

/** The pages of the navigation, in order. */
const pages = [
  ['overview', 'Overview'],
  ['projections', 'Projections'],
  ['parked', 'Parked'],
  ['events', 'Events'],
  ['streams', 'Streams'],
  ['audit', 'Audit'],
] as const;

/** The console: the login form without a token, else the shell with the routed page. */
export function App() {
  const [token, setToken] = useState(storedToken);
  const [notice, setNotice] = useState<string | undefined>(undefined);
  const [theme, setTheme] = useState<Theme>(currentTheme);
  const route = useHashRoute();

  const api = useMemo(
    () =>
      token === undefined
        ? undefined
        : new AdminApi(token, () => {
            forgetToken();
            setToken(undefined);
            setNotice('The server refused the token (expired or revoked): sign in again.');
          }),
    [token],
  );

  if (api === undefined) {
    return (
      <LoginPage
        notice={notice}
        onSignedIn={(accepted) => {
          storeToken(accepted);
          setNotice(undefined);
          setToken(accepted);
        }}
      />
    );
  }

  const page = pages.some(([name]) => name === route.page) ? route.page : 'overview';
  const next: Theme = theme === 'dark' ? 'light' : 'dark';
  return (
    <ThemeContext.Provider value={theme}>
      <ApiContext.Provider value={api}>
        <a
          class="skip"
          href="#main"
          onClick={(event) => {
            event.preventDefault();
            document.getElementById('main')?.focus();
          }}
        >
          Skip to content
        </a>
        <header class="top">
          <span class="brand">Tandem console</span>
          <nav aria-label="Pages">
            <ul>
              {pages.map(([name, label]) => (
                <li key={name}>
                  <a href={routeHref(name)} aria-current={page === name ? 'page' : undefined}>
                    {label}
                  </a>
                </li>
              ))}
            </ul>
          </nav>
          <div class="top-actions">
            <button
              type="button"
              onClick={() => {
                chooseTheme(next);
                setTheme(next);
              }}
            >
              {next === 'dark' ? 'Dark theme' : 'Light theme'}
            </button>
            <button
              type="button"
              onClick={() => {
                forgetToken();
                setNotice(undefined);
                setToken(undefined);
              }}
            >
              Sign out
            </button>
          </div>
        </header>
        <main id="main" tabIndex={-1}>
          {page === 'overview' ? <OverviewPage /> : null}
          {page === 'projections' ? <ProjectionsPage /> : null}
          {page === 'parked' ? <ParkedPage route={route} /> : null}
          {page === 'events' ? <EventsPage route={route} /> : null}
          {page === 'streams' ? <StreamPage key={route.rest} route={route} /> : null}
          {page === 'audit' ? <AuditPage /> : null}
        </main>
      </ApiContext.Provider>
    </ThemeContext.Provider>
  );
}
