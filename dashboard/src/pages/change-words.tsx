/**
 * Recent changes in words: an audit record (method, route template, path params, actor) as a
 * sentence — "alice linked template web to db-01" — with links to what it changed. One table maps
 * route templates to sentences; reads, failed calls and logins are not changes and are left out.
 * Names are read once per id (a module cache), so a list of ten changes costs a few small reads.
 */
import { useEffect, useState } from 'preact/hooks';
import { ApiError, get } from '../api';

export interface AuditEntry {
  id: number;
  at: string;
  actor_name: string | null;
  actor_kind: string;
  method: string;
  route: string | null;
  path: string;
  status: number;
  resource: Record<string, string>;
  detail: Record<string, unknown>;
}

/** What an id names and how to read its name. */
type Kind = 'host' | 'template' | 'group' | 'asset' | 'channel' | 'incident' | 'user' | 'agent' | 'task';

const READ: Record<Kind, [(id: string) => string, (d: any) => string, (id: string) => string]> = {
  host: [(id) => `/api/v1/hosts/${id}`, (d) => d.hostname, (id) => `#/hosts/${id}`],
  template: [(id) => `/api/v1/templates/${id}`, (d) => d.name, () => '#/monitoring'],
  group: [(id) => `/api/v1/host-groups/${id}`, (d) => d.name, () => '#/hosts?view=groups'],
  asset: [(id) => `/api/v1/assets/${id}`, (d) => `${d.tag} ${d.name}`, (id) => `#/cmdb/${id}`],
  channel: [(id) => `/api/v1/notification-channels/${id}`, (d) => d.name, () => '#/monitoring'],
  incident: [(id) => `/api/v1/incidents/${id}`, (d) => d.incident?.title ?? d.title, () => '#/monitoring'],
  user: [(id) => `/api/v1/users/${id}`, (d) => d.username, () => '#/settings'],
  agent: [(id) => `/api/v1/agents/${id}`, (d) => d.hostname, () => '#/hosts'],
  task: [(id) => `/api/v1/tasks/${id}`, (d) => d.name || d.id.slice(0, 8), (id) => `#/tasks?task=${id}`],
};

/** A sentence: words, and references to things by kind and path param. */
type Part = string | [Kind, string];

/** `METHOD route template` → what happened. The first param a reference names is taken from the record's resource. */
export const SENTENCES: Record<string, Part[]> = {
  'PUT /api/v1/templates/:id/hosts/:host_id': ['linked template', ['template', 'id'], 'to', ['host', 'host_id']],
  'DELETE /api/v1/templates/:id/hosts/:host_id': ['unlinked template', ['template', 'id'], 'from', ['host', 'host_id']],
  'PUT /api/v1/templates/:id/host-groups/:group_id': ['linked template', ['template', 'id'], 'to group', ['group', 'group_id']],
  'DELETE /api/v1/templates/:id/host-groups/:group_id': ['unlinked template', ['template', 'id'], 'from group', ['group', 'group_id']],
  'POST /api/v1/templates': ['made template', ['template', 'template_id']],
  'PUT /api/v1/templates/:id': ['changed template', ['template', 'id']],
  'DELETE /api/v1/templates/:id': ['deleted a template'],
  'POST /api/v1/host-groups': ['made host group', ['group', 'group_id']],
  'PATCH /api/v1/host-groups/:id': ['changed host group', ['group', 'id']],
  'DELETE /api/v1/host-groups/:id': ['deleted a host group'],
  'POST /api/v1/hosts': ['added host', ['host', 'host_id']],
  'PATCH /api/v1/hosts/:id': ['changed host', ['host', 'id']],
  'POST /api/v1/agents/:id/approve': ['approved the agent of', ['agent', 'id']],
  'POST /api/v1/agents/:id/revoke': ['revoked the agent of', ['agent', 'id']],
  'POST /api/v1/enrollment-tokens': ['made an enrollment token'],
  'POST /api/v1/assets': ['registered asset', ['asset', 'asset_id']],
  'PATCH /api/v1/assets/:id': ['edited asset', ['asset', 'id']],
  'PUT /api/v1/assets/:id': ['edited asset', ['asset', 'id']],
  'DELETE /api/v1/assets/:id': ['deleted an asset'],
  'POST /api/v1/assets/:id/transitions': ['moved asset', ['asset', 'id'], 'along its lifecycle'],
  'POST /api/v1/assets/import': ['imported assets from CSV'],
  'POST /api/v1/approvals/:id/approve': ['approved a machine’s inventory'],
  'POST /api/v1/approvals/:id/reject': ['rejected a machine’s inventory'],
  'POST /api/v1/problems/:id/acknowledge': ['acknowledged a problem'],
  'POST /api/v1/incidents/:id/transitions': ['moved incident', ['incident', 'id']],
  'POST /api/v1/incidents/:id/comments': ['commented on incident', ['incident', 'id']],
  'POST /api/v1/notification-channels': ['added channel', ['channel', 'channel_id']],
  'PATCH /api/v1/notification-channels/:id': ['changed channel', ['channel', 'id']],
  'DELETE /api/v1/notification-channels/:id': ['removed a notification channel'],
  'POST /api/v1/notification-channels/:id/test': ['sent a test through channel', ['channel', 'id']],
  'POST /api/v1/maintenance-windows': ['added a maintenance window'],
  'DELETE /api/v1/maintenance-windows/:id': ['ended a maintenance window'],
  'POST /api/v1/tasks': ['ran task', ['task', 'task_id']],
  'POST /api/v1/tasks/:id/cancel': ['cancelled task', ['task', 'id']],
  'POST /api/v1/users': ['added user', ['user', 'user_id']],
  'PATCH /api/v1/users/:id': ['changed user', ['user', 'id']],
  'POST /api/v1/api-keys': ['made an API key'],
  'DELETE /api/v1/api-keys/:id': ['revoked an API key'],
  // What agents report over their WebSocket that changes records (route: the event's name).
  'WS agent.identity_changed': ['of', ['agent', 'agent_id'], 'reported a new hostname or OS'],
};

