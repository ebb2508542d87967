/**
 * CMDB: the asset table (search, type and state filters), create; an asset's page with its fields
 * (edited with If-Match, so two people cannot overwrite each other), lifecycle moves, components
 * (custom fields of its type, tags, warranty, rack position) and the change timeline; the approval
 * queue of agents and inventory; the asset types with their history (asset-types.tsx).
 */
import { useState } from 'preact/hooks';
import { type ApiError, RawBody, call, download, qs } from '../api';
import { navigate, useLocation } from '../router';
import { ago, bytes, when } from '../ui/format';
import { PageTitle } from '../ui/layout';
import { LoadMore, usePagedList } from '../ui/paged-list';
import { ErrorNote, Show } from '../ui/states';
import { useResource } from '../ui/use-resource';
import { AssetTypes } from './asset-types';
import { EditChange, changeHeader } from './change-picker';
import { groupChanges, type ChangeRecordView } from './change-groups';

export interface Asset {
  id: string;
  tag: string;
  state: string;
  type: string;
  name: string;
  hostname: string | null;
  vendor: string | null;
  model: string | null;
  serial: string | null;
  owner: string | null;
  idc: string | null;
  rack: string | null;
  business_unit: string | null;
  updated_at: string;
  version: number;
  [k: string]: unknown;
}

const STATES = ['procured', 'in_stock', 'online', 'maintenance', 'offline', 'retired', 'disposed'];
/** The lifecycle (docs/cmdb.md); the server checks it again and answers 409 to anything else. */
const NEXT: Record<string, string[]> = {
  procured: ['in_stock', 'retired'],
  in_stock: ['online', 'maintenance', 'retired'],
  online: ['maintenance', 'offline'],
  maintenance: ['online', 'offline', 'in_stock', 'retired'],
  offline: ['online', 'maintenance', 'in_stock', 'retired'],
  retired: ['disposed'],
  disposed: [],
};
/** Fields a person edits on the asset page: text, numbers, dates (YYYY-MM-DD). */
const EDITABLE = ['name', 'hostname', 'vendor', 'model', 'serial', 'owner', 'business_unit', 'idc', 'rack', 'supplier', 'contract'] as const;
const NUMBERS = ['rack_unit'] as const;
const DATES = ['purchase_date', 'warranty_until'] as const;

const show = (v: unknown) => (v === null || v === undefined || v === '' ? '–' : typeof v === 'object' ? JSON.stringify(v) : String(v));

export function CmdbPage() {
  const loc = useLocation();
  const asked = loc.query.get('tab');
  const tab = asked === 'approvals' || asked === 'types' ? asked : 'assets';
  return (
    <>
      <PageTitle>CMDB</PageTitle>
      <div class="tabs" role="tablist">
        <button role="tab" aria-selected={tab === 'assets'} class={tab === 'assets' ? 'active' : ''} onClick={() => navigate('/cmdb', true)}>
          Assets
        </button>
        <button
          role="tab"
          aria-selected={tab === 'approvals'}
          class={tab === 'approvals' ? 'active' : ''}
          onClick={() => navigate('/cmdb?tab=approvals', true)}
        >
          Approval queue
        </button>
        <button role="tab" aria-selected={tab === 'types'} class={tab === 'types' ? 'active' : ''} onClick={() => navigate('/cmdb?tab=types', true)}>
          Asset types
        </button>
      </div>
      {tab === 'assets' ? <Assets /> : tab === 'approvals' ? <Approvals /> : <AssetTypes />}
    </>
  );
}

