/** Log in with a password, or with the one-time link `make run` prints (#/login?one_time=awo_...). */
import { useEffect, useState } from 'preact/hooks';
import { type ApiError, call, session } from '../api';
import { ErrorNote, Loading } from '../ui/states';

interface SessionAnswer {
  token: string;
  user: { username: string; has_password: boolean };
}

export function LoginPage({ query, onDone }: { query: URLSearchParams; onDone(): void }) {
  const oneTime = query.get('one_time');
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError>();

  const finish = (a: SessionAnswer) => {
    session.set(a.token);
    // A user who came in by link and has no password yet is taken to set one.
    if (!a.user.has_password) location.hash = '#/settings?set_password=1';
    else onDone();
  };

  useEffect(() => {
    if (!oneTime) return;
    // The token leaves the address bar (and the history) before it is used.
    history.replaceState(null, '', '#/login');
    setBusy(true);
    call<SessionAnswer>('POST', '/api/v1/sessions/one-time', { token: oneTime })
      .then((a) => finish(a.data))
      .catch((e: ApiError) => setError(e))
      .finally(() => setBusy(false));
  }, [oneTime]);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      finish((await call<SessionAnswer>('POST', '/api/v1/sessions', { username, password })).data);
    } catch (err) {
      setError(err as ApiError);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div class="login">
      <form class="card login-card" onSubmit={submit}>
        <h1>AutoWatch</h1>
        <p class="muted">Log in to see your fleet.</p>
        {busy && oneTime ? <Loading what="Using your login link" /> : null}
        {error ? <ErrorNote error={error} /> : null}
        <label>
          Username
          <input name="username" autocomplete="username" value={username} onInput={(e) => setUsername(e.currentTarget.value)} required />
        </label>
        <label>
          Password
          <input
            name="password"
            type="password"
            autocomplete="current-password"
            value={password}
            onInput={(e) => setPassword(e.currentTarget.value)}
            required
          />
        </label>
        <button class="btn primary" type="submit" disabled={busy}>
          {busy ? 'Logging in…' : 'Log in'}
        </button>
        <p class="muted small">First start? Open the one-time link the server printed; it logs you in once.</p>
      </form>
    </div>
  );
}
