/**
 * GET /api/v1/overview against a real server: the busiest hosts by CPU, memory and disk from points
 * that went through the ingest pipeline (line protocol, as Telegraf sends), with their names; the
 * inventory waiting for approval; the ingest rate history.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServer } from './api-client.js';
import { enrollAgent } from '../support/server.js';
import { until } from '../support/until.js';

describe('overview', () => {
  let t: ApiServer;
  beforeAll(async () => {
    t = await startApiServer();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('names the busiest hosts by CPU, memory and fullest disk, and counts inventory waiting for approval', async () => {
    const usage: [string, number, number, number][] = [
      ['quiet', 5, 20, 10],
      ['busy', 97, 40, 50],
      ['full', 30, 88, 99],
      ['mid', 60, 60, 60],
    ];
    for (const [name] of usage) expect((await t.call('POST', '/api/v1/hosts', { headers: t.admin.auth, body: { hostname: name } })).status).toBe(201);
    const lines = usage.flatMap(([h, cpu, mem, disk]) => [
      `cpu,host=${h},cpu=total usage_pct=${cpu}`,
      `mem,host=${h} used_pct=${mem}`,
      `fs,host=${h},mount=/ used_pct=${disk / 2}`,
      `fs,host=${h},mount=/data used_pct=${disk}`,
    ]);
    const w = await t.call('POST', '/api/v1/write', { headers: { ...t.admin.auth, 'content-type': 'text/plain' }, raw: lines.join('\n') });
    expect(w.status, JSON.stringify(w.body)).toBe(204);
    // An agent's inventory that matched no asset waits in the CMDB queue.
    const agent = await enrollAgent(t, 'waiting-01');
    await t.server.deps.db.query(
      `INSERT INTO asset_approvals (id, agent_id, host_id, state, hostname, report) VALUES (gen_random_uuid(), $1, $2, 'pending', 'waiting-01', '{}')`,
      [agent.agentId, agent.hostId],
    );

    let o: any;
    await until(
      'the overview to rank the hosts',
      async () => {
        o = (await t.call('GET', '/api/v1/overview', { headers: t.admin.auth })).body.data;
        return o.busiest.cpu.length === 4;
      },
      10_000,
    );
    const names = (k: string) => o.busiest[k].map((e: any) => `${e.hostname}:${e.value}`);
    expect(names('cpu')).toEqual(['busy:97', 'mid:60', 'full:30', 'quiet:5']);
    expect(names('memory')).toEqual(['full:88', 'mid:60', 'busy:40', 'quiet:20']);
    expect(names('disk')).toEqual(['full:99', 'mid:60', 'busy:50', 'quiet:10']);
    expect(o.inventory_pending).toBe(1);
    expect(Array.isArray(o.ingest.history)).toBe(true);
  });
});
