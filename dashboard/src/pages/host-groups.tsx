/**
 * Host groups: static members and dynamic rules (all must hold), made and edited here, each with
 * its members as the server resolves them (GET /api/v1/hosts?group_id=, rules included) so the
 * effect of a rule shows at once. Edits go with If-Match.
 */
import { useEffect, useState } from 'preact/hooks';
import { ApiError, call, qs } from '../api';
import { count } from '../ui/format';
import { LoadMore, usePagedList } from '../ui/paged-list';
import { ErrorNote, Show } from '../ui/states';
import { useResource } from '../ui/use-resource';
import { onSubmit, useSubmit } from '../ui/use-submit';
import { OnlineDot, type Host } from './hosts';
import { ObjectHistory } from '../ui/object-history';

export interface Rule {
  field: string;
  op: string;
  value?: string | string[];
}

export interface HostGroup {
  id: string;
  name: string;
  description: string;
  rules: Rule[];
  host_ids: string[];
  version: number;
}

const FIELDS = ['hostname', 'tags', 'os', 'agent_state', 'type', 'state', 'idc', 'rack', 'owner', 'business_unit'];
const OPS = ['eq', 'neq', 'in', 'prefix', 'contains', 'exists'];

/** A rule as the form holds it: `in` takes a comma-separated list, `exists` no value. */
interface RuleDraft {
  field: string;
  op: string;
  value: string;
}

export const ruleFromDraft = (r: RuleDraft): Rule =>
  r.op === 'exists'
    ? { field: r.field.trim(), op: r.op }
    : {
        field: r.field.trim(),
        op: r.op,
        value:
          r.op === 'in'
            ? r.value
                .split(',')
                .map((v) => v.trim())
                .filter(Boolean)
            : r.value,
      };
const draftOf = (r: Rule): RuleDraft => ({ field: r.field, op: r.op, value: Array.isArray(r.value) ? r.value.join(', ') : (r.value ?? '') });

export function HostGroups() {
  const list = usePagedList<HostGroup>('/api/v1/host-groups?limit=50');
  return (
    <>
      <section class="card">
        <h2>New host group</h2>
        <GroupForm onSaved={list.reload} />
      </section>
      <Show r={list} what="Host groups" emptyText="No host groups yet.">
        {(rows) => (
          <>
            {rows.map((g) => (
              <GroupCard key={g.id} g={g} onChange={list.reload} />
            ))}
            <LoadMore list={list} what="groups" />
          </>
        )}
      </Show>
    </>
  );
}

function GroupForm({ g, onSaved, onCancel }: { g?: HostGroup; onSaved(): void; onCancel?(): void }) {
  const [name, setName] = useState(g?.name ?? '');
  const [description, setDescription] = useState(g?.description ?? '');
  const [rules, setRules] = useState<RuleDraft[]>(g ? g.rules.map(draftOf) : [{ field: 'tags', op: 'eq', value: '' }]);
  const s = useSubmit();
  const setRule = (i: number, patch: Partial<RuleDraft>) => setRules(rules.map((r, k) => (k === i ? { ...r, ...patch } : r)));
  const save = () =>
    s.run(async () => {
      const body = { name, description, rules: rules.filter((r) => r.field.trim()).map(ruleFromDraft) };
      if (g) await call('PATCH', `/api/v1/host-groups/${g.id}`, body, { 'if-match': `"${g.version}"` });
      else {
        await call('POST', '/api/v1/host-groups', body);
        setName('');
        setDescription('');
        setRules([{ field: 'tags', op: 'eq', value: '' }]);
      }
      onSaved();
    });
  return (
    <form data-testid={g ? 'group-edit' : 'group-create'} onSubmit={onSubmit(save)}>
      <div class="form-grid">
        <label>
          name
          <input name="group_name" required maxLength={200} value={name} onInput={(e) => setName(e.currentTarget.value)} />
        </label>
        <label class="wide">
          description
          <input name="group_description" maxLength={2000} value={description} onInput={(e) => setDescription(e.currentTarget.value)} />
        </label>
      </div>
      <p class="muted small">
        Rules (every one must hold; none: static members only). Fields: {FIELDS.join(', ')}, asset.&lt;column&gt;, asset.custom.&lt;name&gt;.
      </p>
      <datalist id="group-fields">
        {FIELDS.map((f) => (
          <option value={f} />
        ))}
      </datalist>
      {rules.map((r, i) => (
        <div class="rule-row" data-rule={i}>
          <input
            aria-label="Rule field"
            list="group-fields"
            required
            maxLength={200}
            value={r.field}
            onInput={(e) => setRule(i, { field: e.currentTarget.value })}
          />
          <select aria-label="Rule operator" value={r.op} onChange={(e) => setRule(i, { op: e.currentTarget.value })}>
            {OPS.map((o) => (
              <option value={o}>{o}</option>
            ))}
          </select>
          <input
            aria-label="Rule value"
            disabled={r.op === 'exists'}
            required={r.op !== 'exists'}
            maxLength={500}
            placeholder={r.op === 'in' ? 'a, b, c' : ''}
            value={r.value}
            onInput={(e) => setRule(i, { value: e.currentTarget.value })}
          />
          <button type="button" class="btn ghost small" aria-label="Remove rule" onClick={() => setRules(rules.filter((_, k) => k !== i))}>
            ✕
          </button>
        </div>
      ))}
      <div class="form-row">
        <button type="button" class="btn small" onClick={() => setRules([...rules, { field: 'hostname', op: 'prefix', value: '' }])}>
          Add rule
        </button>
        <button class="btn primary small" disabled={s.busy}>
          {g ? 'Save group' : 'Create group'}
        </button>
        {onCancel ? (
          <button type="button" class="btn small" onClick={onCancel}>
            Cancel
          </button>
        ) : null}
      </div>
      <RulePreview rules={rules} hostIds={g?.host_ids ?? []} />
      {s.error ? <ErrorNote error={s.error} /> : null}
    </form>
  );
}

