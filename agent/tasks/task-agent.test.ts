/** The agent's checks on task orders, with real processes and a real on-disk nonce list; the channel is a recorder. */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import nacl from 'tweetnacl';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signOrder, type TaskOrder } from '../../protocol/task-order.js';
import { SeenOrders } from './seen-orders.js';
import { TaskAgent } from './task-agent.js';
import type { TaskPolicy } from './task-policy.js';

const server = nacl.sign.keyPair();
const AGENT = '11111111-1111-4111-8111-111111111111';
const TASK = '22222222-2222-4222-8222-222222222222';

function order(over: Partial<TaskOrder> = {}): TaskOrder {
  return {
    taskId: TASK,
    nonce: 'n1',
    agentId: AGENT,
    issuedAt: Date.now(),
    expiresAt: Date.now() + 60_000,
    action: { kind: 'shell', command: 'echo ran' },
    timeoutS: 10,
    outputCapBytes: 1000,
    ...over,
  };
}

function agent(policy: TaskPolicy = {}, seenFile?: string) {
  const sent: any[] = [];
  const a = new TaskAgent({
    agentId: AGENT,
    serverPublicKey: server.publicKey,
    policy,
    seen: new SeenOrders(seenFile),
    log: pino({ level: 'silent' }),
    httpBase: 'http://127.0.0.1:1',
  });
  let seq = 0;
  a.attach({ send: (_type, m) => (sent.push(m), ++seq) });
  const settled = async () => {
    for (let i = 0; i < 200 && !sent.some((m) => m.event === 'done' || m.event === 'refused'); i++) await new Promise((r) => setTimeout(r, 10));
    return sent.find((m) => m.event === 'done' || m.event === 'refused');
  };
  return { a, sent, settled };
}

describe('TaskAgent', () => {
  it('runs a correctly signed order', async () => {
    const { a, settled } = agent();
    a.onTask(signOrder(order(), server.secretKey));
    expect(await settled()).toMatchObject({ event: 'done', state: 'ok', stdout: 'ran\n' });
  });

  it.each([
    ['no signature', () => ({ order: signOrder(order(), server.secretKey).order }), 'TASK_UNSIGNED'],
    ['a signature by another key', () => signOrder(order(), nacl.sign.keyPair().secretKey), 'TASK_BAD_SIGNATURE'],
    [
      'an altered order',
      () => {
        const m = signOrder(order(), server.secretKey);
        return { ...m, order: m.order.replace('echo ran', 'echo pwn') };
      },
      'TASK_BAD_SIGNATURE',
    ],
    ['an expired order', () => signOrder(order({ expiresAt: Date.now() - 1000 }), server.secretKey), 'TASK_EXPIRED'],
    ['an order for another agent', () => signOrder(order({ agentId: '33333333-3333-4333-8333-333333333333' }), server.secretKey), 'TASK_WRONG_AGENT'],
  ])('refuses %s and reports it', async (_name, make, code) => {
    const { a, sent, settled } = agent();
    a.onTask(make());
    expect(await settled()).toMatchObject({ taskId: TASK, event: 'refused', code });
    expect(sent.some((m) => m.event === 'started')).toBe(false);
  });

  it('refuses a replayed order, even after an agent restart', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'aw-seen-')), 'tasks-seen.json');
    const msg = signOrder(order(), server.secretKey);
    const first = agent({}, file);
    first.a.onTask(msg);
    expect(await first.settled()).toMatchObject({ event: 'done' });
    const restarted = agent({}, file);
    restarted.a.onTask(msg);
    expect(await restarted.settled()).toMatchObject({ event: 'refused', code: 'TASK_REPLAYED' });
  });

  it('refuses what its local policy does not allow', async () => {
    const off = agent({ refuseRemoteExecution: true });
    off.a.onTask(signOrder(order(), server.secretKey));
    expect(await off.settled()).toMatchObject({ event: 'refused', code: 'TASK_NOT_ALLOWED' });
    const listed = agent({ allowedCommands: ['echo ran'] });
    listed.a.onTask(signOrder(order({ nonce: 'a' }), server.secretKey));
    expect(await listed.settled()).toMatchObject({ event: 'done', state: 'ok' });
    const unlisted = agent({ allowedCommands: ['uptime'] });
    unlisted.a.onTask(signOrder(order({ nonce: 'b' }), server.secretKey));
    expect(await unlisted.settled()).toMatchObject({ event: 'refused', code: 'TASK_NOT_ALLOWED' });
  });
});

