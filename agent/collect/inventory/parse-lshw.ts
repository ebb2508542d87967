import type { HardwareIdentity, MemoryModule } from '../../../protocol/inventory-report.js';

/** The subset of an lshw -json node this collector reads. */
export interface LshwNode {
  id?: string;
  class?: string;
  description?: string;
  product?: string;
  vendor?: string;
  serial?: string;
  slot?: string;
  size?: number;
  clock?: number;
  configuration?: Record<string, string>;
  children?: LshwNode[];
}

/**
 * Every node of lshw -json output, depth first. lshw prints one root object, or an array of roots in
 * some versions; older builds emit invalid JSON, which yields no nodes rather than an error.
 */
export function parseLshw(text: string): LshwNode[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return [];
  }
  const nodes: LshwNode[] = [];
  const visit = (node: unknown) => {
    if (!node || typeof node !== 'object') return;
    nodes.push(node as LshwNode);
    for (const child of (node as LshwNode).children ?? []) visit(child);
  };
  for (const root of Array.isArray(parsed) ? parsed : [parsed]) visit(root);
  return nodes;
}

const text = (value: unknown) => (typeof value === 'string' && value.trim() !== '' ? value.trim() : null);

export function systemFromLshw(nodes: LshwNode[]): HardwareIdentity {
  const root = nodes.find((n) => n.class === 'system');
  return {
    vendor: text(root?.vendor),
    model: text(root?.product),
    serial: text(root?.serial),
    uuid: text(root?.configuration?.uuid)?.toLowerCase() ?? null,
  };
}

/** Installed memory: the "System Memory" banks' sizes (one per socket on NUMA boards), else null. */
export function memoryTotalFromLshw(nodes: LshwNode[]): number | null {
  const arrays = nodes.filter((n) => n.class === 'memory' && /^system memory$/i.test(n.description ?? '') && typeof n.size === 'number');
  return arrays.length ? arrays.reduce((sum, n) => sum + n.size!, 0) : null;
}

/** bank:N nodes with a size; empty slots have none ("[empty]"). */
export function memoryModulesFromLshw(nodes: LshwNode[]): MemoryModule[] {
  return nodes
    .filter((n) => n.class === 'memory' && /^bank/.test(n.id ?? '') && typeof n.size === 'number' && n.size > 0)
    .map((n) => ({
      slot: text(n.slot) ?? n.id!,
      sizeBytes: n.size!,
      // lshw folds SMBIOS fields into one description: "DIMM DDR4 Synchronous Registered (Buffered) 2933 MHz (0.3 ns)".
      type: /\b((?:LP)?DDR\d*|SDRAM|DRAM)\b/.exec(n.description ?? '')?.[1] ?? null,
      speedMts: typeof n.clock === 'number' ? Math.round(n.clock / 1e6) : null,
      vendor: text(n.vendor),
      serial: text(n.serial),
      partNumber: text(n.product),
    }));
}
