import { useState } from 'preact/hooks';
import { checkToken } from '../admin-api.js';

/** Props of {@link LoginPage}. */
export interface LoginPageProps {
  /** A token the server accepted as an admin's. */
  readonly onSignedIn: (token: string) => void;
  /** Why the last session ended, if it did on its own (an expired token). */
  readonly notice?: string;
}

/**
 * Asks for an admin token and checks it with `GET /admin/projections` before keeping it: a
 * refused token is explained (not valid / not an admin's), never stored.
 */
export function LoginPage(props: LoginPageProps) {
  const [token, setToken] = useState('');
  const [message, setMessage] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    const trimmed = token.trim().replace(/^Bearer\s+/i, '');
    if (trimmed === '') return setMessage('Paste an admin token first.');
    setBusy(true);
    const checked = await checkToken(trimmed);
    setBusy(false);
    if (checked.ok) props.onSignedIn(trimmed);
    else setMessage(checked.message);
  };
  return (
    <main class="login">
      <form class="card" onSubmit={(event) => void submit(event)}>
        <h1>Tandem console</h1>
        <p class="muted">
          Sign in with an admin token (<code>tandem token --user &lt;id&gt; --role admin</code>; in
          development <code>npm start</code> prints one). It is kept for this tab only.
        </p>
        {props.notice === undefined ? null : <p class="notice">{props.notice}</p>}
        <label for="token">Admin token</label>
        <textarea
          id="token"
          name="token"
          rows={4}
          autoComplete="off"
          spellcheck={false}
          value={token}
          onInput={(event) => setToken(event.currentTarget.value)}
          aria-describedby={message === undefined ? undefined : 'login-error'}
        />
        {message === undefined ? null : (
          <p id="login-error" class="error" role="alert">
            {message}
          </p>
        )}
        <button type="submit" class="primary" disabled={busy}>
          {busy ? 'Checking…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
