import type { CpuSocket } from '../../../protocol/inventory-report.js';

/**
 * /proc/cpuinfo grouped into sockets by "physical id". Used when dmidecode cannot say (VMs without SMBIOS,
 * containers, non-root). ARM kernels print neither model name nor physical id: one socket, model null.
 */
export function cpusFromCpuinfo(text: string): CpuSocket[] {
  const sockets = new Map<string, Record<string, string>[]>();
  for (const block of text.split(/\n\s*\n/)) {
    const fields: Record<string, string> = {};
    for (const line of block.split('\n')) {
      const colon = line.indexOf(':');
      if (colon > 0) fields[line.slice(0, colon).trim()] = line.slice(colon + 1).trim();
    }
    if (fields.processor === undefined) continue;
    const socket = fields['physical id'] ?? '0';
    sockets.set(socket, [...(sockets.get(socket) ?? []), fields]);
  }
  return [...sockets].map(([socket, processors]) => {
    const first = processors[0];
    const mhz = Number(first['cpu MHz']);
    const cores = Number(first['cpu cores']);
    return {
      socket,
      model: first['model name'] ?? null,
      cores: Number.isInteger(cores) && cores > 0 ? cores : null,
      threads: processors.length,
      mhz: Number.isFinite(mhz) && mhz > 0 ? Math.round(mhz) : null,
    };
  });
}
