import { describe, expect, it } from 'vitest';
import { fixtureText } from '../../../test/support/fixture-host.js';
import { disksFromLsblk } from './parse-lsblk.js';

describe('disksFromLsblk', () => {
  it("lists this VM's virtio disk and leaves out zram", async () => {
    expect(disksFromLsblk(await fixtureText('vm/commands/lsblk.json'))).toEqual([
      { name: 'vda', model: null, serial: null, sizeBytes: 274877906944, type: 'virtual', rotational: true, wwn: null },
    ]);
  });

  it("lists the server's physical disks only, trimmed and sorted", async () => {
    expect(disksFromLsblk(await fixtureText('lsblk-physical-server.json'))).toEqual([
      {
        name: 'nvme0n1',
        model: 'INTEL SSDPE2KX040T8',
        serial: 'PHLJ9236012K4P0DGN',
        sizeBytes: 4000787030016,
        type: 'nvme',
        rotational: false,
        wwn: 'eui.01000000010000005cd2e4a1b3c24d51',
      },
      {
        name: 'sda',
        model: 'SAMSUNG MZ7LH480HAHQ-00005',
        serial: 'S45PNA0M512345',
        sizeBytes: 480103981056,
        type: 'ssd',
        rotational: false,
        wwn: '0x5002538e4a1b2c3d',
      },
      {
        name: 'sdb',
        model: 'SAMSUNG MZ7LH480HAHQ-00005',
        serial: 'S45PNA0M512377',
        sizeBytes: 480103981056,
        type: 'ssd',
        rotational: false,
        wwn: '0x5002538e4a1b2c71',
      },
      { name: 'sdc', model: 'ST8000NM000A-2KE101', serial: 'WKD3F1QZ', sizeBytes: 8001563222016, type: 'hdd', rotational: true, wwn: '0x5000c500d5a7e1b4' },
    ]);
  });

  it('reads the all-strings JSON of util-linux before 2.33', () => {
    const json =
      '{"blockdevices": [{"name": "sda", "model": "ST1000DM003-1CH1", "serial": "Z1D5K2XX", "size": "1000204886016", "rota": "1", "type": "disk", "wwn": null, "tran": "sata"}]}';
    expect(disksFromLsblk(json)).toEqual([
      { name: 'sda', model: 'ST1000DM003-1CH1', serial: 'Z1D5K2XX', sizeBytes: 1000204886016, type: 'hdd', rotational: true, wwn: null },
    ]);
  });

  it('is undefined for output that is not lsblk JSON, so the caller falls back', () => {
    expect(disksFromLsblk('')).toBeUndefined();
    expect(disksFromLsblk('{"other": []}')).toBeUndefined();
  });
});
