/**
 * The gateway against hostile agents (issue 16's outside test), over real WebSockets and a real
 * database: forged sessions, poison labels, floods, malformed hellos, permanent refusals.
 */
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentLink } from '../../agent/link.js';
import { enrollAgent, startTestServer, type EnrolledAgent, type TestServer } from '../support/server.js';
import { until } from '../support/until.js';
import { CloseCode } from '../../protocol/close-codes.js';
import { HEADER_BYTES, decodePayload, encodeFrame, macPrefix, readHeader } from '../../protocol/frame.js';
import { MessageType, PROTOCOL_VERSION } from '../../protocol/messages.js';

let t: TestServer;

beforeAll(async () => {
  t = await startTestServer({ AW_AUTO_APPROVE: 'true' });
});
afterAll(async () => {
  await t?.close();
});

async function connect(agent: EnrolledAgent, hostname = 'honest') {
  const link = new AgentLink({ url: t.ws, credentials: agent, hello: { agentVersion: 'test', hostname } });
  await new Promise<void>((resolve, reject) => {
    link.once('config', () => resolve());
    link.once('close', (code, reason) => reject(new Error(`closed ${code} ${reason}`)));
  });
  const answers = new Map<number, { ok: boolean; code?: string; retryAfterMs?: number; message?: string }>();
  link.on('ack', (a) => answers.set(a.seq, { ok: true }));
  link.on('refused', (e) => e.seq !== undefined && answers.set(e.seq, { ok: false, code: e.code, retryAfterMs: e.retryAfterMs, message: e.message }));
  const closed = new Promise<number>((r) => link.once('close', (code) => r(code)));
  return { link, answers, closed };
}

const hostnameOf = async (agentId: string) =>
  (await t.server.deps.db.query<{ hostname: string }>('SELECT hostname FROM agents WHERE id = $1', [agentId])).rows[0].hostname;

