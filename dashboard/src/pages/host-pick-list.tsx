/** The host picker as a form shows it: a search box, what is picked so far, and the matching hosts to tick. */
import { Show } from '../ui/states';
import type { useHostPicker } from './host-picker';

export function HostPickList({
  picker,
  summary,
  online,
}: {
  picker: ReturnType<typeof useHostPicker>;
  summary: (names: string[]) => string;
  online?: boolean;
}) {
  const { q, setQ, picked, toggle, hosts } = picker;
  return (
    <>
      <div class="form-row">
        <input class="search" type="search" placeholder="Find hosts" aria-label="Find hosts" value={q} onInput={(e) => setQ(e.currentTarget.value)} />
        <span class="muted small">{summary([...picked.values()])}</span>
      </div>
      <Show r={hosts} what="Hosts" emptyText="No host matches.">
        {(list) => (
          <div class="pick-list">
            {list.map((h) => (
              <label class="inline pick">
                <input type="checkbox" checked={picked.has(h.id)} onChange={() => toggle(h)} data-host={h.hostname} /> {h.hostname}
                {online && h.online ? <span class="dot online" /> : null}
              </label>
            ))}
          </div>
        )}
      </Show>
    </>
  );
}
