import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadPoints, parseLoadavg, parseUptime, uptimePoints } from './system.js';

const fixture = (path: string) => readFileSync(new URL(`../fixtures/${path}`, import.meta.url), 'utf8');

describe('load and uptime', () => {
  it("parses this machine's /proc/loadavg", () => {
    const load = parseLoadavg(fixture('vm/proc/loadavg'));
    expect(load).toEqual({ load1: 0.61, load5: 0.24, load15: 0.08 });
    expect(loadPoints(load!, 7)).toEqual([
      { name: 'system.load1', t: 7, v: 0.61 },
      { name: 'system.load5', t: 7, v: 0.24 },
      { name: 'system.load15', t: 7, v: 0.08 },
    ]);
  });

  it("parses this machine's /proc/uptime", () => {
    expect(parseUptime(fixture('vm/proc/uptime'))).toBe(9741.4);
    expect(uptimePoints(9741.4, 7)).toEqual([{ name: 'system.uptime_s', t: 7, v: 9741.4 }]);
  });

  it('rejects text that is not what the kernel writes', () => {
    expect(parseLoadavg('')).toBeUndefined();
    expect(parseLoadavg('a b c')).toBeUndefined();
    expect(parseUptime('')).toBeUndefined();
  });
});
