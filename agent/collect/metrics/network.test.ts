import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { networkPoints, parseNetDev, selectMonitoredInterfaces, type InterfaceCounters } from './network.js';

const fixture = (path: string) => readFileSync(new URL(`../fixtures/${path}`, import.meta.url), 'utf8');
const counters = (c: Partial<InterfaceCounters>): InterfaceCounters => ({
  rxBytes: 0,
  rxPackets: 0,
  rxErrors: 0,
  rxDrops: 0,
  txBytes: 0,
  txPackets: 0,
  txErrors: 0,
  txDrops: 0,
  ...c,
});

describe('parseNetDev', () => {
  it('reads every interface of this machine, skipping the two header lines', () => {
    const nets = parseNetDev(fixture('vm/proc/net/dev'));
    expect([...nets.keys()]).toEqual(['lo', 'ifb0', 'ifb1', 'eth0']);
    expect(nets.get('eth0')).toEqual(counters({ rxBytes: 191267647, rxPackets: 4932, txBytes: 355325, txPackets: 3032 }));
  });

  it('separates a name from a counter wide enough to touch the colon', () => {
    const line = 'enp0s31f6:12345678901    10    1    2    0     0          0         0 99    20    3    4    0     0       0          0\n';
    expect(parseNetDev(line).get('enp0s31f6')).toEqual({
      rxBytes: 12345678901,
      rxPackets: 10,
      rxErrors: 1,
      rxDrops: 2,
      txBytes: 99,
      txPackets: 20,
      txErrors: 3,
      txDrops: 4,
    });
  });
});

describe('selectMonitoredInterfaces', () => {
  it('drops loopback', () => {
    expect([...selectMonitoredInterfaces(parseNetDev(fixture('vm/proc/net/dev'))).keys()]).toEqual(['ifb0', 'ifb1', 'eth0']);
  });
});

describe('networkPoints', () => {
  it('reports every counter as a per-second rate', () => {
    const prev = new Map([['eth0', counters({})]]);
    const cur = new Map([['eth0', counters({ rxBytes: 2000, txBytes: 1000, rxPackets: 20, txPackets: 10, rxErrors: 2, txErrors: 4, rxDrops: 6, txDrops: 8 })]]);
    expect(Object.fromEntries(networkPoints(prev, cur, 2, 0).map((p) => [p.name, p.v]))).toEqual({
      'net.rx_bytes_per_s': 1000,
      'net.tx_bytes_per_s': 500,
      'net.rx_packets_per_s': 10,
      'net.tx_packets_per_s': 5,
      'net.rx_errors_per_s': 1,
      'net.tx_errors_per_s': 2,
      'net.rx_drops_per_s': 3,
      'net.tx_drops_per_s': 4,
    });
  });

  it('skips a counter reset by a driver reload, and everything when no time passed', () => {
    const prev = new Map([['eth0', counters({ rxBytes: 5_000_000, txBytes: 100 })]]);
    const cur = new Map([['eth0', counters({ rxBytes: 300, txBytes: 300 })]]);
    const names = networkPoints(prev, cur, 1, 0).map((p) => p.name);
    expect(names).not.toContain('net.rx_bytes_per_s');
    expect(names).toContain('net.tx_bytes_per_s');
    expect(networkPoints(prev, cur, 0, 0)).toEqual([]);
  });

  it('labels points with the interface', () => {
    const prev = new Map([['eth1', counters({})]]);
    expect(networkPoints(prev, prev, 1, 3)[0]).toEqual({ name: 'net.rx_bytes_per_s', labels: { iface: 'eth1' }, t: 3, v: 0 });
  });
});
