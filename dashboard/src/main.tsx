/** Entry: the session decides between the login page and the app; the hash decides the page. */
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { session, type ApiError } from './api';
import { match, navigate, useLocation } from './router';
import { Layout } from './ui/layout';
import { useResource } from './ui/use-resource';
import { ErrorNote, Loading } from './ui/states';
import { LoginPage } from './pages/login';
import { OverviewPage } from './pages/overview';
import { HostsPage } from './pages/hosts';
import { HostPage } from './pages/host';
import { CmdbPage, AssetPage } from './pages/cmdb';
import { MonitoringPage } from './pages/monitoring';
import { TasksPage } from './pages/tasks';
import { SettingsPage } from './pages/settings';
import { ItilPage } from './pages/itil';
import './styles.css';

export interface Me {
  kind: string;
  id: string;
  name: string;
  role: string | null;
  scopes: string[];
  user: { username: string; has_password: boolean } | null;
}

function initialTheme(): string {
  return localStorage.getItem('aw.theme') ?? (matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light');
}

function useSessionToken() {
  const [t, setT] = useState(session.token);
  useEffect(() => session.subscribe(() => setT(session.token)), []);
  return t;
}

function Page({ path, me }: { path: string; me: Me }) {
  let p: Record<string, string> | null;
  if (path === '/') return <OverviewPage me={me} />;
  if (path === '/hosts') return <HostsPage />;
  if ((p = match('/hosts/:id', path))) return <HostPage hostId={p.id} />;
  if (path === '/cmdb') return <CmdbPage />;
  if ((p = match('/cmdb/:id', path))) return <AssetPage id={p.id} />;
  if (path === '/monitoring') return <MonitoringPage />;
  if (path === '/tasks') return <TasksPage />;
  if (path === '/settings') return <SettingsPage me={me} />;
  if (path === '/itil') return <ItilPage me={me} />;
  return (
    <div class="state empty">
      No page at <code>{path}</code>. <a href="#/">Go to the overview</a>.
    </div>
  );
}

function App() {
  const loc = useLocation();
  const token = useSessionToken();
  const [theme, setTheme] = useState(initialTheme);
  useEffect(() => {
    document.documentElement.dataset.theme = theme;
  }, [theme]);
  const toggle = () => {
    const next = theme === 'dark' ? 'light' : 'dark';
    localStorage.setItem('aw.theme', next);
    setTheme(next);
  };

  if (!token || loc.path === '/login') {
    return <LoginPage query={loc.query} onDone={() => navigate(loc.query.get('next') ?? '/', true)} />;
  }
  return <Authed path={loc.path} theme={theme} onTheme={toggle} />;
}

function Authed({ path, theme, onTheme }: { path: string; theme: string; onTheme(): void }) {
  const me = useResource<Me>('/api/v1/me');
  if (!me.data) {
    return <div class="page">{me.error ? <ErrorNote error={me.error as ApiError} retry={me.reload} /> : <Loading what="Signing in" />}</div>;
  }
  return (
    <Layout path={path} who={me.data.name} theme={theme} onTheme={onTheme}>
      <Page path={path} me={me.data} />
    </Layout>
  );
}

document.documentElement.dataset.theme = initialTheme();
render(<App />, document.getElementById('app')!);
