import { describe, expect, it } from 'vitest';
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
