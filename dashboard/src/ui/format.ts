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
  if (Math.abs(n) < 1024) return `${Number(n.toFixed(1))} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  for (; v >= 1024 && i < units.length - 1; i++) v /= 1024;
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

export const pct = (v: number) => `${v.toFixed(v < 10 ? 1 : 0)}%`;

/** A value in a unit, short: bytes as KiB…, byte rates as KiB/s…, percent, counts per second, plain numbers. */
export function inUnit(v: number, unit?: string): string {
  if (!Number.isFinite(v)) return '–';
  if (unit === 'B') return bytes(v);
  if (unit === 'B/s') return `${bytes(v)}/s`;
  if (unit === '%') return pct(v);
  if (unit === '/s') return rate(v);
  const a = Math.abs(v);
  const n =
    a >= 1e9
      ? `${Number((v / 1e9).toFixed(2))}G`
      : a >= 1e6
        ? `${Number((v / 1e6).toFixed(2))}M`
        : a >= 1e4
          ? `${Number((v / 1e3).toFixed(1))}k`
          : `${Number(v.toFixed(2))}`;
  return unit ? `${n} ${unit}` : n;
}

/** The unit a metric's name implies (docs/metrics.md naming: _pct, _bytes, _bytes_per_s, _per_s). */
export function unitOf(name: string): string | undefined {
  if (/_pct$|\.pct$|percent/.test(name)) return '%';
  if (/bytes_per_s$/.test(name)) return 'B/s';
  if (/_per_s$/.test(name)) return '/s';
  if (/bytes$/.test(name)) return 'B';
  return undefined;
}
