/**
 * A connection storm against a database that is stuck: 1,000 agents connect while a lock on the
 * agents and hosts tables is held. Their keys are in the gateway's memory, so every one is welcomed
 * and its hello acknowledged while the lock is still held (the lock is released only once all are);
 * none is refused with 4016, and each gets its configuration once the database answers again.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentLink } from '../../agent/link.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { until } from '../support/until.js';

const AGENTS = 1000;
let t: TestServer;

beforeAll(async () => {
  t = await startTestServer({ AW_AUTO_APPROVE: 'true' });
});
afterAll(async () => {
  await t?.close();
});

describe('a connection storm while the database is stuck', () => {
  it(`admits ${AGENTS} agents whose keys are known without waiting on the database`, async () => {
    const agents = Array.from({ length: AGENTS }, (_, i) => ({ agentId: randomUUID(), hostId: randomUUID(), secret: randomBytes(32), hostname: `storm-${i}` }));
    await t.server.deps.db.tx(async (q) => {
      await q.query('INSERT INTO hosts (id, hostname) SELECT * FROM unnest($1::uuid[], $2::text[])', [
        agents.map((a) => a.hostId),
        agents.map((a) => a.hostname),
      ]);
      await q.query(
        `INSERT INTO agents (id, host_id, secret, state, hostname, agent_version, os, approved_at, approved_by)
         SELECT a, h, s, 'active', n, 'test', 'linux', now(), 'test' FROM unnest($1::uuid[], $2::uuid[], $3::bytea[], $4::text[]) AS u(a, h, s, n)`,
        [agents.map((a) => a.agentId), agents.map((a) => a.hostId), agents.map((a) => a.secret), agents.map((a) => a.hostname)],
      );
    });
    // What a server start does: every agent's key into memory.
    expect(await t.server.deps.gateway.keys.load()).toBeGreaterThanOrEqual(AGENTS);

    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    let locked!: () => void;
    const lockTaken = new Promise<void>((r) => (locked = r));
    const lock = t.server.deps.db.tx(async (q) => {
      await q.query('LOCK TABLE agents, hosts IN ACCESS EXCLUSIVE MODE');
      locked();
      await released;
    });
    await lockTaken;

    const helloAcked: string[] = [];
    const configured = new Set<string>();
    const closes: number[] = [];
    const links = agents.map((a) => {
      const link = new AgentLink({ url: t.ws, credentials: a, hello: { agentVersion: 'test', hostname: a.hostname } });
      link.once('ack', (ack) => ack.seq === 1 && helloAcked.push(a.agentId));
      link.once('config', () => configured.add(a.agentId));
      link.once('close', (code) => closes.push(code));
      return link;
    });
    try {
      // All admitted while the database is still stuck: the lock is held until they are.
      await until(`${AGENTS} hellos acknowledged while the database is locked`, () => helloAcked.length === AGENTS, 60_000);
      release();
      await lock;
      await until(`${AGENTS} configurations`, () => configured.size === AGENTS, 60_000);
      expect(closes).toEqual([]);
      expect(t.server.deps.gateway.stats.rejections.SERVER_UNAVAILABLE).toBeUndefined();
    } finally {
      release();
      for (const l of links) l.close();
    }
  }, 120_000);
});
