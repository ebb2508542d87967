/**
 * Every scope a route can require, and what each role holds. `admin` holds every scope. API keys
 * carry a subset of their creator's scopes.
 */
export const SCOPES = {
  'agents:read': 'see agents and their state',
  'agents:write': 'approve and revoke agents, make enrollment tokens',
  'hosts:read': 'see hosts and host groups',
  'hosts:write': 'change hosts and host groups',
  'metrics:read': 'query metric history',
  'metrics:write': 'push metrics (Influx line protocol intake)',
  'cmdb:read': 'see assets, components and their history',
  'cmdb:write': 'create, change and retire assets; import',
  'cmdb:approve': 'approve or reject newly discovered assets',
  'monitor:read': 'see templates, triggers, problems and incidents',
  'monitor:write': 'change templates and triggers; acknowledge problems',
  'tasks:read': 'see tasks and their output',
  'tasks:run': 'run commands and push files on hosts',
  'tasks:approve': 'approve tasks that change control requires',
  'audit:read': 'read the audit log',
  'server:read': "scrape the server's own health at /metrics (Prometheus)",
  account: 'see yourself, change your password, end your session, manage your own API keys',
  admin: 'everything, including users and API keys',
} as const;

export type ScopeName = keyof typeof SCOPES;

const READ = Object.keys(SCOPES).filter((s) => s.endsWith(':read') && s !== 'audit:read') as ScopeName[];

export const ROLE_SCOPES: Record<'viewer' | 'operator' | 'admin', ReadonlySet<string>> = {
  viewer: new Set<string>([...READ, 'account']),
  operator: new Set<string>([...READ, 'account', 'hosts:write', 'metrics:write', 'cmdb:write', 'monitor:write', 'tasks:run']),
  admin: new Set(['admin']),
};

export type Role = keyof typeof ROLE_SCOPES;
