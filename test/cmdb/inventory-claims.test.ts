/**
 * Who may change an asset an agent reports (issue 16, finding 4): only the agent it is linked to. A
 * report from another agent that matches it, and anything a pending agent reports, wait in the approval
 * queue with the reason; the asset, its link and its components stay as they were until an operator
 * approves, and the approval moves the link with a change record naming the operator.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentRuntime } from '../../agent/runtime.js';
import { collectInventory } from '../../agent/collect/inventory/collect-inventory.js';
import { physicalServerFixture } from '../support/fixture-host.js';
import type { InventoryReport } from '../../protocol/inventory-report.js';
import { enrollAgent, type EnrolledAgent } from '../support/server.js';
import { startApiServer, type ApiServer } from '../api/api-client.js';
import { testRuntime } from '../support/agent-runtime.js';

const until = async <T>(what: string, probe: () => Promise<T | undefined>, ms = 20_000): Promise<T> => {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
};

describe('inventory claims on another agent’s asset', () => {
  let t: ApiServer;
  let base: InventoryReport;
  const runtimes: AgentRuntime[] = [];
  const as = (method: string, path: string, body?: unknown): Promise<any> => t.call(method, path, { body, headers: t.admin.auth });

  /** The physical fixture with identifiers of its own (n), so tests do not match each other's assets. */
  const machine = (n: number): InventoryReport => ({
    ...base,
    system: {
      ...base.system,
      serial: `SN-CLAIM-${n}`,
      uuid: `4c4c4544-0000-0000-0000-00000000000${n}`,
      machineId: `a8c2f1d47e3b49b6a1f0c9d8e7b6a5f${n}`,
      hostname: `host${n}`,
    },
    nics: [{ ...base.nics[0], mac: `3c:ec:ef:00:00:0${n}` }],
  });
  const activeAgent = async (hostname: string): Promise<EnrolledAgent> => {
    const a = await enrollAgent(t, hostname);
    expect((await as('POST', `/api/v1/agents/${a.agentId}/approve`)).status).toBe(200);
    return a;
  };
  /** An approved agent whose report an operator approved into an asset: the asset's snapshot. */
  const ownedAsset = async (owner: EnrolledAgent, report: InventoryReport) => {
    const queued = await t.server.deps.cmdb!.onInventory(owner, report as unknown as Record<string, unknown>).then(() => pendingOf(owner.agentId));
    const assetId = (await as('POST', `/api/v1/approvals/${queued.id}/approve`, { type: 'server' })).body.data.asset_id;
    return { assetId, ...(await snapshot(assetId)) };
  };
  const snapshot = async (assetId: string) => ({
    asset: (await as('GET', `/api/v1/assets/${assetId}`)).body.data,
    components: (await as('GET', `/api/v1/assets/${assetId}/components`)).body.data,
    changes: (await as('GET', `/api/v1/assets/${assetId}/changes?limit=500`)).body.data,
  });
  const pendingOf = async (agentId: string) => (await as('GET', '/api/v1/approvals?state=pending')).body.data.find((p: any) => p.agent_id === agentId);

  beforeAll(async () => {
    t = await startApiServer({ AW_AGENT_INTERVAL_S: '1' });
    const { run, files, host } = await physicalServerFixture();
    base = await collectInventory({ run, ...files, host, now: () => 0 });
  });
  afterAll(async () => {
    for (const r of runtimes) r.stop();
    await t?.close();
  });

  it('an approved agent reporting another agent’s UUID and serial changes nothing; an operator’s approval moves the link', async () => {
    const victim = await activeAgent('victim');
    const before = await ownedAsset(victim, machine(1));
    expect(before.asset).toMatchObject({ agent_id: victim.agentId, vendor: 'Supermicro' });

    // UUID and serial are readable by any viewer; the forger leaves out what would disagree.
    const attacker = await activeAgent('attacker');
    const forged: InventoryReport = {
      ...machine(1),
      system: { ...machine(1).system, vendor: 'Evil Corp', machineId: null },
      nics: [{ ...base.nics[0], mac: '3c:ec:ef:66:66:66' }],
      disks: [],
      gpus: [],
    };
    expect(await t.server.deps.cmdb!.intake.intake(attacker, forged)).toMatchObject({ kind: 'queued' });
    expect(await snapshot(before.assetId)).toEqual({ asset: before.asset, components: before.components, changes: before.changes });

    const claim = await pendingOf(attacker.agentId);
    expect(claim).toMatchObject({ queue_reasons: ['claims_asset_of_other_agent'], proposed_asset_id: before.assetId, serial: 'SN-CLAIM-1' });
    expect(claim.match_note).toContain(victim.agentId);

    // The owner still reports into its asset meanwhile.
    expect(await t.server.deps.cmdb!.intake.intake(victim, machine(1))).toEqual({ kind: 'updated', assetId: before.assetId, changes: 0 });

    const approved = await as('POST', `/api/v1/approvals/${claim.id}/approve`, {});
    expect(approved.body.data).toMatchObject({ state: 'approved', asset_id: before.assetId });
    const after = await snapshot(before.assetId);
    expect(after.asset).toMatchObject({ agent_id: attacker.agentId, vendor: 'Evil Corp' });
    const relink = after.changes.find((c: any) => c.field === 'agent_id' && c.new_value === attacker.agentId);
    expect(relink).toMatchObject({
      old_value: victim.agentId,
      actor_kind: 'user',
      actor_id: t.admin.id,
      source: 'agent',
      reason: `approval ${claim.id}: claims_asset_of_other_agent`,
    });
  });

  it('a pending agent with the same machine id and MAC changes nothing before approval (real agent over the gateway)', async () => {
    const owner = await activeAgent('owner');
    const before = await ownedAsset(owner, machine(2));

    const newcomer = await enrollAgent(t, 'newcomer');
    expect(newcomer.state).toBe('pending');
    const report: InventoryReport = { ...machine(2), system: { ...machine(2).system, serial: null, uuid: null, vendor: 'Reinstalled' }, disks: [] };
    const runtime = testRuntime(t.ws, newcomer, {
      hello: { agentVersion: 'test', hostname: 'newcomer' },
      inventory: async () => report as unknown as Record<string, unknown>,
      inventoryCheckMs: 300,
    });
    runtimes.push(runtime);
    runtime.start();

    // Whichever comes first: the report queued, or (the hole) the asset taken over.
    await until('the pending agent’s report handled', async () => {
      if (await pendingOf(newcomer.agentId)) return true;
      const now = (await as('GET', `/api/v1/assets/${before.assetId}`)).body.data;
      return now.version !== before.asset.version ? true : undefined;
    });
    expect(await snapshot(before.assetId)).toEqual({ asset: before.asset, components: before.components, changes: before.changes });
    const queued = await pendingOf(newcomer.agentId);
    expect(queued).toMatchObject({
      queue_reasons: ['agent_pending', 'claims_asset_of_other_agent'],
      proposed_asset_id: before.assetId,
      host_id: newcomer.hostId,
    });

    const approved = await as('POST', `/api/v1/approvals/${queued.id}/approve`, {});
    expect(approved.body.data).toMatchObject({ state: 'approved', asset_id: before.assetId });
    const after = await snapshot(before.assetId);
    expect(after.asset).toMatchObject({ agent_id: newcomer.agentId, vendor: 'Reinstalled' });
    expect(after.changes.find((c: any) => c.field === 'agent_id')).toMatchObject({
      old_value: owner.agentId,
      new_value: newcomer.agentId,
      actor_id: t.admin.id,
    });
  });

  it('a pending agent matching an unlinked asset proposes the link; once the agent is approved its report links as usual', async () => {
    const cmdb = t.server.deps.cmdb!;
    const hand = (await as('POST', '/api/v1/assets', { type: 'server', name: 'by-hand', serial: 'SN-CLAIM-3', state: 'online' })).body.data;
    const before = await snapshot(hand.id);
    const agent = await enrollAgent(t, 'host3');
    expect(await cmdb.intake.intake(agent, machine(3))).toMatchObject({ kind: 'queued' });
    expect(await snapshot(hand.id)).toEqual(before);
    expect(await pendingOf(agent.agentId)).toMatchObject({ queue_reasons: ['agent_pending'], proposed_asset_id: hand.id });

    // Nothing it says matches: a new asset is proposed, still nothing written.
    const lone = await enrollAgent(t, 'host4');
    expect(await cmdb.intake.intake(lone, machine(4))).toMatchObject({ kind: 'queued' });
    expect(await pendingOf(lone.agentId)).toMatchObject({ queue_reasons: ['agent_pending', 'no_match'], proposed_asset_id: null });

    await as('POST', `/api/v1/agents/${agent.agentId}/approve`);
    expect(await cmdb.intake.intake(agent, machine(3))).toMatchObject({ kind: 'updated', assetId: hand.id });
    expect((await as('GET', `/api/v1/assets/${hand.id}`)).body.data).toMatchObject({ agent_id: agent.agentId, vendor: 'Supermicro' });
    expect(await pendingOf(agent.agentId)).toBeUndefined();
  });
});
