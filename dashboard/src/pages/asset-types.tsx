/**
 * The CMDB's asset types: each one's label, its custom fields (from its JSON schema) and its History,
 * so a changed schema can be traced to who changed it. Read-only: admins define types over the API.
 */
import { ObjectHistory } from '../ui/object-history';
import { Show } from '../ui/states';
import { useResource } from '../ui/use-resource';

interface AssetType {
  name: string;
  label: string;
  builtin: boolean;
  fields_schema: { properties?: Record<string, { title?: string; type?: string }> };
  version: number;
}

export function AssetTypes() {
  const types = useResource<AssetType[]>('/api/v1/asset-types');
  return (
    <section class="card">
      <Show r={types} what="Asset types">
        {(list) => (
          <ul class="list" data-testid="asset-types">
            {list.map((t) => (
              <li key={t.name} data-asset-type={t.name}>
                <b>{t.label}</b> <code class="small muted">{t.name}</code> {t.builtin ? <span class="badge">built in</span> : null}
                <span class="muted small"> · custom fields: {customFields(t) || 'none'}</span>
                <ObjectHistory type="asset_type" id={t.name} version={t.version} />
              </li>
            ))}
          </ul>
        )}
      </Show>
    </section>
  );
}

const customFields = (t: AssetType) =>
  Object.entries(t.fields_schema.properties ?? {})
    .map(([name, spec]) => (spec.type ? `${spec.title ?? name} (${spec.type})` : (spec.title ?? name)))
    .join(', ');
