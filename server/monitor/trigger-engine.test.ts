/** The engine with its store edges replaced by in-memory functions (the database side is covered by test/monitor). */
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { compileTriggers } from './template-model.js';
import { TriggerEngine } from './trigger-engine.js';

const log = pino({ level: 'silent' });

function engineWith(expression: string, opts: { openRefs?: string[]; failFirst?: boolean; now?: () => number } = {}) {
  const triggers = compileTriggers([{ id: 't', name: 'T', items: [], triggers: [{ key: 'k', name: 'K', severity: 'high', expression }] }]);
  const transitions: string[] = [];
  const orphans: string[] = [];
  let fail = opts.failFirst ?? false;
  const engine = new TriggerEngine({
    log,
    now: opts.now,
    load: async () => ({ triggers, openRefs: new Set(opts.openRefs ?? []) }),
    transition: async (host, t, to, value) => {
      if (fail) {
        fail = false;
        throw new Error('store down');
      }
      transitions.push(`${host} ${t.ref} ${to} ${value}`);
    },
    orphaned: async (host, ref) => void orphans.push(`${host} ${ref}`),
  });
  const send = (v: number, t = Date.now()) => engine.onBatches([{ agentId: 'a', hostId: 'h', batch: 1, points: [{ name: 'm', t, v }] }]);
  return { engine, transitions, orphans, send };
}

describe('trigger engine', () => {
  it('raises a problem once however often the data says so, then recovers', async () => {
    const { engine, transitions, send } = engineWith('last(m) > 5');
    for (const v of [1, 9, 9, 9, 2, 2]) send(v);
    await engine.settle();
    expect(transitions).toEqual(['h t:k problem 9', 'h t:k ok 2']);
  });

  it('starts from the problems already open (after a restart) and closes those of vanished triggers', async () => {
    const { engine, transitions, orphans, send } = engineWith('last(m) > 5', { openRefs: ['t:k', 'old:gone'] });
    send(9);
    await engine.settle();
    expect(transitions).toEqual([]); // already open: not raised again
    expect(orphans).toEqual(['h old:gone']);
    send(1);
    await engine.settle();
    expect(transitions).toEqual(['h t:k ok 1']);
  });

  it('tries again when recording a change failed', async () => {
    const { engine, transitions, send } = engineWith('last(m) > 5', { failFirst: true });
    send(9);
    await engine.settle();
    expect(transitions).toEqual([]);
    send(9);
    await engine.settle();
    expect(transitions).toEqual(['h t:k problem 9']);
  });

  it('fires nodata from the timer and reloads triggers after invalidate', async () => {
    let now = 1_000_000;
    const { engine, transitions, send } = engineWith('nodata(m, 10s)', { now: () => now });
    send(1, now);
    await engine.tick();
    expect(transitions).toEqual([]);
    now += 11_000;
    await engine.tick();
    expect(transitions).toEqual(['h t:k problem null']);
    engine.invalidate();
    send(1, now);
    await engine.settle();
    expect(transitions).toEqual(['h t:k problem null', 'h t:k ok null']);
  });
});
