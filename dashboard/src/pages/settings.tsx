/** Settings: your password; users, API keys and enrollment tokens with the one-line agent install command. */
import { useEffect, useState } from 'preact/hooks';
import { type ApiError, call } from '../api';
import type { Me } from '../main';
import { ago } from '../ui/format';
import { PageTitle } from '../ui/layout';
import { LoadMore, usePagedList } from '../ui/paged-list';
import { ErrorNote, Show } from '../ui/states';
import { useSubmit } from '../ui/use-submit';

export function SettingsPage({ me }: { me: Me }) {
  const admin = me.scopes.includes('admin') || me.role === 'admin';
  // Bumped when your password is saved: the users list shows "no password" from the server, so it reads again.
  const [passwordSaves, setPasswordSaves] = useState(0);
  return (
    <>
      <PageTitle>Settings</PageTitle>
      {me.user ? <PasswordCard hasPassword={me.user.has_password} onSaved={() => setPasswordSaves((n) => n + 1)} /> : null}
      {me.scopes.includes('agents:write') ? <EnrollmentCard /> : null}
      <ApiKeysCard />
      {admin ? <UsersCard refresh={passwordSaves} /> : null}
    </>
  );
}

function PasswordCard({ hasPassword: hadPassword, onSaved }: { hasPassword: boolean; onSaved(): void }) {
  // /me was read when the app started; once a password is saved here, this session has one.
  const [hasPassword, setHasPassword] = useState(hadPassword);
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const s = useSubmit<boolean>();
  const asked = location.hash.includes('set_password=1');
  return (
    <section class={`card ${asked && !hasPassword ? 'highlight' : ''}`}>
      <h2>Your password</h2>
      {!hasPassword ? <p>You came in with a one-time link. Set a password to log in next time.</p> : null}
      <form
        class="form-row"
        onSubmit={(e) => {
          e.preventDefault();
          s.run(async () => {
            await call('PUT', '/api/v1/me/password', { ...(hasPassword ? { current_password: current } : {}), new_password: next });
            setCurrent('');
            setNext('');
            setHasPassword(true);
            onSaved();
            return true;
          });
        }}
      >
        {hasPassword ? (
          <input
            type="password"
            placeholder="Current password"
            autocomplete="current-password"
            value={current}
            onInput={(e) => setCurrent(e.currentTarget.value)}
          />
        ) : null}
        <input
          type="password"
          placeholder="New password (10+ characters)"
          autocomplete="new-password"
          value={next}
          onInput={(e) => setNext(e.currentTarget.value)}
          required
        />
        <button class="btn primary" disabled={s.busy}>
          Save password
        </button>
      </form>
      {s.error ? <ErrorNote error={s.error} /> : null}
      {s.result ? <p class="ok-text">Password saved.</p> : null}
    </section>
  );
}

function EnrollmentCard() {
  const [uses, setUses] = useState(10);
  const [autoApprove, setAutoApprove] = useState(false);
  const s = useSubmit<{ token: string; expires_at: string; uses: number }>();
  return (
    <section class="card">
      <h2>Add hosts</h2>
      <p class="muted">Make an enrollment token, then run the command on each host. Without auto-approve, new agents wait in Hosts for approval.</p>
      <form
        class="form-row"
        onSubmit={(e) => {
          e.preventDefault();
          s.run(
            async () => (await call<any>('POST', '/api/v1/enrollment-tokens', { uses, ttl_seconds: 86400, auto_approve: autoApprove, note: 'dashboard' })).data,
          );
        }}
      >
        <label class="inline">
          Uses <input type="number" min={1} max={100000} value={uses} onInput={(e) => setUses(Number(e.currentTarget.value))} />
        </label>
        <label class="inline">
          <input type="checkbox" checked={autoApprove} onChange={(e) => setAutoApprove(e.currentTarget.checked)} /> auto-approve
        </label>
        <button class="btn primary" disabled={s.busy}>
          Make token
        </button>
      </form>
      {s.error ? <ErrorNote error={s.error} /> : null}
      {s.result ? (
        <div class="secret" data-testid="install-command">
          <p class="small">
            Shown once. Valid for {s.result.uses} host(s) until {new Date(s.result.expires_at).toLocaleString()}:
          </p>
          <pre>
            <code>{`curl -fsSL ${location.origin}/downloads/install.sh | sudo sh -s -- --token ${s.result.token}`}</code>
          </pre>
          <p class="small muted">
            Needs Node.js 20 or later on the host. Installs the agent in /opt/autowatch-agent and starts the autowatch-agent service (systemd); run it again to
            upgrade. Without systemd, add <code>--no-service</code> and start the command it prints. More in docs/agent.md.
          </p>
        </div>
      ) : null}
    </section>
  );
}

interface ApiKey {
  id: string;
  name: string;
  owner_username: string | null;
  scopes: string[];
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
  expires_at: string | null;
}

