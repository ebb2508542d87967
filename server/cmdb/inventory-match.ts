/**
 * Which asset an inventory report is about. Pure. Each identifier that agrees adds its weight; an
 * identifier both sides hold that disagrees rules the candidate out (another machine that shares a
 * MAC or a cloned machine id). Junk values never count (machine-identifiers.ts), so two machines
 * with "To Be Filled By O.E.M." serials are never merged.
 *
 *   agent already linked to the asset   decides alone
 *   system UUID 4, serial 3, machine id 2, each MAC 1 (at most 3)
 *   a match needs 3 points and a clear lead over the runner-up
 *
 * Identifiers prove nothing (any viewer can read an asset's UUID and serial), so a match with an asset
 * linked to another agent is only a claim, and a pending agent's report changes nothing by itself:
 * `intakeDecision` sends both to the approval queue.
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
  | { kind: 'claims-other-agent'; assetId: string; ownerAgentId: string; score: number; why: string }
  | { kind: 'unknown'; note: string };

/** Why a report waits for an operator instead of being applied (asset_approvals.queue_reasons). */
export type QueueReason = 'no_match' | 'agent_pending' | 'claims_asset_of_other_agent';

export type IntakeDecision = { kind: 'apply'; assetId: string } | { kind: 'queue'; reasons: QueueReason[]; proposedAssetId: string | null; note: string };

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
    const conflicts = candidates.length
      ? `; ${candidates.length} asset(s) shared an identifier but disagreed on another or scored below ${MATCH_THRESHOLD}`
      : '';
    return { kind: 'unknown', note: `no asset matches${conflicts}` };
  }
  if (scored.length > 1 && scored[1].score === scored[0].score) {
    return {
      kind: 'unknown',
      note: `ambiguous: assets ${scored
        .filter((s) => s.score === scored[0].score)
        .map((s) => s.c.id)
        .join(', ')} match equally`,
    };
  }
  const best = scored[0];
  const why = best.why.join(' + ');
  if (best.c.agentId) return { kind: 'claims-other-agent', assetId: best.c.id, ownerAgentId: best.c.agentId, score: best.score, why };
  return { kind: 'matched', assetId: best.c.id, score: best.score, why };
}

/** Only an approved agent's report about its own (or a not yet linked) asset is applied without an operator. */
export function intakeDecision(match: MatchResult, agentActive: boolean): IntakeDecision {
  if (match.kind === 'matched' && agentActive) return { kind: 'apply', assetId: match.assetId };
  const queue = (reason: QueueReason | null, proposedAssetId: string | null, note: string): IntakeDecision => ({
    kind: 'queue',
    reasons: [...(agentActive ? [] : ['agent_pending' as const]), ...(reason ? [reason] : [])],
    proposedAssetId,
    note: agentActive ? note : `agent waits for approval; ${note}`,
  });
  if (match.kind === 'unknown') return queue('no_match', null, match.note);
  const matched = `matches asset ${match.assetId} (${match.why})`;
  if (match.kind === 'claims-other-agent')
    return queue('claims_asset_of_other_agent', match.assetId, `${matched}, which is linked to agent ${match.ownerAgentId}`);
  return queue(null, match.assetId, matched);
}
