/**
 * What an inventory report says about an asset, and how that differs from what the CMDB holds. Pure.
 * Fields the report leaves unknown (null) never erase what someone entered by hand; components the
 * agent reported before and no longer does are gone; components entered by hand stay.
 */
import type { InventoryReport } from '../../protocol/inventory-report.js';
import { fieldChanges, stableJson, type AssetFields, type FieldChange } from './asset-fields.js';
import type { ComponentKind } from './assets.js';
import { usableMachineId, usableSerial, usableUuid } from './machine-identifiers.js';

export interface ReportedComponent {
  kind: ComponentKind;
  slot: string;
  attrs: Record<string, unknown>;
}

export interface HeldComponent extends ReportedComponent {
  id: string;
  source: string;
}

/** The asset fields a report fills; identifiers only when they are not junk. */
export function reportFields(r: InventoryReport): Partial<AssetFields> {
  const out: Partial<AssetFields> = {
    vendor: r.system.vendor,
    model: r.system.model,
    serial: usableSerial(r.system.serial) ? r.system.serial : null,
    systemUuid: usableUuid(r.system.uuid),
    machineId: usableMachineId(r.system.machineId),
    hostname: r.system.hostname || null,
    osName: r.os.name,
    osVersion: r.os.version,
    kernel: r.os.kernel,
    arch: r.os.arch,
    memoryBytes: r.memory.totalBytes ?? (r.memory.modules.length ? r.memory.modules.reduce((s, m) => s + m.sizeBytes, 0) : null),
  };
  return Object.fromEntries(Object.entries(out).filter(([, v]) => v !== null && v !== undefined)) as Partial<AssetFields>;
}

/** A guess for a machine an admin approves without saying: no firmware identity or only virtual disks is a VM. */
export function guessAssetType(r: InventoryReport): 'vm' | 'server' {
  const virtualModel = /virtual|kvm|qemu|vmware|hyper-v|xen|firecracker|bochs/i.test(`${r.system.vendor ?? ''} ${r.system.model ?? ''}`);
  const allVirtualDisks = r.disks.length > 0 && r.disks.every((d) => d.type === 'virtual');
  return virtualModel || allVirtualDisks || (!r.system.serial && !r.system.uuid) ? 'vm' : 'server';
}

/** The report's components, keyed by kind and slot. Attribute names are snake_case like the rest of the API. */
export function reportComponents(r: InventoryReport): ReportedComponent[] {
  const out: ReportedComponent[] = [];
  const add = (kind: ComponentKind, slot: string, attrs: Record<string, unknown>) => {
    let s = slot;
    for (let n = 2; out.some((c) => c.kind === kind && c.slot === s); n++) s = `${slot}#${n}`;
    out.push({ kind, slot: s, attrs });
  };
  for (const c of r.cpus) add('cpu', c.socket, { model: c.model, cores: c.cores, threads: c.threads, mhz: c.mhz });
  for (const m of r.memory.modules) {
    add('memory', m.slot, { size_bytes: m.sizeBytes, type: m.type, speed_mts: m.speedMts, vendor: m.vendor, serial: m.serial, part_number: m.partNumber });
  }
  for (const d of r.disks)
    add('disk', d.name, { model: d.model, serial: d.serial, size_bytes: d.sizeBytes, type: d.type, rotational: d.rotational, wwn: d.wwn });
  for (const n of r.nics) add('nic', n.name, { mac: n.mac, ips: n.ips, speed_mbps: n.speedMbps, driver: n.driver });
  for (const a of r.raid ?? []) {
    if (a.kind === 'software') add('raid', a.name, { kind: 'software', level: a.level, members: a.members, state: a.state, size_bytes: a.sizeBytes });
    else add('raid', a.pciSlot, { kind: 'hardware', vendor: a.vendor, model: a.model });
  }
  for (const g of r.gpus ?? []) add('gpu', g.pciSlot, { vendor: g.vendor, model: g.model });
  (r.psus ?? []).forEach((p, i) =>
    add('psu', p.name ?? `psu${i}`, { vendor: p.vendor, model: p.model, serial: p.serial, max_watts: p.maxWatts, status: p.status }),
  );
  return out;
}

export interface ComponentDiff {
  added: ReportedComponent[];
  removed: HeldComponent[];
  changed: { held: HeldComponent; attrs: Record<string, unknown>; changes: FieldChange[] }[];
}

export function diffComponents(held: readonly HeldComponent[], reported: readonly ReportedComponent[]): ComponentDiff {
  const key = (c: { kind: string; slot: string }) => `${c.kind}\u0000${c.slot}`;
  const heldBy = new Map(held.map((h) => [key(h), h]));
  const reportedKeys = new Set(reported.map(key));
  const diff: ComponentDiff = { added: [], removed: [], changed: [] };
  for (const r of reported) {
    const h = heldBy.get(key(r));
    if (!h) diff.added.push(r);
    else if (stableJson(h.attrs) !== stableJson(r.attrs)) {
      const fields = [...new Set([...Object.keys(h.attrs), ...Object.keys(r.attrs)])].sort();
      diff.changed.push({ held: h, attrs: r.attrs, changes: fieldChanges(h.attrs, r.attrs, fields) });
    }
  }
  // What someone entered by hand is theirs: the agent removes only what the agent reported.
  for (const h of held) if (h.source === 'agent' && !reportedKeys.has(key(h))) diff.removed.push(h);
  return diff;
}
