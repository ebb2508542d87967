import { describe, expect, it } from 'vitest';
import { CredentialCache } from './credential-cache.js';
import { RepeatLog } from './repeat-log.js';

describe('RepeatLog', () => {
  it('logs a refusal once per key and interval, then how many more there were', () => {
    const lines: Array<{ fields: Record<string, unknown>; msg: string }> = [];
    const log = { warn: (fields: Record<string, unknown>, msg: string) => lines.push({ fields, msg }) } as any;
    const repeats = new RepeatLog(log, 60_000, 2);
    for (let i = 0; i < 20_000; i++) repeats.warn('agent-a:PAYLOAD_INVALID', { agent: 'a' }, 'agent frame refused');
    repeats.warn('agent-b:PAYLOAD_INVALID', { agent: 'b' }, 'agent frame refused');
    repeats.warn('agent-c:PAYLOAD_INVALID', { agent: 'c' }, 'agent frame refused'); // past maxKeys: counted only
    expect(lines).toHaveLength(2);
    repeats.stop();
    expect(lines.map((l) => l.fields)).toEqual([{ agent: 'a' }, { agent: 'b' }, { agent: 'a', repeated: 19_999 }, { refusals: 1 }]);
  });
});

describe('CredentialCache', () => {
  it('holds at most its bound, dropping the least recently used', () => {
    const cache = new CredentialCache(2);
    const cred = (id: string) => ({ id, hostId: 'h', secret: Buffer.alloc(32), state: 'active' as const });
    cache.set('a', cred('a'));
    cache.set('b', cred('b'));
    cache.get('a');
    cache.set('c', cred('c'));
    expect(cache.size).toBe(2);
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')?.id).toBe('a');
    expect(cache.get('c')?.id).toBe('c');
  });
});
