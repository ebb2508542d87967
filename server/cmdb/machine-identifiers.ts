/**
 * The identifiers an inventory report offers for matching, with the placeholders firmware and OS
 * images ship removed. The agent's list of junk values (protocol/junk-identifier.ts) is
 * the one source of truth; the server adds MAC addresses, which the agent does not judge.
 */
import { isJunkIdentifier } from '../../protocol/junk-identifier.js';

export interface MachineIdentifiers {
  serial: string | null;
  uuid: string | null;
  machineId: string | null;
  macs: string[];
}

/** All-zero, broadcast and multicast MACs are shared by many machines or by none. */
export function isJunkMac(mac: string | null | undefined): boolean {
  const m = (mac ?? '').trim().toLowerCase();
  if (!/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/.test(m)) return true;
  if (m === '00:00:00:00:00:00' || m === 'ff:ff:ff:ff:ff:ff') return true;
  return (parseInt(m.slice(0, 2), 16) & 1) === 1;
}

export const usableSerial = (s: string | null | undefined) => (s && !isJunkIdentifier('serial', s) ? s.trim().toLowerCase() : null);
export const usableUuid = (u: string | null | undefined) =>
  u && !isJunkIdentifier('uuid', u)
    ? u
        .trim()
        .toLowerCase()
        .replace(/^\{|\}$/g, '')
    : null;
export const usableMachineId = (m: string | null | undefined) => (m && !isJunkIdentifier('machineId', m) ? m.trim().toLowerCase() : null);

export function machineIdentifiers(
  system: { serial: string | null; uuid: string | null; machineId: string | null },
  macs: (string | null)[],
): MachineIdentifiers {
  return {
    serial: usableSerial(system.serial),
    uuid: usableUuid(system.uuid),
    machineId: usableMachineId(system.machineId),
    macs: [...new Set(macs.filter((m): m is string => !isJunkMac(m)).map((m) => m.toLowerCase()))].sort(),
  };
}
