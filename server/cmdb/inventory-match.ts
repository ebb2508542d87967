/**
 * Which asset an inventory report is about. Pure. Each identifier that agrees adds its weight; an
 * identifier both sides hold that disagrees rules the candidate out (another machine that shares a
 * MAC or a cloned machine id). Junk values never count (machine-identifiers.ts), so two machines
 * with "To Be Filled By O.E.M." serials are never merged.
 *
 *   agent already linked to the asset   decides alone
 *   system UUID 4, serial 3, machine id 2, each MAC 1 (at most 3)
 *   a match needs 3 points and a clear lead over the runner-up
 */
import type { MachineIdentifiers } from './machine-identifiers.js';

export const WEIGHTS = { uuid: 4, serial: 3, machineId: 2, mac: 1, macCap: 3 } as const;
export const MATCH_THRESHOLD = 3;

export interface MatchCandidate {
  id: string;
  agentId: string | null;
  ids: MachineIdentifiers;
}

export type MatchResult =
  | { kind: 'matched'; assetId: string; score: number; why: string }
  | { kind: 'unknown'; note: string };

export function scoreCandidate(report: MachineIdentifiers, c: MachineIdentifiers): { score: number; conflict: string | null; why: string[] } {
  const why: string[] = [];
  let score = 0;
  for (const k of ['uuid', 'serial', 'machineId'] as const) {
    const a = report[k];
    const b = c[k];
    if (!a || !b) continue;
    if (a !== b) return { score: 0, conflict: `${k} differs`, why };
    score += WEIGHTS[k];
    why.push(k);
  }
  const shared = report.macs.filter((m) => c.macs.includes(m)).length;
  if (shared) {
    score += Math.min(shared * WEIGHTS.mac, WEIGHTS.macCap);
    why.push(`${shared} mac`);
  }
  return { score, conflict: null, why };
}

export function matchInventory(agentId: string, report: MachineIdentifiers, candidates: readonly MatchCandidate[]): MatchResult {
  const linked = candidates.find((c) => c.agentId === agentId);
  if (linked) return { kind: 'matched', assetId: linked.id, score: Infinity, why: 'agent linked' };
  const scored = candidates
    .map((c) => ({ c, ...scoreCandidate(report, c.ids) }))
    .filter((s) => !s.conflict && s.score >= MATCH_THRESHOLD)
    .sort((a, b) => b.score - a.score);
  if (!scored.length) {
    const conflicts = candidates.length ? `; ${candidates.length} asset(s) shared an identifier but disagreed on another or scored below ${MATCH_THRESHOLD}` : '';
    return { kind: 'unknown', note: `no asset matches${conflicts}` };
  }
  if (scored.length > 1 && scored[1].score === scored[0].score) {
    return { kind: 'unknown', note: `ambiguous: assets ${scored.filter((s) => s.score === scored[0].score).map((s) => s.c.id).join(', ')} match equally` };
  }
  return { kind: 'matched', assetId: scored[0].c.id, score: scored[0].score, why: scored[0].why.join(' + ') };
}
