/** The gateway over real WebSockets against a real server and database. */
import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentLink } from '../../agent/link.js';
import { enrollAgent, startTestServer, type EnrolledAgent, type TestServer } from '../support/server.js';
import { CloseCode } from '../../protocol/close-codes.js';
import { HEADER_BYTES, decodePayload, encodeFrame, macPrefix, sealFrame } from '../../protocol/frame.js';
import { MessageType, PROTOCOL_VERSION } from '../../protocol/messages.js';

let t: TestServer;
const MAX_FRAME = 64 * 1024;

beforeAll(async () => {
  t = await startTestServer({ AW_AUTO_APPROVE: 'true', AW_MAX_FRAME_BYTES: String(MAX_FRAME) });
});
afterAll(async () => {
  await t?.close();
});

/** A hand-driven connection: does the welcome/hello dance, then lets the test send any bytes. */
async function rawSession(agent: EnrolledAgent) {
  const ws = new WebSocket(t.ws, { headers: { 'x-aw-agent': agent.agentId } });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.on('close', (code, r) => resolve({ code, reason: r.toString() })));
  ws.on('error', () => undefined);
  const welcome = await new Promise<Buffer>((resolve) => ws.once('message', (d: Buffer) => resolve(d)));
  const session = decodePayload(welcome.subarray(HEADER_BYTES)).session as Uint8Array;
  const prefix = macPrefix(agent.agentId, session);
  let seq = 0;
  const frame = (type: number, msg: unknown, opts: { seq?: number; time?: number; key?: Buffer } = {}) =>
    encodeFrame(opts.key ?? agent.secret, prefix, type as any, opts.seq ?? ++seq, opts.time ?? Date.now(), msg);
  ws.send(frame(MessageType.hello, { protocol: PROTOCOL_VERSION, agentVersion: 'test', hostname: 'raw' }));
  return {
    ws,
    prefix,
    closed,
    frame,
    get seq() {
      return seq;
    },
  };
}

async function goodLink(agent: EnrolledAgent) {
  const link = new AgentLink({ url: t.ws, credentials: agent, hello: { agentVersion: 'test', hostname: 'good' } });
  await new Promise<void>((resolve, reject) => {
    link.once('config', () => resolve());
    link.once('close', (code, reason) => reject(new Error(`closed ${code} ${reason}`)));
  });
  return link;
}

const ackOf = (link: AgentLink, seq: number) =>
  new Promise<void>((resolve, reject) => {
    const onAck = (a: { seq: number }) => a.seq === seq && (link.off('ack', onAck), resolve());
    link.on('ack', onAck);
    link.once('refused', (e) => e.seq === seq && reject(new Error(`refused: ${e.code}`)));
    setTimeout(() => reject(new Error('no ack')), 5000);
  });

