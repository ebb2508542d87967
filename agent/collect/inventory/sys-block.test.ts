import { describe, expect, it } from 'vitest';
import { diskFromSysBlock } from './sys-block.js';

describe('diskFromSysBlock', () => {
  it('reads size in sectors, rotation, model, serial and wwid', () => {
    expect(
      diskFromSysBlock('nvme0n1', {
        size: '7814037168\n',
        'queue/rotational': '0\n',
        'device/model': 'INTEL SSDPE2KX040T8                     \n',
        'device/serial': 'PHLJ9236012K4P0DGN  \n',
        'device/wwid': 'eui.01000000010000005cd2e4a1b3c24d51\n',
      }),
    ).toEqual({
      name: 'nvme0n1',
      model: 'INTEL SSDPE2KX040T8',
      serial: 'PHLJ9236012K4P0DGN',
      sizeBytes: 7814037168 * 512,
      type: 'nvme',
      rotational: false,
      wwn: 'eui.01000000010000005cd2e4a1b3c24d51',
    });
  });

  it('leaves out loop, zram, volumes, optical drives and empty media', () => {
    for (const name of ['loop0', 'zram0', 'dm-0', 'md127', 'sr0']) expect(diskFromSysBlock(name, { size: '2048' })).toBeUndefined();
    expect(diskFromSysBlock('sdb', { size: '0' })).toBeUndefined();
    expect(diskFromSysBlock('sdb', {})).toBeUndefined();
  });

  it('keeps a disk whose optional files are unreadable', () => {
    expect(diskFromSysBlock('sda', { size: '1024' })).toEqual({
      name: 'sda',
      model: null,
      serial: null,
      sizeBytes: 1024 * 512,
      type: 'unknown',
      rotational: null,
      wwn: null,
    });
  });
});