function Assets() {
  const [q, setQ] = useState('');
  const [type, setType] = useState('');
  const [state, setState] = useState('');
  const types = useResource<{ name: string; label: string }[]>('/api/v1/asset-types');
  const assets = usePagedList<Asset>(`/api/v1/assets${qs({ q, type, state, limit: 100, sort: '-updated_at' })}`);
  const [name, setName] = useState('');
  const [newType, setNewType] = useState('server');
  const [change, setChange] = useState('');
  const [error, setError] = useState<ApiError>();
  const create = async (e: Event) => {
    e.preventDefault();
    setError(undefined);
    try {
      const a = await call<Asset>('POST', '/api/v1/assets', { name, type: newType }, changeHeader(change));
      navigate(`/cmdb/${a.data.id}`);
    } catch (err) {
      setError(err as ApiError);
    }
  };
  return (
    <>
      <form class="card" onSubmit={create} data-testid="asset-create">
        <EditChange kind="asset" value={change} onChange={setChange} />
        <div class="form-row">
          <input placeholder="New asset name" aria-label="New asset name" value={name} onInput={(e) => setName(e.currentTarget.value)} required />
          <select aria-label="New asset type" value={newType} onChange={(e) => setNewType(e.currentTarget.value)}>
            {(types.data ?? [{ name: 'server', label: 'Server' }]).map((t) => (
              <option value={t.name}>{t.label}</option>
            ))}
          </select>
          <button class="btn primary">Create asset</button>
        </div>
      </form>
      {error ? <ErrorNote error={error} /> : null}
      <CsvTransfer filters={{ q, type, state }} onImported={assets.reload} />
      <div class="toolbar">
        <input
          class="search"
          type="search"
          placeholder="Search name, tag, serial, hostname, IP, MAC"
          aria-label="Search assets"
          value={q}
          onInput={(e) => setQ(e.currentTarget.value)}
        />
        <select aria-label="Type" value={type} onChange={(e) => setType(e.currentTarget.value)}>
          <option value="">Any type</option>
          {(types.data ?? []).map((t) => (
            <option value={t.name}>{t.label}</option>
          ))}
        </select>
        <select aria-label="State" value={state} onChange={(e) => setState(e.currentTarget.value)}>
          <option value="">Any state</option>
          {STATES.map((s) => (
            <option value={s}>{s.replace('_', ' ')}</option>
          ))}
        </select>
        <span class="muted small">{assets.meta.total !== undefined ? `${assets.meta.total} asset(s)` : ''}</span>
      </div>
      <Show r={assets} what="Assets" emptyText={q || type || state ? 'No asset matches.' : 'No assets yet: agents report their machines, or create one above.'}>
        {(list) => (
          <>
            <table class="table" data-testid="assets-table">
              <thead>
                <tr>
                  <th>Tag</th>
                  <th>Name</th>
                  <th class="hide-phone">Type</th>
                  <th>State</th>
                  <th class="hide-phone">Updated</th>
                </tr>
              </thead>
              <tbody>
                {list.map((a) => (
                  <tr>
                    <td>
                      <a href={`#/cmdb/${a.id}`}>{a.tag}</a>
                    </td>
                    <td>{a.name}</td>
                    <td class="hide-phone">{a.type}</td>
                    <td>
                      <span class="badge">{a.state.replace('_', ' ')}</span>
                    </td>
                    <td class="hide-phone">{ago(a.updated_at)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            <LoadMore list={assets} what="assets" />
          </>
        )}
      </Show>
    </>
  );
}

interface RowError {
  row: number;
  column?: string;
  message: string;
}

/**
 * CSV in and out. Import is all or nothing on the server: a file with any bad row imports nothing
 * and the answer lists every row's problem, shown here as a table to fix the file by. Export takes
 * the list's filters; it is fetched with the session token (a plain link would carry none).
 */
function CsvTransfer({ filters, onImported }: { filters: Record<string, string>; onImported: () => void }) {
  const [file, setFile] = useState<File | null>(null);
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState<{ created: number; updated: number }>();
  const [error, setError] = useState<ApiError>();
  const importCsv = async (e: Event) => {
    e.preventDefault();
    if (!file) return;
    const form = e.currentTarget as HTMLFormElement;
    setBusy(true);
    setDone(undefined);
    setError(undefined);
    try {
      const a = await call<{ created: number; updated: number }>('POST', '/api/v1/assets/import', new RawBody(file, 'text/csv'));
      setDone(a.data);
      form.reset();
      setFile(null);
      onImported();
    } catch (err) {
      setError(err as ApiError);
    } finally {
      setBusy(false);
    }
  };
  const exportCsv = async () => {
    setError(undefined);
    try {
      await download(`/api/v1/assets/export${qs(filters)}`, 'assets.csv');
    } catch (err) {
      setError(err as ApiError);
    }
  };
  const rowErrors = (error?.details?.errors ?? []) as RowError[];
  return (
    <section class="card" data-testid="asset-csv">
      <form class="form-row" onSubmit={importCsv}>
        <label class="inline file-pick">
          Import CSV
          <input type="file" accept=".csv,text/csv" aria-label="CSV file" onChange={(e) => setFile(e.currentTarget.files?.[0] ?? null)} required />
        </label>
        <button class="btn primary" disabled={busy || !file}>
          {busy ? 'Importing…' : 'Import'}
        </button>
        <span class="muted small">Columns as the export writes them; any bad row imports nothing.</span>
        <button type="button" class="btn" onClick={exportCsv} data-testid="asset-export">
          Export CSV
        </button>
      </form>
      {done ? (
        <p class="ok-text import-result" data-testid="import-done">
          Imported {done.created + done.updated} asset(s): {done.created} created, {done.updated} updated.
        </p>
      ) : null}
      {error ? (
        <div class="import-result" data-testid="import-errors">
          <ErrorNote error={error} />
          {rowErrors.length ? (
            <>
              <p>
                <strong>Nothing was imported.</strong> Fix these rows and import the file again:
              </p>
              <table class="table">
                <thead>
                  <tr>
                    <th>Line</th>
                    <th>Column</th>
                    <th>Problem</th>
                  </tr>
                </thead>
                <tbody>
                  {rowErrors.map((r) => (
                    <tr data-row={r.row}>
                      <td>{r.row}</td>
                      <td>{r.column ?? '–'}</td>
                      <td>{r.message}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </>
          ) : null}
        </div>
      ) : null}
    </section>
  );
}

/** A component attribute as people read it: sizes in bytes as GiB/TiB, speeds with their unit. */
export function attrText(k: string, v: unknown): string {
  const name = k.replace(/_/g, ' ');
  if (typeof v === 'number' && /bytes|size/.test(k)) return `${name.replace(/ bytes$/, '')}: ${bytes(v)}`;
  return `${name}: ${v}`;
}

/** An asset's components (CPUs, memory, disks, NICs …), a few attributes each. */
export function AssetComponents({ assetId }: { assetId: string }) {
  const parts = useResource<{ kind: string; slot: string; attrs: Record<string, unknown> }[]>(`/api/v1/assets/${encodeURIComponent(assetId)}/components`);
  return (
    <Show r={parts} what="Components" emptyText="No components recorded.">
      {(list) => (
        <ul class="list">
          {list.map((c) => (
            <li>
              <b>{c.kind}</b> <span class="muted small">{c.slot}</span>{' '}
              <span class="small">
                {Object.entries(c.attrs)
                  .filter(([, v]) => typeof v !== 'object')
                  .slice(0, 4)
                  .map(([k, v]) => attrText(k, v))
                  .join(' · ')}
              </span>
            </li>
          ))}
        </ul>
      )}
    </Show>
  );
}

export function AssetPage({ id }: { id: string }) {
  const asset = useResource<Asset>(`/api/v1/assets/${encodeURIComponent(id)}`);
  // One change request for every edit on the page: fields and lifecycle moves alike.
  const [change, setChange] = useState('');
  const changes = usePagedList<ChangeRecordView>(`/api/v1/assets/${encodeURIComponent(id)}/changes?order=desc&limit=100`);
  const refresh = () => {
    asset.reload();
    changes.reload();
  };
  return (
    <Show r={asset} what="Asset" empty={() => false}>
      {(a) => (
        <>
          <PageTitle>
            <a href="#/cmdb" class="muted">
              CMDB
            </a>{' '}
            / {a.tag} · {a.name}
          </PageTitle>
          <section class="card">
            <EditChange kind="asset" value={change} onChange={setChange} assetId={a.id} />
          </section>
          <div class="grid2">
            <AssetFields a={a} change={change} onSaved={refresh} />
            <section class="card">
              <h2>Lifecycle</h2>
              <p>
                State{' '}
                <span class="badge" data-testid="asset-state">
                  {a.state.replace('_', ' ')}
                </span>
              </p>
              <Transition a={a} change={change} onDone={refresh} />
              <h2 style="margin-top:16px">Components</h2>
              <AssetComponents assetId={id} />
            </section>
          </div>
          {/* Keyed by version: an edit under a change adds that change here. */}
          <AssetChangeRequests key={a.version} assetId={id} />
          <section class="card">
            <h2>Change timeline</h2>
            <Show r={changes} what="Changes" emptyText="No changes recorded.">
              {(list) => (
                <>
                  <ul class="list timeline" data-testid="asset-timeline">
                    {groupChanges(list).map((c) => (
                      <li key={c.id} data-action={c.action}>
                        <span class="muted small" title={when(c.at)}>
                          {ago(c.at)}
                        </span>{' '}
                        <span class="badge">{c.action}</span> {c.action === 'create' ? 'created: ' : null}
                        {c.fields.map((f, i) => (
                          <span class="change-field">
                            {i ? ' · ' : null}
                            <b>{f.field}</b>{' '}
                            {c.action === 'create' ? (
                              show(f.new_value)
                            ) : (
                              <>
                                {show(f.old_value)} → {show(f.new_value)}
                              </>
                            )}
                          </span>
                        ))}
                        <span class="muted small">
                          {' '}
                          · {c.actor_kind} {c.source !== 'api' ? `· ${c.source}` : ''}
                          {c.reason ? ` · “${c.reason}”` : ''}
                        </span>
                      </li>
                    ))}
                  </ul>
                  <LoadMore list={changes} what="changes" />
                </>
              )}
            </Show>
          </section>
        </>
      )}
    </Show>
  );
}

interface AssetChangeRequest {
  id: string;
  title: string;
  state: string;
  outcome: string | null;
  window_start: string;
  window_end: string;
  requested_by: string;
}

/** The change requests that name this asset or under which it was edited (docs/itil.md). */
function AssetChangeRequests({ assetId }: { assetId: string }) {
  const r = useResource<AssetChangeRequest[]>(`/api/v1/assets/${encodeURIComponent(assetId)}/change-requests`);
  return (
    <section class="card">
      <h2>Change requests</h2>
      <Show r={r} what="Change requests" emptyText="No change request names this asset or touched it.">
        {(rows) => (
          <ul class="list" data-testid="asset-change-requests">
            {rows.map((c) => (
              <li data-id={c.id}>
                <a href={`#/itil?tab=changes&id=${c.id}`}>{c.title}</a> <span class="badge">{c.outcome ?? c.state}</span>{' '}
                <span class="muted small">
                  {when(c.window_start)} – {when(c.window_end)} · {c.requested_by}
                </span>
              </li>
            ))}
          </ul>
        )}
      </Show>
    </section>
  );
}

/** A custom field as the type's schema describes it: its JSON type picks the input and how the text is sent. */
interface FieldSpec {
  type?: string;
  title?: string;
  description?: string;
  enum?: string[];
}

/** The form's text as the API's value: "" clears the field (null), numbers and booleans as such. */
function customValue(text: string, spec: FieldSpec | undefined): unknown {
  if (text === '') return null;
  if (spec?.type === 'integer' || spec?.type === 'number') return Number(text);
  if (spec?.type === 'boolean') return text === 'true';
  return text;
}

function AssetFields({ a, change, onSaved }: { a: Asset; change: string; onSaved(): void }) {
  const type = useResource<{ fields_schema: { properties?: Record<string, FieldSpec> } }>(`/api/v1/asset-types/${encodeURIComponent(a.type)}`);
  const specs = type.data?.fields_schema?.properties ?? {};
  const custom = (a.custom ?? {}) as Record<string, unknown>;
  const customNames = [...new Set([...Object.keys(specs), ...Object.keys(custom)])];
  const [editing, setEditing] = useState(false);
  const [draft, setDraft] = useState<Record<string, string>>({});
  const [newField, setNewField] = useState({ name: '', value: '' });
  const [error, setError] = useState<ApiError>();
  const text = (v: unknown) => (v === null || v === undefined ? '' : Array.isArray(v) ? v.join(', ') : String(v));
  const start = () => {
    setDraft({
      ...Object.fromEntries([...EDITABLE, ...NUMBERS, ...DATES].map((f) => [f, text(a[f])])),
      tags: text(a.tags),
      ...Object.fromEntries(customNames.map((n) => [`custom.${n}`, text(custom[n])])),
    });
    setNewField({ name: '', value: '' });
    setEditing(true);
  };
  const save = async (e: Event) => {
    e.preventDefault();
    setError(undefined);
    const patch: Record<string, unknown> = {};
    for (const f of [...EDITABLE, ...DATES]) if (draft[f] !== text(a[f])) patch[f] = draft[f] === '' && f !== 'name' ? null : draft[f];
    for (const f of NUMBERS) if (draft[f] !== text(a[f])) patch[f] = draft[f] === '' ? null : Number(draft[f]);
    if (draft.tags !== text(a.tags))
      patch.tags = draft.tags
        .split(',')
        .map((t) => t.trim())
        .filter(Boolean);
    const nextCustom: Record<string, unknown> = { ...custom };
    let customChanged = false;
    for (const n of customNames) {
      if (draft[`custom.${n}`] === text(custom[n])) continue;
      const v = customValue(draft[`custom.${n}`], specs[n]);
      if (v === null) delete nextCustom[n];
      else nextCustom[n] = v;
      customChanged = true;
    }
    if (newField.name.trim()) {
      nextCustom[newField.name.trim()] = customValue(newField.value, specs[newField.name.trim()]);
      customChanged = true;
    }
    if (customChanged) patch.custom = nextCustom;
    try {
      if (Object.keys(patch).length) await call('PATCH', `/api/v1/assets/${a.id}`, patch, { 'if-match': `"${a.version}"`, ...changeHeader(change) });
      setEditing(false);
      onSaved();
    } catch (err) {
      setError(err as ApiError);
    }
  };
  const set = (k: string) => (e: Event) => setDraft({ ...draft, [k]: (e.currentTarget as HTMLInputElement).value });
  return (
    <section class="card">
      <h2>Fields</h2>
      {error ? <ErrorNote error={error} /> : null}
      {editing ? (
        <form onSubmit={save} class="edit-form" data-testid="asset-edit">
          {EDITABLE.map((f) => (
            <label>
              {f.replace('_', ' ')}
              <input name={f} required={f === 'name'} maxLength={f === 'hostname' ? 253 : 200} value={draft[f]} onInput={set(f)} />
            </label>
          ))}
          <label>
            rack unit
            <input name="rack_unit" type="number" min={0} max={100} value={draft.rack_unit} onInput={set('rack_unit')} />
          </label>
          {DATES.map((f) => (
            <label>
              {f.replace('_', ' ')}
              <input name={f} type="date" value={draft[f]} onInput={set(f)} />
            </label>
          ))}
          <label>
            tags (comma separated)
            <input name="tags" value={draft.tags} onInput={set('tags')} />
          </label>
          {customNames.map((n) => (
            // biome-ignore lint/a11y/noLabelWithoutControl: either branch below puts a select or an input in the label
            <label>
              {specs[n]?.title ?? n} <span class="muted small">custom</span>
              {specs[n]?.enum ? (
                <select name={`custom.${n}`} value={draft[`custom.${n}`]} onChange={set(`custom.${n}`)}>
                  <option value="">–</option>
                  {specs[n].enum!.map((o) => (
                    <option value={o}>{o}</option>
                  ))}
                </select>
              ) : (
                <input
                  name={`custom.${n}`}
                  type={(specs[n]?.type === 'integer' || specs[n]?.type === 'number' ? 'number' : 'text') as 'text'}
                  value={draft[`custom.${n}`]}
                  onInput={set(`custom.${n}`)}
                />
              )}
            </label>
          ))}
          <label>
            new custom field
            <input name="new_custom_name" placeholder="name" value={newField.name} onInput={(e) => setNewField({ ...newField, name: e.currentTarget.value })} />
          </label>
          <label>
            its value
            <input name="new_custom_value" value={newField.value} onInput={(e) => setNewField({ ...newField, value: e.currentTarget.value })} />
          </label>
          <div class="form-row">
            <button class="btn primary">Save</button>
            <button type="button" class="btn" onClick={() => setEditing(false)}>
              Cancel
            </button>
          </div>
        </form>
      ) : (
        <>
          <dl class="kv">
            {['type', ...EDITABLE, 'rack_unit', ...DATES, 'os_name', 'os_version', 'arch'].map((f) => (
              <>
                <dt>{f.replace('_', ' ')}</dt>
                <dd data-field={f}>{show(a[f])}</dd>
              </>
            ))}
            <dt>memory</dt>
            <dd data-field="memory_bytes">{typeof a.memory_bytes === 'number' ? bytes(a.memory_bytes) : '–'}</dd>
            <dt>tags</dt>
            <dd data-field="tags">{(a.tags as string[] | undefined)?.length ? (a.tags as string[]).map((t) => <span class="badge tag">{t}</span>) : '–'}</dd>
            {customNames.map((n) => (
              <>
                <dt>{specs[n]?.title ?? n}</dt>
                <dd data-field={`custom.${n}`}>{show(custom[n])}</dd>
              </>
            ))}
          </dl>
          <button class="btn small" onClick={start} style="margin-top:10px">
            Edit
          </button>
        </>
      )}
    </section>
  );
}

function Transition({ a, change, onDone }: { a: Asset; change: string; onDone(): void }) {
  const [to, setTo] = useState('');
  const [reason, setReason] = useState('');
  const [error, setError] = useState<ApiError>();
  const next = NEXT[a.state] ?? [];
  if (!next.length) return <p class="muted">This asset is at the end of its life; only its history remains.</p>;
  const go = async (e: Event) => {
    e.preventDefault();
    setError(undefined);
    try {
      await call('POST', `/api/v1/assets/${a.id}/transitions`, { to, reason }, { 'if-match': `"${a.version}"`, ...changeHeader(change) });
      setTo('');
      setReason('');
      onDone();
    } catch (err) {
      setError(err as ApiError);
    }
  };
  return (
    <form class="form-row" onSubmit={go}>
      <select aria-label="Move to" value={to} onChange={(e) => setTo(e.currentTarget.value)} required>
        <option value="">Move to…</option>
        {next.map((s) => (
          <option value={s}>{s.replace('_', ' ')}</option>
        ))}
      </select>
      <input placeholder="Reason" aria-label="Reason" value={reason} onInput={(e) => setReason(e.currentTarget.value)} required />
      <button class="btn">Move</button>
      {error ? <ErrorNote error={error} /> : null}
    </form>
  );
}

interface Approval {
  id: string;
  host_id: string | null;
  hostname: string;
  serial: string | null;
  match_note: string;
  reports: number;
  created_at: string;
  version: number;
}

interface PendingAgent {
  id: string;
  host_id: string;
  hostname: string;
  os: string | null;
  version: string;
  enrolled_at: string;
}

/**
 * One queue for everything waiting on a person: agents that enrolled without auto-approve (their
 * metrics are refused until approved) and machines whose inventory matched no asset.
 */
function Approvals() {
  const agents = usePagedList<PendingAgent>('/api/v1/agents?state=pending&limit=100', { pollMs: 15_000 });
  const r = usePagedList<Approval>('/api/v1/approvals?state=pending&limit=100', { pollMs: 15_000 });
  const [error, setError] = useState<ApiError>();
  const decide = async (p: Approval, what: 'approve' | 'reject') => {
    setError(undefined);
    try {
      await call('POST', `/api/v1/approvals/${p.id}/${what}`, what === 'reject' ? { reason: 'rejected from the dashboard' } : {}, {
        'if-match': `"${p.version}"`,
      });
      r.reload();
    } catch (err) {
      setError(err as ApiError);
    }
  };
  const decideAgent = async (a: PendingAgent, what: 'approve' | 'revoke') => {
    if (what === 'revoke' && !confirm(`Refuse agent ${a.hostname}? It is disconnected and refused from now on.`)) return;
    setError(undefined);
    try {
      await call('POST', `/api/v1/agents/${a.id}/${what}`);
      agents.reload();
      r.reload();
    } catch (err) {
      setError(err as ApiError);
    }
  };
  return (
    <>
      {error ? <ErrorNote error={error} /> : null}
      <section class="card">
        <h2>Agents</h2>
        <p class="muted small">Agents that enrolled without auto-approve: their metrics are refused until approved.</p>
        <Show r={agents} what="Pending agents" emptyText="No agent waits for approval.">
          {(list) => (
            <>
              <ul class="list" data-testid="pending-agents">
                {list.map((a) => (
                  <li data-agent={a.hostname}>
                    <a href={`#/hosts/${a.host_id}`}>
                      <b>{a.hostname}</b>
                    </a>{' '}
                    <span class="muted small">
                      {a.os ?? ''} · agent {a.version} · enrolled {ago(a.enrolled_at)}
                    </span>
                    <div class="form-row" style="margin-top:6px">
                      <button class="btn primary small" onClick={() => decideAgent(a, 'approve')}>
                        Approve agent
                      </button>
                      <button class="btn small danger" onClick={() => decideAgent(a, 'revoke')}>
                        Refuse
                      </button>
                    </div>
                  </li>
                ))}
              </ul>
              <LoadMore list={agents} what="agents" />
            </>
          )}
        </Show>
      </section>
      <section class="card">
        <h2>Inventory</h2>
        <p class="muted small">Machines whose inventory matched no asset wait here: approve to make an asset of each.</p>
        <Show r={r} what="Approvals" emptyText="No inventory waits for approval.">
          {(list) => (
            <>
              <ul class="list" data-testid="pending-inventory">
                {list.map((p) => (
                  <li data-approval={p.hostname}>
                    {p.host_id ? (
                      <a href={`#/hosts/${p.host_id}`}>
                        <b>{p.hostname}</b>
                      </a>
                    ) : (
                      <b>{p.hostname}</b>
                    )}{' '}
                    <span class="muted small">
                      serial {p.serial ?? '–'}
                      {p.match_note ? ` · ${p.match_note}` : ''} · {p.reports} report(s) · {ago(p.created_at)}
                    </span>
                    <div class="form-row" style="margin-top:6px">
                      <button class="btn primary small" onClick={() => decide(p, 'approve')}>
                        Approve
                      </button>
                      <button class="btn small danger" onClick={() => decide(p, 'reject')}>
                        Reject
                      </button>
                    </div>
                  </li>
                ))}
              </ul>
              <LoadMore list={r} what="machines" />
            </>
          )}
        </Show>
      </section>
    </>
  );
}
