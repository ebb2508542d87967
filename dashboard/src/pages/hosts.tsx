/**
 * Hosts (the CMDB's host records, with their agents): search by name, filter by group and tag, a
 * page at a time in hostname order (the server pages by keyset, so 50,000 hosts load as fast as
 * 50). Online dots refresh every 10 s.
 */
import { useEffect, useState } from 'preact/hooks';
import { qs } from '../api';
import { navigate, useLocation } from '../router';
import { ago, count } from '../ui/format';
import { PageTitle } from '../ui/layout';
import { Show } from '../ui/states';
import { useResource } from '../ui/use-resource';
import { HostGroups } from './host-groups';

export interface Host {
  id: string;
  hostname: string;
  tags: string[];
  description: string;
  os: string | null;
  agent_id: string | null;
  agent_state: string | null;
  agent_version: string | null;
  /** Its agent runs another version than the one this server serves. */
  agent_outdated: boolean;
  online: boolean;
  last_seen_at: string | null;
  asset_id: string | null;
  asset_tag: string | null;
  version: number;
}

interface HostGroup {
  id: string;
  name: string;
}

const PAGE = 50;

export function OnlineDot({ online, state }: { online: boolean; state: string | null }) {
  const label = state === 'revoked' ? 'revoked' : online ? 'online' : state ? 'offline' : 'no agent';
  return (
    <span class={`dot ${label === 'online' || label === 'revoked' ? label : ''}`} title={label} role="img" aria-label={label} data-online={String(online)} />
  );
}

export function HostsPage() {
  const loc = useLocation();
  const groupsView = loc.query.get('view') === 'groups';
  return (
    <>
      <PageTitle>Hosts</PageTitle>
      <div class="tabs" role="tablist">
        <button role="tab" data-tab="hosts" aria-selected={!groupsView} class={groupsView ? '' : 'active'} onClick={() => navigate('/hosts', true)}>
          Hosts
        </button>
        <button role="tab" data-tab="groups" aria-selected={groupsView} class={groupsView ? 'active' : ''} onClick={() => navigate('/hosts?view=groups', true)}>
          Groups
        </button>
      </div>
      {groupsView ? <HostGroups /> : <HostList />}
    </>
  );
}

function HostList() {
  const loc = useLocation();
  const q = loc.query.get('q') ?? '';
  const group = loc.query.get('group') ?? '';
  const tag = loc.query.get('tag') ?? '';
  const [typed, setTyped] = useState(q);
  const [cursors, setCursors] = useState<string[]>([]);
  const cursor = cursors[cursors.length - 1];
  const go = (p: Record<string, string>) => navigate(`/hosts${qs({ q, group, tag, ...p })}`, true);

  // The search goes in the address (shareable, survives reload) a moment after typing stops.
  useEffect(() => {
    if (typed === q) return;
    const t = setTimeout(() => go({ q: typed }), 250);
    return () => clearTimeout(t);
  }, [typed]);
  useEffect(() => setCursors([]), [q, group, tag]);

  const groups = useResource<HostGroup[]>('/api/v1/host-groups?limit=200');
  const hosts = useResource<Host[]>(`/api/v1/hosts${qs({ limit: PAGE, q, group_id: group, tag, cursor })}`, { pollMs: 10_000 });
  const first = cursors.length * PAGE;

  return (
    <>
      <div class="toolbar">
        <input
          class="search"
          type="search"
          placeholder="Search hostnames"
          aria-label="Search hostnames"
          value={typed}
          onInput={(e) => setTyped(e.currentTarget.value)}
        />
        <select aria-label="Host group" value={group} onChange={(e) => go({ group: e.currentTarget.value })}>
          <option value="">All groups</option>
          {(groups.data ?? []).map((g) => (
            <option value={g.id}>{g.name}</option>
          ))}
        </select>
        {tag ? (
          <button class="btn small" onClick={() => go({ tag: '' })} title="Remove the tag filter">
            tag: {tag} ✕
          </button>
        ) : null}
      </div>
      <Show
        r={hosts}
        what="Hosts"
        emptyText={q || group || tag ? 'No host matches.' : 'No hosts yet. Make an enrollment token in Settings and install an agent.'}
      >
        {(list) => (
          <>
            <table class="table" data-testid="hosts-table">
              <thead>
                <tr>
                  <th>Host</th>
                  <th>Tags</th>
                  <th class="hide-phone">OS</th>
                  <th class="hide-phone">Agent</th>
                  <th>Last seen</th>
                </tr>
              </thead>
              <tbody>
                {list.map((h) => (
                  <tr>
                    <td>
                      <OnlineDot online={h.online} state={h.agent_state} /> <a href={`#/hosts/${h.id}`}>{h.hostname}</a>
                      {h.agent_state === 'pending' ? <span class="badge pending"> pending</span> : null}
                    </td>
                    <td>
                      {h.tags.map((t) => (
                        <a class="badge tag" href={`#/hosts${qs({ q, group, tag: t })}`}>
                          {t}
                        </a>
                      ))}
                    </td>
                    <td class="hide-phone">{h.os || '–'}</td>
                    <td class="hide-phone" data-testid="agent-version">
                      {h.agent_version ?? '–'}
                      {h.agent_outdated ? (
                        <span class="badge warn" title="Not the version this server serves: an agent-upgrade task brings it">
                          {' '}
                          outdated
                        </span>
                      ) : null}
                    </td>
                    <td>{h.online ? 'now' : ago(h.last_seen_at)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            <div class="pager">
              <button class="btn small" disabled={!cursors.length} onClick={() => setCursors(cursors.slice(0, -1))}>
                ← Previous
              </button>
              <span class="muted small" data-testid="hosts-range">
                {count(first + 1)}–{count(first + list.length)}
              </span>
              <button class="btn small" disabled={!hosts.meta.next_cursor} onClick={() => setCursors([...cursors, hosts.meta.next_cursor!])}>
                Next →
              </button>
            </div>
          </>
        )}
      </Show>
    </>
  );
}
