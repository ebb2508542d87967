import { describe, expect, it } from 'vitest';
import { fixtureText } from '../../../test/support/fixture-host.js';
import { gpusFromPci, parseLspciMachine, raidControllersFromPci } from './parse-lspci.js';

describe('parseLspciMachine', () => {
  it("reads this VM's devices, none of them a GPU or RAID controller", async () => {
    const devices = parseLspciMachine(await fixtureText('vm/commands/lspci-mm.txt'));
    expect(devices).toHaveLength(6);
    expect(devices[3]).toEqual({ slot: '0000:00:03.0', className: 'Ethernet controller', vendor: 'Red Hat, Inc.', device: 'Virtio 1.0 network device' });
    expect(gpusFromPci(devices)).toEqual([]);
    expect(raidControllersFromPci(devices)).toEqual([]);
  });

  it("finds the server's display controllers and its RAID controller", async () => {
    const devices = parseLspciMachine(await fixtureText('lspci-physical-server.txt'));
    expect(gpusFromPci(devices)).toEqual([
      { pciSlot: '0000:03:00.0', vendor: 'ASPEED Technology, Inc.', model: 'ASPEED Graphics Family' },
      { pciSlot: '0000:af:00.0', vendor: 'NVIDIA Corporation', model: 'TU104GL [Tesla T4]' },
    ]);
    expect(raidControllersFromPci(devices)).toEqual([
      { kind: 'hardware', pciSlot: '0000:18:00.0', vendor: 'Broadcom / LSI', model: 'MegaRAID SAS-3 3108 [Invader]' },
    ]);
  });
});
