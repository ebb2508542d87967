/**
 * A template's card: its items and triggers (add and remove any kind), the templates it includes,
 * and the hosts and host groups it is linked to; the template, each item and each trigger with its
 * own history. Every change sends the whole content back with
 * If-Match (PUT /api/v1/templates/:id), so two people cannot overwrite each other; the inputs carry
 * the API's own limits (key pattern, interval range, required parameters) and a refusal shows the
 * API's message and request id.
 */
import { useState } from 'preact/hooks';
import { call, qs } from '../api';
import { ErrorNote } from '../ui/states';
import { onSubmit, useSubmit } from '../ui/use-submit';
import { useResource } from '../ui/use-resource';
import type { Host } from './hosts';
import { COLLECTORS, SEVERITIES } from './monitoring';
import { ObjectHistory } from '../ui/object-history';
import { changeHeader } from './change-picker';

export interface TemplateItem {
  key: string;
  type: string;
  interval_s: number;
  timeout_s?: number;
  collector?: string;
  command?: string;
  args?: string[];
  output?: string;
  params?: Record<string, string | number | boolean>;
}

export interface TemplateTrigger {
  key: string;
  name: string;
  severity: string;
  expression: string;
  recovery?: string;
  description?: string;
}

export interface Template {
  id: string;
  name: string;
  description: string;
  items: TemplateItem[];
  triggers: TemplateTrigger[];
  includes: string[];
  host_ids: string[];
  host_group_ids: string[];
  version: number;
}

interface HostGroup {
  id: string;
  name: string;
}

export const ITEM_TYPES = ['plugin', 'tcp', 'http', 'process', 'cert', 'collector'] as const;
/** As the API checks keys (server/monitor/template-model.ts). */
const KEY_PATTERN = '[a-zA-Z_][a-zA-Z0-9_]{0,63}';

/** Parameters each built-in check takes: name, number or text, required. */
const PARAMS: Record<string, [string, 'text' | 'number', boolean][]> = {
  tcp: [
    ['host', 'text', true],
    ['port', 'number', true],
  ],
  http: [
    ['url', 'text', true],
    ['expect_status', 'number', false],
    ['method', 'text', false],
  ],
  process: [
    ['name', 'text', false],
    ['pattern', 'text', false],
    ['min', 'number', false],
  ],
  cert: [
    ['host', 'text', true],
    ['port', 'number', false],
    ['servername', 'text', false],
    ['warn_days', 'number', false],
    ['crit_days', 'number', false],
  ],
};

/** An item as the form holds it: every field text, turned into the API's shape on submit. */
type ItemDraft = Record<string, string>;

export function itemFromDraft(d: ItemDraft): TemplateItem {
  const item: TemplateItem = { key: d.key, type: d.type, interval_s: Number(d.interval_s) };
  if (d.type === 'collector') return { ...item, collector: d.collector };
  if (d.timeout_s) item.timeout_s = Number(d.timeout_s);
  if (d.type === 'plugin') {
    item.command = d.command;
    const args = d.args.trim() ? d.args.trim().split(/\s+/) : [];
    if (args.length) item.args = args;
    if (d.output) item.output = d.output;
    return item;
  }
  const params: Record<string, string | number> = {};
  for (const [name, kind] of PARAMS[d.type] ?? []) {
    const v = d[`p_${name}`];
    if (v !== undefined && v !== '') params[name] = kind === 'number' ? Number(v) : v;
  }
  return { ...item, params };
}

