/** Picking hosts by name for a form (a task's targets, a service's hosts): search, tick, keep the picks across searches. */
import { useState } from 'preact/hooks';
import { qs } from '../api';
import { useResource } from '../ui/use-resource';
import type { Host } from './hosts';

export function useHostPicker() {
  const [q, setQ] = useState('');
  const [picked, setPicked] = useState<Map<string, string>>(new Map());
  const hosts = useResource<Host[]>(`/api/v1/hosts${qs({ q, limit: 20 })}`);
  const toggle = (h: Host) => {
    const next = new Map(picked);
    if (next.has(h.id)) next.delete(h.id);
    else next.set(h.id, h.hostname);
    setPicked(next);
  };
  return { q, setQ, picked, toggle, hosts };
}
