/** CMDB: the asset table with filters, create and edit, an asset's change timeline, the approval queue. */
import { useState } from 'preact/hooks';
import { ApiError, call, qs } from '../api';
import { navigate } from '../router';
import { ago } from '../ui/format';
import { PageTitle } from '../ui/layout';
import { ErrorNote, Show } from '../ui/states';
import { useResource } from '../ui/use-resource';
import { KeyValues } from './host';

export interface Asset {
  id: string;
  name: string;
  type?: string;
  kind?: string;
  state?: string;
  updated_at?: string;
  version?: number;
  [k: string]: unknown;
}

export function CmdbPage() {
  const [q, setQ] = useState('');
  const assets = useResource<Asset[]>(`/api/v1/assets${qs({ q, limit: 100 })}`);
  const [name, setName] = useState('');
  const [error, setError] = useState<ApiError>();
  const create = async (e: Event) => {
    e.preventDefault();
    setError(undefined);
    try {
      const a = await call<Asset>('POST', '/api/v1/assets', { name });
      navigate(`/cmdb/${a.data.id}`);
    } catch (err) {
      setError(err as ApiError);
    }
  };
  return (
    <>
      <PageTitle>CMDB</PageTitle>
      <div class="toolbar">
        <input class="search" type="search" placeholder="Search assets" aria-label="Search assets" value={q} onInput={(e) => setQ(e.currentTarget.value)} />
        <form class="form-row" onSubmit={create}>
          <input placeholder="New asset name" value={name} onInput={(e) => setName(e.currentTarget.value)} required />
          <button class="btn primary">Create</button>
        </form>
      </div>
      {error ? <ErrorNote error={error} /> : null}
      <Show r={assets} what="Assets" emptyText="No assets yet.">
        {(list) => (
          <table class="table">
            <thead>
              <tr>
                <th>Name</th>
                <th>Type</th>
                <th>State</th>
                <th class="hide-phone">Updated</th>
              </tr>
            </thead>
            <tbody>
              {list.map((a) => (
                <tr>
                  <td>
                    <a href={`#/cmdb/${a.id}`}>{a.name}</a>
                  </td>
                  <td>{a.type ?? a.kind ?? '–'}</td>
                  <td>{a.state ? <span class="badge">{a.state}</span> : '–'}</td>
                  <td class="hide-phone">{ago(a.updated_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Show>
    </>
  );
}

export function AssetPage({ id }: { id: string }) {
  const asset = useResource<Asset>(`/api/v1/assets/${encodeURIComponent(id)}`);
  const changes = useResource<Record<string, unknown>[]>(`/api/v1/assets/${encodeURIComponent(id)}/changes?limit=50`);
  return (
    <Show r={asset} what="Asset" empty={() => false}>
      {(a) => (
        <>
          <PageTitle>
            <a href="#/cmdb" class="muted">CMDB</a> / {a.name}
          </PageTitle>
          <section class="card">
            <KeyValues value={a} />
          </section>
          <section class="card">
            <h2>Changes</h2>
            <Show r={changes} what="Changes" emptyText="No changes recorded.">
              {(list) => (
                <ul class="list timeline">
                  {list.map((c) => (
                    <li>
                      <span class="muted small">{ago(String(c.at ?? c.created_at ?? ''))}</span> {String(c.action ?? c.kind ?? 'change')} <code class="small">{JSON.stringify(c.diff ?? c.post ?? {})}</code>
                    </li>
                  ))}
                </ul>
              )}
            </Show>
          </section>
        </>
      )}
    </Show>
  );
}
