/**
 * Choosing the approved change request an action is made under (docs/itil.md): release rollouts send
 * it as `change_id`, template and asset edits as the X-Change-Id header. Offered: approved changes of
 * the action's kind whose window has not ended (and, for an asset, that name it or no asset at all).
 */
import { qs } from '../api';
import { when } from '../ui/format';
import { useResource } from '../ui/use-resource';

interface ApprovedChange {
  id: string;
  title: string;
  kinds: string[];
  asset_ids: string[];
  window_end: string;
}

type ChangeKind = 'release' | 'template' | 'asset';

export function ChangePicker({
  kind,
  value,
  onChange,
  label,
  assetId,
}: {
  kind: ChangeKind;
  value: string;
  onChange(id: string): void;
  label: string;
  assetId?: string;
}) {
  const changes = useResource<ApprovedChange[]>(`/api/v1/changes${qs({ state: 'approved' })}`);
  const usable = (changes.data ?? []).filter(
    (c) => c.kinds.includes(kind) && Date.parse(c.window_end) > Date.now() && (!assetId || !c.asset_ids.length || c.asset_ids.includes(assetId)),
  );
  return (
    <select aria-label={label} value={value} onChange={(e) => onChange(e.currentTarget.value)}>
      <option value="">no change request</option>
      {usable.map((c) => (
        <option value={c.id}>
          {c.title} (until {when(c.window_end)})
        </option>
      ))}
    </select>
  );
}

/** The X-Change-Id header for an edit made under `changeId` (none without one). */
export const changeHeader = (changeId: string): Record<string, string> => (changeId ? { 'x-change-id': changeId } : {});

/**
 * The change picker for a screen of template or asset edits, saying plainly when change control
 * requires a change for every such edit. The policies are read with tasks:read; a person without it
 * sees the API's refusal (APPROVED_CHANGE_REQUIRED) instead.
 */
export function EditChange({ kind, value, onChange, assetId }: { kind: 'template' | 'asset'; value: string; onChange(id: string): void; assetId?: string }) {
  const policies = useResource<{ name: string; require_change: string[] }[]>('/api/v1/task-policies');
  const requiring = (policies.data ?? []).filter((p) => p.require_change.includes(kind)).map((p) => p.name);
  return (
    <div class="edit-change" data-testid={`${kind}-change`}>
      <span class="inline">
        {kind === 'template' ? 'Template' : 'Asset'} edits here are made under{' '}
        <ChangePicker kind={kind} value={value} onChange={onChange} label={`Change request for ${kind} edits`} assetId={assetId} />
      </span>
      {requiring.length ? (
        <p class={`state ${value ? 'not-available' : 'warn'}`} role="note" data-testid="change-required">
          Change control ({requiring.join(', ')}) requires an approved change request for every {kind} edit
          {value ? '.' : ': pick one above, or the edit is refused. A change is requested and approved under Service mgmt → Changes.'}
        </p>
      ) : null}
    </div>
  );
}
