import type { NetworkInterfaceInfo } from 'node:os';
import { describe, expect, it } from 'vitest';
import { fixtureText } from '../../../test/support/fixture-host.js';
import { addressesFromIpJson, addressesFromNodeInterfaces } from './interface-addresses.js';

describe('addressesFromIpJson', () => {
  it("reads this VM's `ip -j addr`, leaving out link-local addresses", async () => {
    const byName = addressesFromIpJson(await fixtureText('vm/commands/ip-addr.json'))!;
    expect([...byName.keys()]).toEqual(['lo', 'ifb0', 'ifb1', 'eth0']);
    expect(byName.get('eth0')).toEqual({ mac: '02:fc:00:00:00:01', ips: ['192.0.2.2/24', 'fd00::2/64'], loopback: false });
    expect(byName.get('ifb0')).toEqual({ mac: 'b6:94:2a:50:66:1c', ips: [], loopback: false });
    expect(byName.get('lo')).toEqual({ mac: null, ips: [], loopback: true });
  });

  it("is undefined for output that is not ip's JSON", () => {
    expect(addressesFromIpJson('')).toBeUndefined();
    expect(addressesFromIpJson('{}')).toBeUndefined();
  });
});

describe('addressesFromNodeInterfaces', () => {
  it('reads os.networkInterfaces() the same way', () => {
    const info = (address: string, family: 'IPv4' | 'IPv6', cidr: string, internal = false): NetworkInterfaceInfo =>
      family === 'IPv4'
        ? { address, netmask: '', family, mac: internal ? '00:00:00:00:00:00' : '3C:EC:EF:1A:2B:3C', internal, cidr }
        : { address, netmask: '', family, mac: internal ? '00:00:00:00:00:00' : '3C:EC:EF:1A:2B:3C', internal, cidr, scopeid: 0 };
    const byName = addressesFromNodeInterfaces({
      lo: [info('127.0.0.1', 'IPv4', '127.0.0.1/8', true)],
      eno1: [info('10.20.0.15', 'IPv4', '10.20.0.15/24'), info('fe80::3eec:efff:fe1a:2b3c', 'IPv6', 'fe80::3eec:efff:fe1a:2b3c/64')],
    });
    expect(byName.get('eno1')).toEqual({ mac: '3c:ec:ef:1a:2b:3c', ips: ['10.20.0.15/24'], loopback: false });
    expect(byName.get('lo')).toEqual({ mac: null, ips: [], loopback: true });
  });
});