const describeItem = (i: TemplateItem): string => {
  if (i.type === 'collector') return i.collector ?? '';
  if (i.type === 'plugin') return [i.command, ...(i.args ?? [])].join(' ');
  return Object.entries(i.params ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
};

/** An item's or trigger's id in the object change log (server/monitor/template-store.ts templateChanges). */
const partId = (t: Template, key: string) => `${t.id}:${key}`;

/** `change`: the approved change request edits are made under (chosen once on the templates tab), or ''. */
export function TemplateCard({ t, all, change, onChange }: { t: Template; all: Template[]; change: string; onChange(): void }) {
  const s = useSubmit();
  const save = (patch: Partial<Pick<Template, 'items' | 'triggers' | 'includes'>>) =>
    s.run(async () => {
      const body = { name: t.name, description: t.description, items: t.items, triggers: t.triggers, includes: t.includes, ...patch };
      await call('PUT', `/api/v1/templates/${t.id}`, body, { 'if-match': `"${t.version}"`, ...changeHeader(change) });
      onChange();
    });
  const link = (path: string, method: 'PUT' | 'DELETE') =>
    s.run(async () => {
      await call(method, `/api/v1/templates/${t.id}/${path}`);
      onChange();
    });
  const named = new Map(all.map((x) => [x.id, x.name]));
  return (
    <section class="card" data-template={t.name}>
      <h2>{t.name}</h2>
      {t.description ? <p class="muted">{t.description}</p> : null}
      <p class="muted small">
        {t.items.length} item(s) · {t.triggers.length} trigger(s) · linked to {t.host_ids.length} host(s) and {t.host_group_ids.length} group(s)
      </p>
      {s.error ? <ErrorNote error={s.error} /> : null}
      {t.items.length ? (
        <ul class="list" data-testid="template-items">
          {t.items.map((i) => (
            <li data-item={i.key}>
              <span class="badge">{i.type}</span> {i.type === 'collector' ? <b>{i.collector}</b> : <code>{i.key}</code>}{' '}
              <span class="muted small">
                {i.type === 'collector' ? '' : describeItem(i)} every {i.interval_s} s
              </span>{' '}
              <button
                class="btn ghost small"
                aria-label={`Remove item ${i.key}`}
                disabled={s.busy}
                onClick={() => save({ items: t.items.filter((x) => x !== i) })}
              >
                ✕
              </button>
              <ObjectHistory type="template_item" id={partId(t, i.key)} version={t.version} />
            </li>
          ))}
        </ul>
      ) : null}
      {t.triggers.length ? (
        <ul class="list" data-testid="template-triggers">
          {t.triggers.map((x) => (
            <li data-trigger={x.key}>
              <span class={`sev sev-${x.severity}`}>{x.severity}</span> {x.name} <code class="small muted">{x.expression}</code>
              {x.recovery ? (
                <span class="muted small">
                  {' '}
                  · recovers when <code>{x.recovery}</code>
                </span>
              ) : null}{' '}
              <button
                class="btn ghost small"
                aria-label={`Remove trigger ${x.key}`}
                disabled={s.busy}
                onClick={() => save({ triggers: t.triggers.filter((y) => y !== x) })}
              >
                ✕
              </button>
              <ObjectHistory type="trigger" id={partId(t, x.key)} version={t.version} />
            </li>
          ))}
        </ul>
      ) : null}
      <details class="editor">
        <summary>Add an item</summary>
        <ItemForm busy={s.busy} onAdd={(item) => save({ items: [...t.items, item] })} />
      </details>
      <details class="editor">
        <summary>Add a trigger</summary>
        <TriggerForm busy={s.busy} items={t.items} onAdd={(x) => save({ triggers: [...t.triggers, x] })} />
      </details>
      <details class="editor">
        <summary>Includes ({t.includes.length})</summary>
        <p class="muted small">An included template's items and triggers come along wherever this one is linked.</p>
        <ul class="list">
          {t.includes.map((id) => (
            <li>
              {named.get(id) ?? id}{' '}
              <button class="btn ghost small" disabled={s.busy} onClick={() => save({ includes: t.includes.filter((x) => x !== id) })}>
                Remove
              </button>
            </li>
          ))}
        </ul>
        <Picker
          label="Include template"
          options={all.filter((x) => x.id !== t.id && !t.includes.includes(x.id)).map((x) => [x.id, x.name])}
          busy={s.busy}
          action="Include"
          onPick={(id) => save({ includes: [...t.includes, id] })}
        />
      </details>
      <details class="editor" data-testid="template-links">
        <summary>Linked hosts and groups</summary>
        <LinkedHosts ids={t.host_ids} busy={s.busy} onUnlink={(id) => link(`hosts/${id}`, 'DELETE')} />
        <HostSearch exclude={t.host_ids} busy={s.busy} onPick={(id) => link(`hosts/${id}`, 'PUT')} />
        <LinkedGroups
          ids={t.host_group_ids}
          busy={s.busy}
          onLink={(id) => link(`host-groups/${id}`, 'PUT')}
          onUnlink={(id) => link(`host-groups/${id}`, 'DELETE')}
        />
      </details>
      <ObjectHistory type="template" id={t.id} version={t.version} />
    </section>
  );
}

function Picker({
  label,
  options,
  busy,
  action,
  onPick,
}: {
  label: string;
  options: [string, string][];
  busy: boolean;
  action: string;
  onPick(id: string): void;
}) {
  const [id, setId] = useState('');
  return (
    <form class="form-row" onSubmit={onSubmit(() => id && onPick(id))}>
      <select aria-label={label} value={id} onChange={(e) => setId(e.currentTarget.value)} required>
        <option value="">{label}…</option>
        {options.map(([v, name]) => (
          <option value={v}>{name}</option>
        ))}
      </select>
      <button class="btn small" disabled={busy || !id}>
        {action}
      </button>
    </form>
  );
}

/** The forms keep what was typed until the API has taken it: a refusal leaves it there to fix. */
function ItemForm({ busy, onAdd }: { busy: boolean; onAdd(i: TemplateItem): Promise<boolean> }) {
  const blank: ItemDraft = { type: 'plugin', key: '', interval_s: '60', timeout_s: '', collector: 'cpu', command: '', args: '', output: 'auto' };
  const [d, setD] = useState<ItemDraft>(blank);
  const set = (k: string) => (e: Event) => setD({ ...d, [k]: (e.currentTarget as HTMLInputElement).value });
  const collector = d.type === 'collector';
  return (
    <form
      class="form-grid"
      data-testid="item-form"
      onSubmit={onSubmit(async () => {
        if (await onAdd(itemFromDraft(collector ? { ...d, key: d.collector } : d))) setD({ ...blank, type: d.type });
      })}
    >
      <label>
        type
        <select name="type" value={d.type} onChange={set('type')}>
          {ITEM_TYPES.map((x) => (
            <option value={x}>{x}</option>
          ))}
        </select>
      </label>
      {collector ? (
        <label>
          collector
          <select name="collector" value={d.collector} onChange={set('collector')}>
            {COLLECTORS.map((c) => (
              <option value={c}>{c}</option>
            ))}
          </select>
        </label>
      ) : (
        <label>
          key
          <input
            name="key"
            required
            pattern={KEY_PATTERN}
            title="letters, digits and _, not starting with a digit"
            placeholder="web_status"
            value={d.key}
            onInput={set('key')}
          />
        </label>
      )}
      <label>
        every (s)
        <input name="interval_s" type="number" min={1} max={86400} required value={d.interval_s} onInput={set('interval_s')} />
      </label>
      {!collector ? (
        <label>
          timeout (s)
          <input
            name="timeout_s"
            type="number"
            min={1}
            max={Math.min(3600, Number(d.interval_s) || 3600)}
            placeholder="10"
            value={d.timeout_s}
            onInput={set('timeout_s')}
          />
        </label>
      ) : null}
      {d.type === 'plugin' ? (
        <>
          <label>
            command
            <input
              name="command"
              required
              pattern="[a-zA-Z0-9_.+\-]{1,128}"
              title="a file name in the agent's plugin folders, no path"
              placeholder="check_disk"
              value={d.command}
              onInput={set('command')}
            />
          </label>
          <label>
            arguments
            <input name="args" placeholder="-w 20% -c 10%" value={d.args} onInput={set('args')} />
          </label>
          <label>
            output
            <select name="output" value={d.output} onChange={set('output')}>
              {['auto', 'nagios', 'json'].map((o) => (
                <option value={o}>{o}</option>
              ))}
            </select>
          </label>
        </>
      ) : null}
      {(PARAMS[d.type] ?? []).map(([name, kind, required]) => (
        <label>
          {name.replace('_', ' ')}
          <input name={`p_${name}`} type={kind as 'text'} required={required} value={d[`p_${name}`] ?? ''} onInput={set(`p_${name}`)} />
        </label>
      ))}
      <div class="form-row">
        <button class="btn primary small" disabled={busy}>
          Add item
        </button>
      </div>
    </form>
  );
}

function TriggerForm({ busy, items, onAdd }: { busy: boolean; items: TemplateItem[]; onAdd(t: TemplateTrigger): Promise<boolean> }) {
  const blank = { key: '', name: '', severity: 'average', expression: '', recovery: '' };
  const [d, setD] = useState(blank);
  const set = (k: keyof typeof blank) => (e: Event) => setD({ ...d, [k]: (e.currentTarget as HTMLInputElement).value });
  const example = items.find((i) => i.type !== 'collector')?.key;
  return (
    <form
      class="form-grid"
      data-testid="trigger-form"
      onSubmit={onSubmit(async () => {
        if (await onAdd({ key: d.key, name: d.name, severity: d.severity, expression: d.expression, ...(d.recovery ? { recovery: d.recovery } : {}) }))
          setD(blank);
      })}
    >
      <label>
        key
        <input name="trigger_key" required pattern={KEY_PATTERN} placeholder="web_down" value={d.key} onInput={set('key')} />
      </label>
      <label>
        name
        <input name="trigger_name" required maxLength={200} placeholder="Web is down on {HOST.NAME}" value={d.name} onInput={set('name')} />
      </label>
      <label>
        severity
        <select name="severity" value={d.severity} onChange={set('severity')}>
          {SEVERITIES.map((x) => (
            <option value={x}>{x}</option>
          ))}
        </select>
      </label>
      <label class="wide">
        expression
        <input
          name="expression"
          required
          maxLength={2000}
          placeholder={`last(${example ?? 'web_status'}.status) >= 2`}
          value={d.expression}
          onInput={set('expression')}
        />
      </label>
      <label class="wide">
        recovery (optional)
        <input name="recovery" maxLength={2000} placeholder="the expression turning false is the default" value={d.recovery} onInput={set('recovery')} />
      </label>
      <div class="form-row">
        <button class="btn primary small" disabled={busy}>
          Add trigger
        </button>
      </div>
    </form>
  );
}

/** The linked hosts by name (one read each, the first 20: a template on a whole fleet is linked through a group). */
function LinkedHosts({ ids, busy, onUnlink }: { ids: string[]; busy: boolean; onUnlink(id: string): void }) {
  if (!ids.length) return <p class="muted small">No hosts linked directly.</p>;
  return (
    <ul class="list" data-testid="linked-hosts">
      {ids.slice(0, 20).map((id) => (
        <LinkedHost id={id} busy={busy} onUnlink={onUnlink} />
      ))}
      {ids.length > 20 ? <li class="muted small">and {ids.length - 20} more</li> : null}
    </ul>
  );
}

function LinkedHost({ id, busy, onUnlink }: { id: string; busy: boolean; onUnlink(id: string): void }) {
  const h = useResource<Host>(`/api/v1/hosts/${id}`);
  return (
    <li data-host={h.data?.hostname}>
      <a href={`#/hosts/${id}`}>{h.data?.hostname ?? id.slice(0, 8)}</a>{' '}
      <button class="btn ghost small" disabled={busy} onClick={() => onUnlink(id)}>
        Unlink
      </button>
    </li>
  );
}

/** Finds hosts by part of their name and links one. */
function HostSearch({ exclude, busy, onPick }: { exclude: string[]; busy: boolean; onPick(id: string): void }) {
  const [q, setQ] = useState('');
  const found = useResource<Host[]>(q.trim() ? `/api/v1/hosts${qs({ q: q.trim(), limit: 8 })}` : null);
  return (
    <div class="host-search">
      <input type="search" aria-label="Find a host to link" placeholder="Find a host to link" value={q} onInput={(e) => setQ(e.currentTarget.value)} />
      {q.trim() && found.data ? (
        <ul class="list">
          {found.data
            .filter((h) => !exclude.includes(h.id))
            .map((h) => (
              <li data-candidate={h.hostname}>
                {h.hostname}{' '}
                <button class="btn small" disabled={busy} onClick={() => onPick(h.id)}>
                  Link
                </button>
              </li>
            ))}
          {!found.data.length ? <li class="muted small">No host matches.</li> : null}
        </ul>
      ) : null}
    </div>
  );
}

function LinkedGroups({ ids, busy, onLink, onUnlink }: { ids: string[]; busy: boolean; onLink(id: string): void; onUnlink(id: string): void }) {
  const groups = useResource<HostGroup[]>('/api/v1/host-groups?limit=200');
  const named = new Map((groups.data ?? []).map((g) => [g.id, g.name]));
  return (
    <>
      <ul class="list" data-testid="linked-groups">
        {ids.map((id) => (
          <li>
            group <a href={`#/hosts?group=${id}`}>{named.get(id) ?? id.slice(0, 8)}</a>{' '}
            <button class="btn ghost small" disabled={busy} onClick={() => onUnlink(id)}>
              Unlink
            </button>
          </li>
        ))}
      </ul>
      <Picker
        label="Link host group"
        options={(groups.data ?? []).filter((g) => !ids.includes(g.id)).map((g) => [g.id, g.name])}
        busy={busy}
        action="Link group"
        onPick={onLink}
      />
    </>
  );
}
