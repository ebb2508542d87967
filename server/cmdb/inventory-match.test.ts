import { describe, expect, it } from 'vitest';
import { machineIdentifiers, isJunkMac } from './machine-identifiers.js';
import { intakeDecision, matchInventory, type MatchCandidate } from './inventory-match.js';

const ids = (serial: string | null, uuid: string | null, machineId: string | null, macs: string[] = []) =>
  machineIdentifiers({ serial, uuid, machineId }, macs);
const cand = (id: string, i: ReturnType<typeof ids>, agentId: string | null = null): MatchCandidate => ({ id, agentId, ids: i });

describe('matchInventory', () => {
  it('matches by serial or UUID alone, case-insensitively', () => {
    const a = cand('a', ids('S292395X0A17654', null, null));
    expect(matchInventory('ag', ids('s292395x0a17654', null, null), [a])).toMatchObject({ kind: 'matched', assetId: 'a' });
    const b = cand('b', ids(null, '4C4C4544-0042-3510-8052-B4C04F4D3732', null));
    expect(matchInventory('ag', ids(null, '4c4c4544-0042-3510-8052-b4c04f4d3732', null), [b])).toMatchObject({ kind: 'matched', assetId: 'b' });
  });

  it('never merges two machines on a junk serial, UUID or machine id', () => {
    const junk = ids('To Be Filled By O.E.M.', '03000200-0400-0500-0006-000700080009', 'uninitialized');
    expect(junk).toEqual({ serial: null, uuid: null, machineId: null, macs: [] });
    const other = cand('a', ids('Default string', '00000000-0000-0000-0000-000000000000', null, ['aa:bb:cc:00:00:01']));
    expect(matchInventory('ag', ids('Default string', '00000000-0000-0000-0000-000000000000', null, ['aa:bb:cc:00:00:02']), [other]).kind).toBe('unknown');
    expect(matchInventory('ag', ids('0123456789', null, null), [cand('x', ids('0123456789', null, null))]).kind).toBe('unknown');
  });

  it('a shared machine id (cloned image) is not enough; with a MAC it is; a differing serial rules out', () => {
    const mid = '3d1219c7c4c5404aaa1f6d2a48adfda4';
    const asset = cand('a', ids(null, null, mid, ['02:fc:00:00:00:01']));
    expect(matchInventory('ag', ids(null, null, mid, ['02:fc:00:00:00:99']), [asset]).kind).toBe('unknown');
    expect(matchInventory('ag', ids(null, null, mid, ['02:fc:00:00:00:01']), [asset])).toMatchObject({ kind: 'matched', assetId: 'a', score: 3 });
    const serialed = cand('s', ids('SN-A', null, mid, ['02:fc:00:00:00:01']));
    expect(matchInventory('ag', ids('SN-B', null, mid, ['02:fc:00:00:00:01']), [serialed]).kind).toBe('unknown');
  });

  it('the agent an asset is linked to decides; a tie is ambiguous', () => {
    expect(matchInventory('ag', ids(null, null, null), [cand('a', ids(null, null, null), 'ag')])).toMatchObject({ kind: 'matched', assetId: 'a' });
    const twins = [cand('a', ids('SN1', null, null)), cand('b', ids('SN1', null, null))];
    expect(matchInventory('ag', ids('SN1', null, null), twins)).toMatchObject({ kind: 'unknown', note: expect.stringContaining('ambiguous') });
  });

  it('a match with an asset linked to another agent is a claim, queued; a pending agent applies nothing', () => {
    const serial = ids('SN1', '4c4c4544-0042-3510-8052-b4c04f4d3732', null);
    const claim = matchInventory('intruder', serial, [cand('a', serial, 'owner')]);
    expect(claim).toMatchObject({ kind: 'claims-other-agent', assetId: 'a', ownerAgentId: 'owner' });
    expect(intakeDecision(claim, true)).toEqual({
      kind: 'queue',
      reasons: ['claims_asset_of_other_agent'],
      proposedAssetId: 'a',
      note: 'matches asset a (uuid + serial), which is linked to agent owner',
    });
    expect(intakeDecision(claim, false)).toMatchObject({
      reasons: ['agent_pending', 'claims_asset_of_other_agent'],
      note: expect.stringMatching(/^agent waits for approval; /),
    });

    const own = matchInventory('owner', serial, [cand('a', serial, 'owner')]);
    expect(intakeDecision(own, true)).toEqual({ kind: 'apply', assetId: 'a' });
    expect(intakeDecision(own, false)).toMatchObject({ kind: 'queue', reasons: ['agent_pending'], proposedAssetId: 'a' });
    const unlinked = matchInventory('new', serial, [cand('a', serial)]);
    expect(intakeDecision(unlinked, true)).toEqual({ kind: 'apply', assetId: 'a' });
    expect(intakeDecision(matchInventory('new', serial, []), false)).toMatchObject({ reasons: ['agent_pending', 'no_match'], proposedAssetId: null });
  });

  it('ignores junk MACs', () => {
    expect(['00:00:00:00:00:00', 'ff:ff:ff:ff:ff:ff', '01:00:5e:00:00:01', 'zz', null].every(isJunkMac)).toBe(true);
    expect(isJunkMac('3c:ec:ef:1a:2b:3c')).toBe(false);
  });
});
