import { describe, expect, it } from 'vitest';
import { batchSizeOf, failureLimitOf, planStep, type PlanHost } from './rollout.js';

const hosts = (n: number, batch: number, state: PlanHost['state'] = 'queued', online = true): PlanHost[] =>
  Array.from({ length: n }, (_, i) => ({ hostId: `h${i}`, wave: Math.floor(i / batch), state, online }));

describe('batch sizes and thresholds', () => {
  it('takes counts and percentages', () => {
    expect(batchSizeOf(500, 5000)).toBe(500);
    expect(batchSizeOf('10%', 5000)).toBe(500);
    expect(batchSizeOf('1%', 10)).toBe(1);
    expect(batchSizeOf(undefined, 7)).toBe(7);
    expect(batchSizeOf(50, 7)).toBe(7);
    expect(failureLimitOf('10%', 25)).toBe(2);
    expect(failureLimitOf(0, 25)).toBe(0);
    expect(failureLimitOf(undefined, 25)).toBeNull();
    expect(() => batchSizeOf('150%', 10)).toThrow(/percentage/);
    expect(() => batchSizeOf('ten', 10)).toThrow(/percentage/);
  });
});

describe('planStep', () => {
  it('sends the first wave only, up to the concurrency', () => {
    const p = planStep({ currentWave: 0, maxConcurrency: 3, failureLimit: null, hosts: hosts(10, 4) });
    expect(p.send.map((h) => h.hostId)).toEqual(['h0', 'h1', 'h2']);
    expect(p.wave).toBe(0);
  });

  it('moves to the next wave when the current one is done', () => {
    const hs = hosts(10, 4);
    for (const h of hs.slice(0, 4)) h.state = 'ok';
    const p = planStep({ currentWave: 0, maxConcurrency: 100, failureLimit: null, hosts: hs });
    expect(p.wave).toBe(1);
    expect(p.send.map((h) => h.hostId)).toEqual(['h4', 'h5', 'h6', 'h7']);
  });

  it('does not wait for an offline host, and sends it later when it is back', () => {
    const hs = hosts(8, 4);
    for (const h of hs.slice(0, 3)) h.state = 'ok';
    hs[3].online = false;
    let p = planStep({ currentWave: 0, maxConcurrency: 100, failureLimit: null, hosts: hs });
    expect(p.wave).toBe(1);
    expect(p.send.map((h) => h.hostId)).toEqual(['h4', 'h5', 'h6', 'h7']);
    hs[3].online = true;
    p = planStep({ currentWave: 1, maxConcurrency: 100, failureLimit: null, hosts: hs });
    expect(p.send.map((h) => h.hostId)).toContain('h3');
  });

  it('stops once failures pass the threshold', () => {
    const hs = hosts(10, 5);
    hs[0].state = 'failed';
    hs[1].state = 'timed_out';
    expect(planStep({ currentWave: 0, maxConcurrency: 10, failureLimit: 2, hosts: hs }).stop).toBeUndefined();
    hs[2].state = 'refused';
    expect(planStep({ currentWave: 0, maxConcurrency: 10, failureLimit: 2, hosts: hs }).stop).toMatch(/3 hosts failed/);
  });

  it('is finished when every host is', () => {
    expect(planStep({ currentWave: 0, maxConcurrency: 1, failureLimit: null, hosts: hosts(3, 1, 'ok') }).finished).toBe(true);
  });
});
