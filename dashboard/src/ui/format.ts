/** How times and numbers read on screen. */

export function ago(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return 'never';
  const s = Math.round((now - Date.parse(iso)) / 1000);
  if (s < 0) return 'just now';
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ago`;
  return `${Math.floor(s / 86400)}d ago`;
}

export const when = (iso: string | null | undefined) => (iso ? new Date(iso).toLocaleString() : '–');

export function count(n: number | undefined): string {
  if (n === undefined) return '–';
  return n.toLocaleString('en-US');
}

export function rate(perS: number | null): string {
  if (perS === null) return '–';
  if (perS >= 1e6) return `${(perS / 1e6).toFixed(1)}M/s`;
  if (perS >= 1e3) return `${(perS / 1e3).toFixed(1)}k/s`;
  return `${perS.toFixed(perS < 10 ? 1 : 0)}/s`;
}

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  for (; v >= 1024 && i < units.length - 1; i++) v /= 1024;
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}
