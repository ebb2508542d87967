/** The frame around every page: navigation (a sidebar on a desk, a top strip on a phone), theme, who is in. */
import type { ComponentChildren } from 'preact';
import { call, session } from '../api';

const NAV: [string, string][] = [
  ['/', 'Overview'],
  ['/hosts', 'Hosts'],
  ['/cmdb', 'CMDB'],
  ['/monitoring', 'Monitoring'],
  ['/tasks', 'Tasks'],
  ['/itil', 'Service mgmt'],
  ['/settings', 'Settings'],
];

export function Layout({ path, who, theme, onTheme, children }: { path: string; who: string; theme: string; onTheme(): void; children: ComponentChildren }) {
  const active = (p: string) => (p === '/' ? path === '/' : path === p || path.startsWith(`${p}/`));
  const logout = async () => {
    try {
      await call('DELETE', '/api/v1/session');
    } catch {
      // the session may be gone already; logging out locally is what matters
    }
    session.set(null);
  };
  return (
    <div class="shell">
      <header class="top">
        <a class="brand" href="#/">
          AutoWatch
        </a>
        <nav class="nav" aria-label="Main">
          {NAV.map(([p, label]) => (
            <a href={`#${p}`} class={active(p) ? 'active' : ''} aria-current={active(p) ? 'page' : undefined}>
              {label}
            </a>
          ))}
        </nav>
        <div class="top-right">
          <button class="btn ghost small" onClick={onTheme} title="Switch light/dark" aria-label="Switch light or dark theme">
            {theme === 'dark' ? '☀' : '☾'}
          </button>
          <span class="muted small who">{who}</span>
          <button class="btn ghost small" onClick={logout}>
            Log out
          </button>
        </div>
      </header>
      <main class="page">{children}</main>
    </div>
  );
}

export function PageTitle({ children, right }: { children: ComponentChildren; right?: ComponentChildren }) {
  return (
    <div class="page-title">
      <h1>{children}</h1>
      {right ? <div class="actions">{right}</div> : null}
    </div>
  );
}