describe('gateway', () => {
  it('accepts a good agent: hello → config, metrics → ack after commit, stored once', async () => {
    const agent = await enrollAgent(t);
    const link = await goodLink(agent);
    const now = Date.now();
    const seq = link.send(MessageType.metrics, { batch: 1, points: [{ name: 'cpu.usage_pct', labels: { cpu: 'total' }, t: now, v: 42 }] });
    await ackOf(link, seq);
    // The same batch again (a lost ack): acknowledged, not stored twice.
    const again = link.send(MessageType.metrics, { batch: 1, points: [{ name: 'cpu.usage_pct', labels: { cpu: 'total' }, t: now, v: 42 }] });
    await ackOf(link, again);
    const series = await t.server.deps.metrics.query({ hostId: agent.hostId, name: 'cpu.usage_pct', from: now - 1000, to: now + 1000, maxPoints: 100 });
    expect(series).toHaveLength(1);
    expect(series[0].points.reduce((n, p) => n + p.count, 0)).toBe(1);
    link.close();
  });

  const rejections: Array<[string, number, (s: Awaited<ReturnType<typeof rawSession>>) => Buffer | string]> = [
    [
      'one byte flipped',
      CloseCode.BAD_SIGNATURE,
      (s) => {
        const f = s.frame(MessageType.heartbeat, {});
        f[f.length - 1] ^= 0x40;
        return f;
      },
    ],
    ['wrong key', CloseCode.BAD_SIGNATURE, (s) => s.frame(MessageType.heartbeat, {}, { key: randomBytes(32) })],
    ['replayed sequence', CloseCode.BAD_SEQUENCE, (s) => s.frame(MessageType.heartbeat, {}, { seq: 1 })],
    ['stale time', CloseCode.STALE_TIME, (s) => s.frame(MessageType.heartbeat, {}, { time: Date.now() - 600_000 })],
    ['garbage bytes', CloseCode.FRAME_MALFORMED, () => randomBytes(20)],
    ['malformed msgpack', CloseCode.FRAME_MALFORMED, (s) => sealFrameFor(s, Buffer.from([0x92, 0x01]))],
    ['unknown type', CloseCode.UNKNOWN_TYPE, (s) => s.frame(77, {})],
    ['text frame', CloseCode.FRAME_MALFORMED, () => 'hello'],
    ['oversized', CloseCode.FRAME_TOO_LARGE, (s) => s.frame(MessageType.heartbeat, { pad: 'x'.repeat(MAX_FRAME) })],
  ];
  let sealFrameFor: (s: Awaited<ReturnType<typeof rawSession>>, payload: Buffer) => Buffer;

  it.each(rejections)('closes only the offending connection on %s', async (_name, expected, build) => {
    const bystander = await enrollAgent(t, 'bystander');
    const good = await goodLink(bystander);
    const offender = await enrollAgent(t, 'offender');
    const s = await rawSession(offender);
    sealFrameFor = (sess, payload) => sealFrame(offender.secret, sess.prefix, MessageType.heartbeat, sess.seq + 1, Date.now(), payload);
    // Let the hello land first, so the bad frame is judged on its own.
    await new Promise((r) => setTimeout(r, 50));
    s.ws.send(build(s));
    const { code } = await s.closed;
    expect(code).toBe(expected);
    // The bystander still works.
    await ackOf(good, good.send(MessageType.heartbeat, {}));
    good.close();
    const stats = t.server.deps.gateway.stats;
    expect(Object.values(stats.rejections).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
  });

  it('refuses an unknown agent and a revoked one, and disconnects an agent when revoked', async () => {
    const unknown = new WebSocket(t.ws, { headers: { 'x-aw-agent': '00000000-0000-4000-8000-000000000000' } });
    unknown.on('error', () => undefined);
    const c1 = await new Promise<number>((r) => unknown.on('close', (code) => r(code)));
    expect(c1).toBe(CloseCode.AGENT_UNKNOWN);

    const agent = await enrollAgent(t);
    const link = await goodLink(agent);
    const closed = new Promise<number>((r) => link.once('close', (code) => r(code)));
    await t.server.deps.agents.revoke(agent.agentId, 'test');
    expect(await closed).toBe(CloseCode.AGENT_REVOKED);

    const again = new AgentLink({ url: t.ws, credentials: agent, hello: { agentVersion: 't', hostname: 'x' } });
    expect(await new Promise<number>((r) => again.once('close', (code) => r(code)))).toBe(CloseCode.AGENT_REVOKED);
  });

  it('lets a newer connection of the same agent replace the older', async () => {
    const agent = await enrollAgent(t);
    const first = await goodLink(agent);
    const firstClosed = new Promise<number>((r) => first.once('close', (code) => r(code)));
    const second = await goodLink(agent);
    expect(await firstClosed).toBe(CloseCode.REPLACED);
    await ackOf(second, second.send(MessageType.heartbeat, {}));
    expect(t.server.deps.gateway.isOnline(agent.agentId)).toBe(true);
    second.close();
  });

  it('closes a socket that never says hello (4014), counting from the welcome', async () => {
    const agent = await enrollAgent(t);
    const ws = new WebSocket(t.ws, { headers: { 'x-aw-agent': agent.agentId } });
    ws.on('error', () => undefined);
    const welcomed = new Promise<number>((resolve) => ws.once('message', () => resolve(Date.now())));
    const closed = await new Promise<{ code: number; at: number }>((resolve) => ws.on('close', (code) => resolve({ code, at: Date.now() })));
    expect(closed.code).toBe(CloseCode.HELLO_TIMEOUT);
    // Swept every 2 s: closed between 10 and ~12 s after the welcome, not before.
    expect(closed.at - (await welcomed)).toBeGreaterThanOrEqual(10_000);
  }, 20_000);

  it("does not count the server's own busy time against an agent: a hello sent in time is read before the 4014 sweep", async () => {
    const agent = await enrollAgent(t);
    const ws = new WebSocket(t.ws, { headers: { 'x-aw-agent': agent.agentId } });
    ws.on('error', () => undefined);
    const welcome = await new Promise<Buffer>((resolve) => ws.once('message', (d: Buffer) => resolve(d)));
    const prefix = macPrefix(agent.agentId, decodePayload(welcome.subarray(HEADER_BYTES)).session as Uint8Array);
    const answer = new Promise<string>((resolve) => {
      ws.once('message', (d: Buffer) => resolve(`frame type ${d[1]}`));
      ws.once('close', (code) => resolve(`closed ${code}`));
    });
    const hello = encodeFrame(agent.secret, prefix, MessageType.hello, 1, Date.now(), { protocol: PROTOCOL_VERSION, agentVersion: 'test', hostname: 'late' });
    await new Promise<void>((resolve, reject) => ws.send(hello, (err) => (err ? reject(err) : resolve())));
    // The hello is in the server's socket; the server's thread (this one) is then held past the 10 s,
    // as a long pause or a burst of work would hold it.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 11_000);
    expect(await answer).toBe(`frame type ${MessageType.ack}`);
    ws.close();
  }, 30_000);

  it('retries a config push that failed until the agent has its configuration', async () => {
    // Fault injection: the real config builder, wrapped to fail twice as it does when the database is
    // unreachable (the database itself cannot be made to fail for this one call only).
    const handlers = (t.server.deps.gateway as any).deps.handlers;
    const real = handlers.config;
    let failures = 2;
    handlers.config = async (agent: unknown) => {
      if (failures > 0) {
        failures--;
        throw new Error('connection terminated unexpectedly');
      }
      return real(agent);
    };
    const retriesBefore = t.server.deps.gateway.stats.configRetries;
    try {
      const agent = await enrollAgent(t);
      const link = await goodLink(agent); // resolves on the first config frame the agent receives
      expect(failures).toBe(0);
      expect(t.server.deps.gateway.stats.configRetries - retriesBefore).toBe(2);
      link.close();
    } finally {
      handlers.config = real;
    }
  });

  it('refuses metrics from a pending agent without closing it', async () => {
    const pending = await startTestServer({ AW_AUTO_APPROVE: 'false' });
    try {
      const agent = await enrollAgent(pending);
      expect(agent.state).toBe('pending');
      const link = new AgentLink({ url: pending.ws, credentials: agent, hello: { agentVersion: 't', hostname: 'p' } });
      const config = await new Promise<any>((r) => link.once('config', r));
      expect(config.state).toBe('pending');
      const seq = link.send(MessageType.metrics, { batch: 1, points: [] });
      const refused = await new Promise<any>((r) => link.once('refused', r));
      expect(refused).toMatchObject({ seq, code: 'AGENT_PENDING' });
      // Approval reaches the live connection as a new config.
      const next = new Promise<any>((r) => link.once('config', r));
      await pending.server.deps.agents.approve(agent.agentId, 'test');
      expect((await next).state).toBe('active');
      link.close();
    } finally {
      await pending.close();
    }
  });
});
