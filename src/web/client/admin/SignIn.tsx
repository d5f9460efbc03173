import { useState } from 'preact/hooks';
import { Header } from '../shared/components.tsx';
import { GraphQLRequestError } from '../shared/graphql.ts';
import { fetchRole } from './api.ts';

/** Checks the token with `viewer { role }` before keeping it, so a typo fails here and not later. */
export function SignIn({ onSignedIn, notice }: { onSignedIn(token: string): void; notice: string | null }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    const candidate = token.trim();
    if (!candidate) {
      setError('Enter the admin token.');
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const role = await fetchRole(candidate);
      if (role === 'admin') {
        onSignedIn(candidate);
        return;
      }
      setError(
        role === 'read-only'
          ? 'This token is read-only. Managing servers needs an admin token.'
          : 'This token was not accepted. Check it and try again.',
      );
    } catch (caught) {
      const failure = caught as GraphQLRequestError;
      setError(failure.isAuthFailure ? 'This token was not accepted. Check it and try again.' : failure.message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <Header title="Admin">
        <a class="button button-quiet" href="/">
          Status page
        </a>
      </Header>
      <main id="main" class="page page-narrow" tabIndex={-1}>
        <form class="card signin" onSubmit={submit} noValidate>
          <h2>Sign in</h2>
          <p class="muted">
            Use the token the server printed on its first start (also saved in <code>data/admin-token</code>), the
            value of <code>HARBORFORGE_ADMIN_TOKEN</code>, or one made with{' '}
            <code>npm run admin -- create &lt;name&gt;</code>. It is kept in this browser tab only.
          </p>
          {notice ? (
            <p class="notice notice-warn" role="status">
              {notice}
            </p>
          ) : null}
          <div class="field">
            <label class="field-label" for="admin-token">
              Admin token
            </label>
            <input
              id="admin-token"
              type="password"
              name="token"
              autocomplete="current-password"
              value={token}
              aria-invalid={error ? true : undefined}
              aria-describedby={error ? 'signin-error' : undefined}
              onInput={(event) => setToken(event.currentTarget.value)}
              autofocus
            />
          </div>
          {error ? (
            <p id="signin-error" class="field-error" role="alert">
              {error}
            </p>
          ) : null}
          <button type="submit" class="button button-primary" disabled={busy}>
            {busy ? 'Checking…' : 'Sign in'}
          </button>
        </form>
      </main>
    </>
  );
}
