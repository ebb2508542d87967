import nacl from 'tweetnacl';
import { describe, expect, it } from 'vitest';
import { type OrderRefused, openOrder, signOrder, type TaskOrder } from './task-order.js';

const keys = nacl.sign.keyPair();
const AGENT = '11111111-1111-4111-8111-111111111111';
const order: TaskOrder = {
  taskId: '22222222-2222-4222-8222-222222222222',
  nonce: 'n',
  agentId: AGENT,
  issuedAt: 1,
  expiresAt: 2_000_000_000_000,
  action: { kind: 'shell', command: 'uptime' },
  timeoutS: 5,
  outputCapBytes: 100,
};
const signed = (text: string) => Buffer.concat([Buffer.from('autowatch-task-v1\n'), Buffer.from(text, 'utf8')]);

describe('task orders', () => {
  it('are signed with the same bytes tweetnacl makes, and tweetnacl verifies them', () => {
    const m = signOrder(order, keys.secretKey);
    const sig = Buffer.from(m.signature, 'base64');
    expect(sig.equals(Buffer.from(nacl.sign.detached(signed(m.order), keys.secretKey)))).toBe(true);
    expect(nacl.sign.detached.verify(signed(m.order), sig, keys.publicKey)).toBe(true);
    expect(openOrder(m, keys.publicKey, AGENT, Date.now())).toEqual(order);
  });

  it('open only with the pinned key and only unaltered', () => {
    const m = signOrder(order, keys.secretKey);
    const code = (fn: () => unknown) => {
      try {
        fn();
        return 'accepted';
      } catch (err) {
        return (err as OrderRefused).code;
      }
    };
    expect(code(() => openOrder(m, nacl.sign.keyPair().publicKey, AGENT, Date.now()))).toBe('TASK_BAD_SIGNATURE');
    expect(code(() => openOrder({ ...m, order: m.order.replace('uptime', 'reboot') }, keys.publicKey, AGENT, Date.now()))).toBe('TASK_BAD_SIGNATURE');
    expect(code(() => openOrder({ ...m, signature: '' }, keys.publicKey, AGENT, Date.now()))).toBe('TASK_UNSIGNED');
    expect(code(() => openOrder({ ...m, signature: 'AAAA' }, keys.publicKey, AGENT, Date.now()))).toBe('TASK_BAD_SIGNATURE');
    expect(code(() => openOrder({ signature: m.signature }, keys.publicKey, AGENT, Date.now()))).toBe('TASK_MALFORMED');
    expect(code(() => openOrder(m, keys.publicKey, AGENT, 2_000_000_000_001))).toBe('TASK_EXPIRED');
  });
});