describe('TaskAgent: agent-upgrade', () => {
  const NEW_BUNDLE = Buffer.from('#!/usr/bin/env node\n// autowatch-agent 9.9.9\nconsole.log("9.9.9");\n');
  const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
  let base: string;
  let http: Server;
  beforeAll(async () => {
    http = createServer((_req, res) => res.end(NEW_BUNDLE));
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => http.close(() => r())));

  function upgrader(over: { policy?: TaskPolicy; selfPath?: string } = {}) {
    const sent: { seq: number; m: any }[] = [];
    let restarts = 0;
    const a = new TaskAgent({
      agentId: AGENT,
      serverPublicKey: server.publicKey,
      policy: over.policy ?? {},
      seen: new SeenOrders(),
      log: pino({ level: 'silent' }),
      httpBase: base,
      selfPath: over.selfPath,
      restart: () => restarts++,
    });
    let seq = 0;
    a.attach({ send: (_type, m) => (sent.push({ seq: ++seq, m }), seq) });
    const settled = async () => {
      for (let i = 0; i < 200 && !sent.some(({ m }) => m.event === 'done' || m.event === 'refused'); i++) await new Promise((r) => setTimeout(r, 10));
      return sent.find(({ m }) => m.event === 'done' || m.event === 'refused')!;
    };
    return { a, settled, restarts: () => restarts };
  }
  const upgradeOrder = (sha256: string) =>
    order({ action: { kind: 'agent-upgrade', url: '/downloads/autowatch-agent.mjs', sha256, size: NEW_BUNDLE.length, version: '9.9.9' } });
  const selfFile = () => {
    const path = join(mkdtempSync(join(tmpdir(), 'aw-self-')), 'autowatch-agent.mjs');
    writeFileSync(path, '// the running agent\n', { mode: 0o755 });
    return path;
  };

  it('replaces its own file with the signed bundle, then restarts once the server acks the result', async () => {
    const self = selfFile();
    const { a, settled, restarts } = upgrader({ selfPath: self });
    a.onTask(signOrder(upgradeOrder(sha(NEW_BUNDLE)), server.secretKey));
    const done = await settled();
    expect(done.m).toMatchObject({ event: 'done', state: 'ok' });
    expect(done.m.message).toMatch(/9\.9\.9/);
    expect(readFileSync(self)).toEqual(NEW_BUNDLE);
    expect(statSync(self).mode & 0o777).toBe(0o755);
    expect(restarts()).toBe(0);
    a.onAck(done.seq);
    expect(restarts()).toBe(1);
  });

  it('leaves its file as it was and stays up when the download does not have the signed SHA-256', async () => {
    const self = selfFile();
    const { a, settled, restarts } = upgrader({ selfPath: self });
    a.onTask(signOrder(upgradeOrder('0'.repeat(64)), server.secretKey));
    const done = await settled();
    expect(done.m).toMatchObject({ event: 'done', state: 'failed' });
    expect(done.m.message).toMatch(/FILE_HASH_MISMATCH/);
    expect(readFileSync(self, 'utf8')).toBe('// the running agent\n');
    a.onAck(done.seq);
    expect(restarts()).toBe(0);
  });

  it('is refused under --refuse-remote-exec, and fails when the agent runs from its sources', async () => {
    const refused = upgrader({ policy: { refuseRemoteExecution: true }, selfPath: selfFile() });
    refused.a.onTask(signOrder(upgradeOrder(sha(NEW_BUNDLE)), server.secretKey));
    expect((await refused.settled()).m).toMatchObject({ event: 'refused', code: 'TASK_NOT_ALLOWED' });
    const fromSources = upgrader();
    fromSources.a.onTask(signOrder(upgradeOrder(sha(NEW_BUNDLE)), server.secretKey));
    expect((await fromSources.settled()).m).toMatchObject({ event: 'done', state: 'failed', message: expect.stringMatching(/sources/) });
  });
});
