/** A host's tags, shown as links to the hosts that share them, edited in place (PATCH with If-Match). */
import { useState } from 'preact/hooks';
import { call } from '../api';
import { ErrorNote } from '../ui/states';
import { onSubmit, useSubmit } from '../ui/use-submit';
import type { Host } from './hosts';

export function HostTags({ h, onSaved }: { h: Host; onSaved(): void }) {
  const [editing, setEditing] = useState(false);
  const [text, setText] = useState('');
  const s = useSubmit();
  const save = () =>
    s.run(async () => {
      const tags = [
        ...new Set(
          text
            .split(',')
            .map((t) => t.trim())
            .filter(Boolean),
        ),
      ];
      await call('PATCH', `/api/v1/hosts/${h.id}`, { tags }, { 'if-match': `"${h.version}"` });
      setEditing(false);
      onSaved();
    });
  if (editing) {
    return (
      <form class="form-row" data-testid="host-tags-edit" onSubmit={onSubmit(save)}>
        <input name="tags" aria-label="Tags, comma separated" placeholder="web, prod" value={text} onInput={(e) => setText(e.currentTarget.value)} />
        <button class="btn primary small" disabled={s.busy}>
          Save tags
        </button>
        <button type="button" class="btn small" onClick={() => setEditing(false)}>
          Cancel
        </button>
        {s.error ? <ErrorNote error={s.error} /> : null}
      </form>
    );
  }
  return (
    <span data-testid="host-tags">
      {h.tags.map((t) => (
        <a class="badge tag" href={`#/hosts?tag=${encodeURIComponent(t)}`}>
          {t}
        </a>
      ))}
      <button
        class="btn ghost small"
        onClick={() => {
          setText(h.tags.join(', '));
          setEditing(true);
        }}
      >
        {h.tags.length ? 'Edit tags' : 'Add tags'}
      </button>
    </span>
  );
}