/** Writes that are not changes of the fleet: logging in and out, your own password, probes. */
const NOT_CHANGES = new Set([
  'POST /api/v1/sessions',
  'POST /api/v1/sessions/one-time',
  'DELETE /api/v1/session',
  'PUT /api/v1/me/password',
  'POST /api/v1/hosts/resolve',
  'POST /api/v1/agents/enroll',
]);

export const isChange = (e: AuditEntry): boolean =>
  e.method !== 'GET' && e.method !== 'HEAD' && e.status < 400 && !!e.route && !NOT_CHANGES.has(`${e.method} ${e.route}`) && !e.route.startsWith('/prometheus');

/** The sentence of a change; a route missing from the table still reads as words: "changed release". */
export function sentenceOf(e: AuditEntry): Part[] {
  const known = SENTENCES[`${e.method} ${e.route}`];
  if (known) return known;
  if (e.method === 'WS') return [`reported ${(e.route ?? 'an event').replace(/^agent\./, '').replace(/[._]/g, ' ')}`];
  const noun = (e.route ?? e.path)
    .replace('/api/v1/', '')
    .split('/')
    .filter((s) => !s.startsWith(':'));
  const what = noun.join(' ').replace(/-/g, ' ');
  const verb = e.method === 'POST' ? (noun.length > 1 ? 'did' : 'made a') : e.method === 'DELETE' ? 'deleted a' : 'changed a';
  return [`${verb} ${what.replace(/s$/, '')}`];
}

const names = new Map<string, Promise<string | null>>();

/**
 * The name of what an id names, asked once per id. A page of changes asks for many at once, so a
 * rate-limited answer (429) is asked again after a pause; a failure is not kept, so a later render asks again.
 */
function nameOf(kind: Kind, id: string): Promise<string | null> {
  const key = `${kind}:${id}`;
  let p = names.get(key);
  if (!p) {
    const ask = (attempt: number): Promise<string | null> =>
      get<any>(READ[kind][0](id)).then(
        (a) => READ[kind][1](a.data) ?? null,
        (err) => {
          if (err instanceof ApiError && err.status === 429 && attempt < 4)
            return new Promise((r) => setTimeout(r, 1000 * attempt)).then(() => ask(attempt + 1));
          names.delete(key);
          return null;
        },
      );
    p = ask(1);
    names.set(key, p);
  }
  return p;
}

function Named({ kind, id }: { kind: Kind; id: string }) {
  const [name, setName] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    nameOf(kind, id).then((n) => live && setName(n));
    return () => {
      live = false;
    };
  }, [kind, id]);
  return <a href={READ[kind][2](id)}>{name ?? id.slice(0, 8)}</a>;
}

export function ChangeSentence({ e }: { e: AuditEntry }) {
  const ids = { ...e.resource, ...Object.fromEntries(Object.entries(e.detail ?? {}).filter(([, v]) => typeof v === 'string')) } as Record<string, string>;
  const actor = e.actor_name ?? e.actor_kind;
  return (
    <span class="change-sentence" data-route={e.route}>
      <b>{actor}</b>
      {sentenceOf(e).map((part) => {
        if (typeof part === 'string') return ` ${part}`;
        const id = ids[part[1]];
        return id ? (
          <>
            {' '}
            <Named kind={part[0]} id={id} />
          </>
        ) : null;
      })}
    </span>
  );
}
