/**
 * Hosts: every enrolled agent's host, searched by name and filtered by state, a page at a time
 * (the server pages and counts, so 50,000 hosts load as fast as 50). Online dots refresh every 10 s.
 */
import { useEffect, useState } from 'preact/hooks';
import { qs } from '../api';
import { navigate, useLocation } from '../router';
import { ago, count } from '../ui/format';
import { PageTitle } from '../ui/layout';
import { Show } from '../ui/states';
import { useResource } from '../ui/use-resource';

export interface Agent {
  id: string;
  host_id: string;
  state: 'pending' | 'active' | 'revoked';
  online: boolean;
  hostname: string;
  version: string;
  os: string;
  enrolled_at: string;
  last_seen_at: string | null;
}

const PAGE = 50;

export function OnlineDot({ a }: { a: Pick<Agent, 'online' | 'state'> }) {
  const label = a.state === 'revoked' ? 'revoked' : a.online ? 'online' : 'offline';
  return <span class={`dot ${label}`} title={label} aria-label={label} data-online={String(a.online)} />;
}

export function HostsPage() {
  const loc = useLocation();
  const q = loc.query.get('q') ?? '';
  const state = loc.query.get('state') ?? '';
  const [typed, setTyped] = useState(q);
  const [cursors, setCursors] = useState<string[]>([]);
  const cursor = cursors[cursors.length - 1];

  // The search goes in the address (shareable, survives reload) a moment after typing stops.
  useEffect(() => {
    if (typed === q) return;
    const t = setTimeout(() => navigate(`/hosts${qs({ q: typed, state })}`, true), 250);
    return () => clearTimeout(t);
  }, [typed]);
  useEffect(() => setCursors([]), [q, state]);

  const agents = useResource<Agent[]>(`/api/v1/agents${qs({ sort: 'hostname', limit: PAGE, q, state, cursor })}`, { pollMs: 10_000 });
  const total = agents.meta.total;
  const first = cursors.length * PAGE;

  return (
    <>
      <PageTitle>Hosts</PageTitle>
      <div class="toolbar">
        <input class="search" type="search" placeholder="Search hostnames" aria-label="Search hostnames" value={typed} onInput={(e) => setTyped(e.currentTarget.value)} />
        <select aria-label="State" value={state} onChange={(e) => navigate(`/hosts${qs({ q, state: e.currentTarget.value })}`, true)}>
          <option value="">Any state</option>
          <option value="active">Active</option>
          <option value="pending">Pending approval</option>
          <option value="revoked">Revoked</option>
        </select>
        <span class="muted small" data-testid="hosts-total">
          {total === undefined ? '' : `${count(total)} host${total === 1 ? '' : 's'}`}
        </span>
      </div>
      <Show r={agents} what="Hosts" emptyText={q || state ? 'No host matches.' : 'No hosts yet. Make an enrollment token in Settings and install an agent.'}>
        {(list) => (
          <>
            <table class="table" data-testid="hosts-table">
              <thead>
                <tr>
                  <th>Host</th>
                  <th>State</th>
                  <th class="hide-phone">OS</th>
                  <th class="hide-phone">Agent</th>
                  <th>Last seen</th>
                </tr>
              </thead>
              <tbody>
                {list.map((a) => (
                  <tr>
                    <td>
                      <OnlineDot a={a} /> <a href={`#/hosts/${a.id}`}>{a.hostname}</a>
                    </td>
                    <td>
                      <span class={`badge ${a.state}`}>{a.state}</span>
                    </td>
                    <td class="hide-phone">{a.os || '–'}</td>
                    <td class="hide-phone">{a.version || '–'}</td>
                    <td>{a.online ? 'now' : ago(a.last_seen_at)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            <div class="pager">
              <button class="btn small" disabled={!cursors.length} onClick={() => setCursors(cursors.slice(0, -1))}>
                ← Previous
              </button>
              <span class="muted small">
                {count(first + 1)}–{count(first + list.length)}
                {total !== undefined ? ` of ${count(total)}` : ''}
              </span>
              <button class="btn small" disabled={!agents.meta.next_cursor} onClick={() => setCursors([...cursors, agents.meta.next_cursor!])}>
                Next →
              </button>
            </div>
          </>
        )}
      </Show>
    </>
  );
}