interface Preview {
  total: number;
  hosts: Array<{ id: string; hostname: string }>;
}

/** Who the rules being edited would match, asked of the server a moment after each change (the same SQL as a saved group). */
function RulePreview({ rules, hostIds }: { rules: RuleDraft[]; hostIds: string[] }) {
  const [preview, setPreview] = useState<Preview | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const body = JSON.stringify({ rules: rules.filter((r) => r.field.trim() && (r.op === 'exists' || r.value.trim())).map(ruleFromDraft), host_ids: hostIds });
  useEffect(() => {
    let live = true;
    const timer = setTimeout(() => {
      call<Preview>('POST', '/api/v1/host-groups/preview', JSON.parse(body)).then(
        (r) => live && (setPreview(r.data), setError(null)),
        (err) => live && (setPreview(null), setError(err instanceof ApiError ? err : null)),
      );
    }, 300);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [body]);
  if (error)
    return (
      <p class="muted small" data-testid="group-preview">
        Preview: {error.message} ({error.code})
      </p>
    );
  if (!preview) return null;
  return (
    <p class="muted small" data-testid="group-preview">
      Would hold {count(preview.total)} host{preview.total === 1 ? '' : 's'}
      {preview.hosts.length ? `: ${preview.hosts.map((h) => h.hostname).join(', ')}${preview.total > preview.hosts.length ? ', …' : ''}` : ''}
    </p>
  );
}

function GroupCard({ g, onChange }: { g: HostGroup; onChange(): void }) {
  const [editing, setEditing] = useState(false);
  const s = useSubmit();
  const remove = () => {
    if (!confirm(`Delete host group "${g.name}"? Its hosts stay.`)) return;
    s.run(async () => {
      await call('DELETE', `/api/v1/host-groups/${g.id}`, undefined, { 'if-match': `"${g.version}"` });
      onChange();
    });
  };
  const describe = (r: Rule) => `${r.field} ${r.op}${r.op === 'exists' ? '' : ` ${Array.isArray(r.value) ? r.value.join(', ') : r.value}`}`;
  return (
    <section class="card" data-group={g.name}>
      <h2>{g.name}</h2>
      {g.description ? <p class="muted">{g.description}</p> : null}
      {editing ? (
        <GroupForm
          g={g}
          onSaved={() => {
            setEditing(false);
            onChange();
          }}
          onCancel={() => setEditing(false)}
        />
      ) : (
        <>
          <p class="small" data-testid="group-rules">
            {g.rules.length ? g.rules.map(describe).join(' and ') : 'static members only'}
            {g.host_ids.length ? <span class="muted"> · {g.host_ids.length} static member(s)</span> : null}
          </p>
          <div class="form-row">
            <button class="btn small" onClick={() => setEditing(true)}>
              Edit
            </button>
            <button class="btn small danger" disabled={s.busy} onClick={remove}>
              Delete
            </button>
            <a class="btn small ghost" href={`#/hosts${qs({ group: g.id })}`}>
              Open in hosts
            </a>
          </div>
          {s.error ? <ErrorNote error={s.error} /> : null}
        </>
      )}
      <GroupMembers key={g.version} groupId={g.id} />
      <ObjectHistory type="host_group" id={g.id} version={g.version} />
    </section>
  );
}

/** The group's members as the server resolves its rules now: the first 20 and how many in all. */
function GroupMembers({ groupId }: { groupId: string }) {
  const members = useResource<Host[]>(`/api/v1/hosts${qs({ group_id: groupId, limit: 20 })}`);
  return (
    <Show r={members} what="Members" emptyText="No host matches this group now.">
      {(list) => (
        <div data-testid="group-members">
          <p class="muted small">Members{typeof members.meta.total === 'number' ? ` (${count(members.meta.total)})` : ''}:</p>
          <ul class="list">
            {list.map((h) => (
              <li data-member={h.hostname}>
                <OnlineDot online={h.online} state={h.agent_state} /> <a href={`#/hosts/${h.id}`}>{h.hostname}</a>
              </li>
            ))}
          </ul>
        </div>
      )}
    </Show>
  );
}