describe('gateway against hostile agents', () => {
  it('acts on no frame sent before the welcome, whatever the id spelling (forged sessions)', async () => {
    // Enrolled after the server loaded its keys: its first connection waits on a database lookup.
    const victim = await enrollAgent(t, 'victim');
    // An attacker knows the victim's id, not its key. Frames tagged with an empty key and an empty
    // prefix are what a socket held before its lookup finished; the upper-cased id once dodged the
    // cache, and a busy database (a lock on agents held for 1.5 s) widens the window a lookup takes.
    const tries = 20;
    let accepted = 0;
    const codes: number[] = [];
    let locked!: () => void;
    const lockTaken = new Promise<void>((r) => (locked = r));
    const lock = t.server.deps.db.tx(async (q) => {
      await q.query('LOCK TABLE agents IN ACCESS EXCLUSIVE MODE');
      locked();
      await new Promise((r) => setTimeout(r, 1500));
    });
    await lockTaken;
    await Promise.all(
      Array.from({ length: tries }, async () => {
        const ws = new WebSocket(t.ws, { headers: { 'x-aw-agent': victim.agentId.toUpperCase() } });
        ws.on('error', () => undefined);
        ws.on('open', () => {
          const forged = (type: number, seq: number, msg: unknown) => encodeFrame(Buffer.alloc(0), Buffer.alloc(0), type as any, seq, Date.now(), msg);
          ws.send(forged(MessageType.hello, 1, { protocol: PROTOCOL_VERSION, agentVersion: 'evil', hostname: 'pwned', os: 'evil' }));
          ws.send(forged(MessageType.heartbeat, 2, {}));
        });
        ws.on('message', (data: Buffer) => {
          if (readHeader(data).type === MessageType.ack) accepted++;
        });
        codes.push(await new Promise<number>((r) => ws.on('close', (code) => r(code))));
      }),
    );
    await lock;
    expect(accepted).toBe(0);
    // Refused as a frame before the welcome (4000) or, when the welcome won the race, as a bad tag (4001).
    for (const code of codes) expect([CloseCode.PROTOCOL_VIOLATION, CloseCode.BAD_SIGNATURE]).toContain(code);
    // Every one of them was refused as a frame before the welcome.
    expect(codes.filter((c) => c === CloseCode.PROTOCOL_VIOLATION).length).toBeGreaterThan(0);
    expect(await hostnameOf(victim.agentId)).toBe('victim');
    expect(t.server.deps.gateway.isOnline(victim.agentId)).toBe(false);
    // The real agent is not harmed by any of it.
    const honest = await connect(victim, 'victim');
    expect(t.server.deps.gateway.isOnline(victim.agentId)).toBe(true);
    honest.link.close();
  });

  it('refuses an id that is not an agent id at once (4004), without asking the database', async () => {
    const ws = new WebSocket(t.ws, { headers: { 'x-aw-agent': "x' OR 1=1 --" } });
    ws.on('error', () => undefined);
    expect(await new Promise<number>((r) => ws.on('close', (code) => r(code)))).toBe(CloseCode.AGENT_UNKNOWN);
  });

  it('refuses a NUL in a label to its sender only: an honest agent beside it gets every ack', async () => {
    const honestAgent = await enrollAgent(t, 'honest');
    const poisonAgent = await enrollAgent(t, 'poison');
    const honest = await connect(honestAgent);
    const poison = await connect(poisonAgent, 'poison');
    const now = Date.now();
    const honestSeqs: number[] = [];
    const poisonSeqs: number[] = [];
    for (let i = 0; i < 50; i++) {
      honestSeqs.push(
        honest.link.send(MessageType.metrics, {
          batch: i + 1,
          points: [{ name: 'cpu.usage_pct', labels: { cpu: 'total' }, t: now - 50_000 + i * 1000, v: i }],
        }),
      );
      const bad = i % 2 ? { disk: 'sda\u0000' } : { ['mount']: '/\u0000' };
      poisonSeqs.push(poison.link.send(MessageType.metrics, { batch: i + 1, points: [{ name: 'disk.used_pct', labels: bad, t: now, v: 1 }] }));
    }
    await until('every frame answered', () => honestSeqs.every((s) => honest.answers.has(s)) && poisonSeqs.every((s) => poison.answers.has(s)), 15_000);
    expect(honestSeqs.map((s) => honest.answers.get(s)!.code ?? 'ack')).toEqual(honestSeqs.map(() => 'ack'));
    for (const s of poisonSeqs) {
      expect(poison.answers.get(s)).toMatchObject({ ok: false, code: 'PAYLOAD_INVALID' });
      expect(poison.answers.get(s)!.retryAfterMs).toBeUndefined();
    }
    const series = await t.server.deps.metrics.query({
      hostId: honestAgent.hostId,
      name: 'cpu.usage_pct',
      from: now - 60_000,
      to: now + 1000,
      maxPoints: 1000,
    });
    expect(series[0].points.reduce((n, p) => n + p.count, 0)).toBe(50);
    honest.link.close();
    poison.link.close();
  });

  it('closes a malformed hello (4000) instead of keeping an unauthenticated socket', async () => {
    const agent = await enrollAgent(t);
    const ws = new WebSocket(t.ws, { headers: { 'x-aw-agent': agent.agentId } });
    ws.on('error', () => undefined);
    const closed = new Promise<{ code: number; reason: string }>((r) => ws.on('close', (code, reason) => r({ code, reason: reason.toString() })));
    const welcome = await new Promise<Buffer>((r) => ws.once('message', (d: Buffer) => r(d)));
    const prefix = macPrefix(agent.agentId, decodePayload(welcome.subarray(HEADER_BYTES)).session as Uint8Array);
    ws.send(encodeFrame(agent.secret, prefix, MessageType.hello, 1, Date.now(), { protocol: PROTOCOL_VERSION, hostname: 'x\u0000y', agentVersion: '1' }));
    const { code, reason } = await closed;
    expect(code).toBe(CloseCode.PROTOCOL_VIOLATION);
    expect(reason).toMatch(/hostname/);
    expect(reason).not.toMatch(/\u0000/);
  });

  it('answers permanent refusals without a retry time, and echoes no bytes the agent chose', async () => {
    const agent = await enrollAgent(t, 'inv');
    const c = await connect(agent, 'inv');
    const badInventory = c.link.send(MessageType.inventory, { report: { schema: 'nonsense', cpu: 5 } });
    const badKey = c.link.send(MessageType.metrics, { batch: 1, points: [{ name: 'x', labels: { ['\u0007evil-label']: 'v' }, t: Date.now(), v: 1 }] });
    const badAck = c.link.send(MessageType.ack, { seq: -3 });
    await until(
      `the three answers (have ${JSON.stringify([...c.answers])})`,
      () => c.answers.has(badInventory) && c.answers.has(badKey) && c.answers.has(badAck),
      10_000,
    );
    const inv = c.answers.get(badInventory)!;
    expect(inv.ok).toBe(false);
    expect(inv.retryAfterMs).toBeUndefined();
    expect(c.answers.get(badKey)).toMatchObject({ ok: false, code: 'PAYLOAD_INVALID' });
    expect(c.answers.get(badKey)!.message).not.toMatch(/evil/);
    expect(c.answers.get(badAck)).toMatchObject({ ok: false, code: 'PAYLOAD_INVALID' });
    c.link.close();
  });

  it('rate-limits every frame type and closes an agent that ignores its refusals (4013)', async () => {
    const agent = await enrollAgent(t, 'flood');
    const c = await connect(agent, 'flood');
    const before = { ...t.server.deps.gateway.stats.rejections };
    // Invalid task results, as fast as the socket takes them: each would otherwise cost a database
    // round trip and a log line with a stack.
    for (let i = 0; i < 5_000 && c.link.ready; i++) c.link.send(MessageType.taskResult, { taskId: 'not-a-task', event: 'done' });
    expect(await c.closed).toBe(CloseCode.RATE_EXCEEDED);
    const after = t.server.deps.gateway.stats.rejections;
    expect((after.RATE_LIMITED ?? 0) - (before.RATE_LIMITED ?? 0)).toBeGreaterThan(0);
    expect((after.RATE_EXCEEDED ?? 0) - (before.RATE_EXCEEDED ?? 0)).toBe(1);
    // Refused for rate: far fewer reached the handler than were sent.
    expect((after.PAYLOAD_INVALID ?? 0) - (before.PAYLOAD_INVALID ?? 0)).toBeLessThanOrEqual(500);
  });

  it('records an agent changing its own description (hostname, version) in the audit trail', async () => {
    const agent = await enrollAgent(t, 'before-rename');
    (await connect(agent, 'before-rename')).link.close();
    const renamed = await connect(agent, 'after-rename');
    renamed.link.close();
    const rows = async () =>
      (
        await t.server.deps.db.query<{ actor_kind: string; route: string; detail: any }>(
          "SELECT actor_kind, route, detail FROM audit_log WHERE actor_id = $1 AND route = 'agent.identity_changed'",
          [agent.agentId],
        )
      ).rows;
    await until('the audit row', async () => (await rows()).some((r) => r.detail.hostname?.new === 'after-rename'));
    const row = (await rows()).find((r) => r.detail.hostname?.new === 'after-rename')!;
    expect(row).toMatchObject({ actor_kind: 'agent', detail: { hostname: { old: 'before-rename', new: 'after-rename' } } });
  });
});
