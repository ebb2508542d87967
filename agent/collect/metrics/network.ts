import type { MetricPoint } from '../../../protocol/messages.js';
import { counterRate } from './counter-rate.js';
import { metricPoint, type MetricName } from './metric-catalog.js';

/** Cumulative counters of one interface from /proc/net/dev. */
export interface InterfaceCounters {
  rxBytes: number;
  rxPackets: number;
  rxErrors: number;
  rxDrops: number;
  txBytes: number;
  txPackets: number;
  txErrors: number;
  txDrops: number;
}

/**
 * /proc/net/dev after its two header lines: "iface: 8 receive columns 8 transmit columns". A large
 * counter may touch the colon ("eth0:189958916"), so the name ends at the colon, not at whitespace.
 */
export function parseNetDev(text: string): Map<string, InterfaceCounters> {
  const interfaces = new Map<string, InterfaceCounters>();
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const f = line
      .slice(colon + 1)
      .trim()
      .split(/\s+/)
      .map(Number);
    if (f.length < 16 || f.some(Number.isNaN)) continue;
    interfaces.set(line.slice(0, colon).trim(), {
      rxBytes: f[0],
      rxPackets: f[1],
      rxErrors: f[2],
      rxDrops: f[3],
      txBytes: f[8],
      txPackets: f[9],
      txErrors: f[10],
      txDrops: f[11],
    });
  }
  return interfaces;
}

/** Loopback traffic is the host talking to itself; it would only inflate totals. */
export function selectMonitoredInterfaces(interfaces: Map<string, InterfaceCounters>): Map<string, InterfaceCounters> {
  return new Map([...interfaces].filter(([name]) => name !== 'lo'));
}

const RATES: [MetricName, keyof InterfaceCounters][] = [
  ['net.rx_bytes_per_s', 'rxBytes'],
  ['net.tx_bytes_per_s', 'txBytes'],
  ['net.rx_packets_per_s', 'rxPackets'],
  ['net.tx_packets_per_s', 'txPackets'],
  ['net.rx_errors_per_s', 'rxErrors'],
  ['net.tx_errors_per_s', 'txErrors'],
  ['net.rx_drops_per_s', 'rxDrops'],
  ['net.tx_drops_per_s', 'txDrops'],
];

export function networkPoints(prev: Map<string, InterfaceCounters>, cur: Map<string, InterfaceCounters>, elapsedS: number, t: number): MetricPoint[] {
  const points: MetricPoint[] = [];
  for (const [iface, now] of cur) {
    const before = prev.get(iface);
    if (!before) continue;
    for (const [name, field] of RATES) {
      const rate = counterRate(before[field], now[field], elapsedS);
      if (rate !== undefined) points.push(metricPoint(name, t, rate, { iface }));
    }
  }
  return points;
}