function ApiKeysCard() {
  const keys = usePagedList<ApiKey>('/api/v1/api-keys?limit=100&revoked=false');
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState('hosts:read metrics:read');
  const s = useSubmit<{ bearer: string; key: ApiKey }>();
  const [revokeError, setRevokeError] = useState<ApiError>();
  const revoke = async (k: ApiKey) => {
    if (!confirm(`Revoke key "${k.name}"? Programs using it stop working.`)) return;
    setRevokeError(undefined);
    try {
      await call('DELETE', `/api/v1/api-keys/${k.id}`);
      keys.reload();
    } catch (e) {
      setRevokeError(e as ApiError);
    }
  };
  return (
    <section class="card">
      <h2>API keys</h2>
      <form
        class="form-row"
        onSubmit={(e) => {
          e.preventDefault();
          s.run(async () => {
            const a = await call<{ bearer: string; key: ApiKey }>('POST', '/api/v1/api-keys', { name, scopes: scopes.split(/[\s,]+/).filter(Boolean) });
            setName('');
            keys.reload();
            return a.data;
          });
        }}
      >
        <input placeholder="Key name" value={name} onInput={(e) => setName(e.currentTarget.value)} required />
        <input placeholder="Scopes, space separated" value={scopes} onInput={(e) => setScopes(e.currentTarget.value)} />
        <button class="btn primary" disabled={s.busy}>
          Make key
        </button>
      </form>
      {s.error ? <ErrorNote error={s.error} /> : null}
      {s.result ? (
        <div class="secret">
          <p class="small">
            Shown once; use as <code>Authorization: Bearer …</code>
          </p>
          <pre>
            <code>{s.result.bearer}</code>
          </pre>
        </div>
      ) : null}
      {revokeError ? <ErrorNote error={revokeError} /> : null}
      <Show r={keys} what="API keys" emptyText="No API keys.">
        {(list) => (
          <>
            <table class="table">
              <thead>
                <tr>
                  <th>Name</th>
                  <th class="hide-phone">Owner</th>
                  <th>Scopes</th>
                  <th class="hide-phone">Last used</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {list.map((k) => (
                  <tr>
                    <td>
                      {k.name}{' '}
                      <div class="muted small">
                        <code>{k.id}</code>
                      </div>
                    </td>
                    <td class="hide-phone">{k.owner_username ?? '–'}</td>
                    <td class="small">{k.scopes.join(' ')}</td>
                    <td class="hide-phone">{ago(k.last_used_at)}</td>
                    <td>
                      <button class="btn small danger" onClick={() => revoke(k)}>
                        Revoke
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
            <LoadMore list={keys} what="keys" />
          </>
        )}
      </Show>
    </section>
  );
}

interface User {
  id: string;
  username: string;
  display_name: string;
  role: string;
  disabled: boolean;
  has_password: boolean;
  last_login_at: string | null;
}

function UsersCard({ refresh }: { refresh: number }) {
  const users = usePagedList<User>('/api/v1/users?limit=100');
  useEffect(() => {
    if (refresh) users.reload();
  }, [refresh]);
  const [username, setUsername] = useState('');
  const [role, setRole] = useState('viewer');
  const s = useSubmit<{ user: User; one_time_login?: { url: string } }>();
  return (
    <section class="card">
      <h2>Users</h2>
      <form
        class="form-row"
        onSubmit={(e) => {
          e.preventDefault();
          s.run(async () => {
            const a = await call<any>('POST', '/api/v1/users', { username, role });
            setUsername('');
            users.reload();
            return a.data;
          });
        }}
      >
        <input placeholder="Username" value={username} onInput={(e) => setUsername(e.currentTarget.value)} required />
        <select value={role} onChange={(e) => setRole(e.currentTarget.value)} aria-label="Role">
          <option value="viewer">viewer</option>
          <option value="operator">operator</option>
          <option value="admin">admin</option>
        </select>
        <button class="btn primary" disabled={s.busy}>
          Add user
        </button>
      </form>
      {s.error ? <ErrorNote error={s.error} /> : null}
      {s.result?.one_time_login ? (
        <div class="secret">
          <p class="small">Give this one-time login link to {s.result.user?.username ?? 'the user'}:</p>
          <pre>
            <code>{s.result.one_time_login.url}</code>
          </pre>
        </div>
      ) : null}
      <Show r={users} what="Users">
        {(list) => (
          <>
            <table class="table">
              <thead>
                <tr>
                  <th>User</th>
                  <th>Role</th>
                  <th class="hide-phone">Last login</th>
                </tr>
              </thead>
              <tbody>
                {list.map((u) => (
                  <tr>
                    <td>
                      {u.username} {u.disabled ? <span class="badge revoked">disabled</span> : null}
                      {!u.has_password ? (
                        <span class="muted small" data-testid="no-password">
                          {' '}
                          · no password
                        </span>
                      ) : null}
                    </td>
                    <td>{u.role}</td>
                    <td class="hide-phone">{ago(u.last_login_at)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            <LoadMore list={users} what="users" />
          </>
        )}
      </Show>
    </section>
  );
}
