/**
 * Inventory intake end to end: a real agent runtime sends the report collected from this machine's
 * captured outputs (agent/collect/fixtures/vm) over the real gateway; an admin approves it; then the
 * agent's next check sees a changed machine (one disk removed, memory doubled) and exactly those two
 * changes come back from the asset's timeline, with source "agent".
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentRuntime } from '../../agent/runtime.js';
import { collectInventory } from '../../agent/collect/inventory/collect-inventory.js';
import { fixedHost, fixtureFiles, fixtureRunner, fixtureText, physicalServerFixture, succeeded } from '../support/fixture-host.js';
import type { InventoryReport } from '../../protocol/inventory-report.js';
import { enrollAgent } from '../support/server.js';
import { startApiServer, type ApiServer } from '../api/api-client.js';
import { testRuntime } from '../support/agent-runtime.js';

const GiB = 2 ** 30;

const until = async <T>(what: string, probe: () => Promise<T | undefined>, ms = 20_000): Promise<T> => {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
};

async function vmReport(): Promise<InventoryReport> {
  const run = fixtureRunner({
    dmidecode: {
      ok: false,
      stdout: await fixtureText('vm/commands/dmidecode.stdout'),
      stderr: await fixtureText('vm/commands/dmidecode.stderr'),
      exitCode: 1,
      failure: 'exit-code',
    },
    lshw: succeeded(await fixtureText('vm/commands/lshw.json')),
    lsblk: succeeded(await fixtureText('vm/commands/lsblk.json')),
    ip: succeeded(await fixtureText('vm/commands/ip-addr.json')),
    lspci: succeeded(await fixtureText('vm/commands/lspci-mm.txt')),
  });
  return collectInventory({ run, ...fixtureFiles('vm'), host: fixedHost({ hostname: () => 'vm', release: () => '6.18.44-fc-v669' }), now: () => Date.now() });
}

async function physicalReport(): Promise<InventoryReport> {
  const { run, files, host } = await physicalServerFixture();
  return collectInventory({ run, ...files, host, now: () => 0 });
}

describe('inventory intake', () => {
  let t: ApiServer;
  const runtimes: AgentRuntime[] = [];
  const as = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<any> =>
    t.call(method, path, { body, headers: { ...t.admin.auth, ...headers } });

  beforeAll(async () => {
    t = await startApiServer({ AW_AUTO_APPROVE: 'true', AW_AGENT_INTERVAL_S: '1' });
  });
  afterAll(async () => {
    for (const r of runtimes) r.stop();
    await t?.close();
  });

  it('a real agent: unknown machine queued, approved into an asset; a disk removed and memory doubled come back as exactly two agent changes', async () => {
    const enrolled = await enrollAgent(t, 'vm');
    let report = await vmReport();
    const runtime = testRuntime(t.ws, enrolled, {
      hello: { agentVersion: 'test', hostname: 'vm' },
      inventory: async () => ({ ...report, collectedAt: Date.now() }) as unknown as Record<string, unknown>,
      inventoryCheckMs: 300,
    });
    runtimes.push(runtime);
    runtime.start();

    const pending = await until('the report in the approval queue', async () =>
      (await as('GET', '/api/v1/approvals?state=pending')).body.data.find((p: any) => p.agent_id === enrolled.agentId),
    );
    expect(pending).toMatchObject({ hostname: 'vm', machine_id: '3d1219c7c4c5404aaa1f6d2a48adfda4', host_id: enrolled.hostId, match_note: 'no asset matches' });
    const approved = await as('POST', `/api/v1/approvals/${pending.id}/approve`, {});
    expect(approved.status).toBe(200);
    const assetId = approved.body.data.asset_id;
    const asset = (await as('GET', `/api/v1/assets/${assetId}`)).body.data;
    expect(asset).toMatchObject({
      type: 'vm',
      name: 'vm',
      state: 'online',
      hostname: 'vm',
      memory_bytes: 24 * GiB,
      os_name: 'Debian GNU/Linux',
      agent_id: enrolled.agentId,
      host_id: enrolled.hostId,
    });
    const comps = (await as('GET', `/api/v1/assets/${assetId}/components`)).body.data;
    expect(comps.map((c: any) => `${c.kind}[${c.slot}]`)).toEqual(['cpu[0]', 'disk[vda]', 'nic[eth0]']);
    expect((await as('GET', '/api/v1/assets?q=192.0.2.2')).body.data.map((a: any) => a.id)).toEqual([assetId]);
    const before = (await as('GET', `/api/v1/assets/${assetId}/changes`)).body.data.length;

    const vda = report.disks[0];
    report = { ...report, disks: [], memory: { ...report.memory, totalBytes: 48 * GiB } };
    const changes = await until('the changed report applied', async () => {
      const all = (await as('GET', `/api/v1/assets/${assetId}/changes`)).body.data;
      return all.length > before ? all.slice(before) : undefined;
    });
    await new Promise((r) => setTimeout(r, 1500)); // later unchanged checks must add nothing
    const after = (await as('GET', `/api/v1/assets/${assetId}/changes`)).body.data.slice(before);
    expect(after).toEqual(changes);
    expect(after.map((c: any) => [c.action, c.field, c.old_value, c.new_value, c.source, c.actor_kind, c.actor_id])).toEqual([
      ['update', 'memory_bytes', 24 * GiB, 48 * GiB, 'agent', 'agent', enrolled.agentId],
      [
        'delete',
        'disk[vda]',
        { model: vda.model, serial: vda.serial, size_bytes: vda.sizeBytes, type: vda.type, rotational: vda.rotational, wwn: vda.wwn },
        null,
        'agent',
        'agent',
        enrolled.agentId,
      ],
    ]);
    expect((await as('GET', `/api/v1/assets/${assetId}/components`)).body.data.map((c: any) => c.slot)).toEqual(['0', 'eth0']);
  });

  it('two machines sharing a junk serial and UUID are never merged; a real serial matches a hand-made asset', async () => {
    const intake = t.server.deps.cmdb!.intake;
    const base = await physicalReport();
    const junk = (mac: string, mid: string): InventoryReport => ({
      ...base,
      system: { ...base.system, serial: 'To Be Filled By O.E.M.', uuid: '03000200-0400-0500-0006-000700080009', machineId: mid },
      nics: [{ ...base.nics[0], mac }],
    });
    const a1 = await enrollAgent(t, 'junk1');
    const a2 = await enrollAgent(t, 'junk2');
    const r1 = await intake.intake(a1, junk('3c:ec:ef:00:00:01', '11111111111111111111111111111111'));
    const approvedA = (await as('POST', `/api/v1/approvals/${(r1 as any).approvalId}/approve`, { type: 'server' })).body.data;
    const r2 = await intake.intake(a2, junk('3c:ec:ef:00:00:02', '22222222222222222222222222222222'));
    expect(r2.kind).toBe('queued');
    const approvedB = (await as('POST', `/api/v1/approvals/${(r2 as any).approvalId}/approve`, {})).body.data;
    expect(approvedB.asset_id).not.toBe(approvedA.asset_id);
    expect((await as('GET', `/api/v1/assets/${approvedA.asset_id}`)).body.data.serial).toBeNull();

    // Registered by hand with its serial, then reported: matched, no approval, the agent linked.
    const hand = (await as('POST', '/api/v1/assets', { type: 'server', name: 'db01-by-hand', serial: 'S292395X0A17654', state: 'online', idc: 'bj1' })).body
      .data;
    const a3 = await enrollAgent(t, 'db01');
    const r3 = await intake.intake(a3, base);
    expect(r3).toMatchObject({ kind: 'updated', assetId: hand.id });
    const linked = (await as('GET', `/api/v1/assets/${hand.id}`)).body.data;
    expect(linked).toMatchObject({ name: 'db01-by-hand', idc: 'bj1', vendor: 'Supermicro', agent_id: a3.agentId, host_id: a3.hostId, memory_bytes: 384 * GiB });
    const kinds = (await as('GET', `/api/v1/assets/${hand.id}/components`)).body.data.map((c: any) => c.kind);
    expect(kinds.filter((k: string) => k === 'memory')).toHaveLength(12);
    expect(new Set(kinds)).toEqual(new Set(['cpu', 'memory', 'disk', 'nic', 'raid', 'gpu', 'psu']));
    // the same report again changes nothing
    expect(await intake.intake(a3, base)).toEqual({ kind: 'updated', assetId: hand.id, changes: 0 });
  });

  it('a rejected machine queues nothing more; a report that does not fit is refused whole', async () => {
    const cmdb = t.server.deps.cmdb!;
    const a = await enrollAgent(t, 'rejectme');
    const report = {
      ...(await vmReport()),
      system: { vendor: null, model: null, serial: null, uuid: null, machineId: 'abababababababababababababababab', hostname: 'rejectme' },
      nics: [],
    };
    const q = await cmdb.intake.intake(a, report);
    const rej = await as('POST', `/api/v1/approvals/${(q as any).approvalId}/reject`, { reason: 'lab box' });
    expect(rej.body.data.state).toBe('rejected');
    expect((await cmdb.intake.intake(a, report)).kind).toBe('rejected-before');
    expect((await as('GET', `/api/v1/approvals/${(q as any).approvalId}`)).body.data.reports).toBe(2);
    expect((await as('POST', `/api/v1/approvals/${(q as any).approvalId}/approve`, {})).body.error.code).toBe('APPROVAL_DECIDED');
    await expect(cmdb.onInventory(a, { system: { serial: 5 } })).rejects.toMatchObject({ code: 'INVENTORY_INVALID' });
  });
});
