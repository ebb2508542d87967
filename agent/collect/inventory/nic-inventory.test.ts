import { describe, expect, it } from 'vitest';
import { fixtureText } from '../../../test/support/fixture-host.js';
import { buildNic } from './nic-inventory.js';

describe('buildNic', () => {
  it("builds this VM's eth0 from its sysfs files and addresses", async () => {
    const sys = {
      address: await fixtureText('vm/sys/class/net/eth0/address'),
      speed: await fixtureText('vm/sys/class/net/eth0/speed'),
      deviceUevent: await fixtureText('vm/sys/class/net/eth0/device/uevent'),
    };
    expect(buildNic('eth0', sys, { mac: '02:fc:00:00:00:01', ips: ['192.0.2.2/24'], loopback: false })).toEqual({
      name: 'eth0',
      mac: '02:fc:00:00:00:01',
      ips: ['192.0.2.2/24'],
      speedMbps: null,
      driver: 'virtio_net',
    });
  });

  it('leaves out loopback and virtual interfaces without addresses', async () => {
    const ifb0 = { address: await fixtureText('vm/sys/class/net/ifb0/address') };
    expect(buildNic('ifb0', ifb0, { mac: 'b6:94:2a:50:66:1c', ips: [], loopback: false })).toBeUndefined();
    expect(buildNic('lo', { address: '00:00:00:00:00:00\n' }, undefined)).toBeUndefined();
  });

  it("keeps a bond that carries the server's address, and a cabled NIC without one", () => {
    expect(buildNic('bond0', { address: '3c:ec:ef:1a:2b:3c\n', speed: '20000\n' }, { mac: null, ips: ['10.20.0.15/24'], loopback: false })).toEqual({
      name: 'bond0',
      mac: '3c:ec:ef:1a:2b:3c',
      ips: ['10.20.0.15/24'],
      speedMbps: 20000,
      driver: null,
    });
    expect(buildNic('eno1', { address: '3C:EC:EF:1A:2B:3C\n', speed: '10000\n', deviceUevent: 'DRIVER=i40e\nPCI_CLASS=20000\n' }, undefined)).toEqual({
      name: 'eno1',
      mac: '3c:ec:ef:1a:2b:3c',
      ips: [],
      speedMbps: 10000,
      driver: 'i40e',
    });
  });
});
