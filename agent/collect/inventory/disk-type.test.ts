import { describe, expect, it } from 'vitest';
import { classifyDisk } from './disk-type.js';

const disk = (name: string, model: string | null, transport: string | null, rotational: boolean | null) => ({ name, model, transport, rotational });

describe('classifyDisk', () => {
  it.each([
    [disk('vda', null, null, true), 'virtual'],
    [disk('sda', 'QEMU HARDDISK', 'sata', true), 'virtual'],
    [disk('sdb', 'Virtual disk', 'sas', true), 'virtual'],
    [disk('nvme1n1', 'Amazon Elastic Block Store', 'nvme', false), 'virtual'],
    [disk('nvme0n1', 'SAMSUNG MZQL23T8HCLS-00A07', 'nvme', false), 'nvme'],
    [disk('sdc', 'Ultra USB 3.0', 'usb', true), 'usb'],
    [disk('sdd', 'MZ7LH480HAHQ', 'sata', false), 'ssd'],
    [disk('sde', 'ST8000NM000A', 'sas', true), 'hdd'],
    [disk('sdf', null, null, null), 'unknown'],
  ] as const)('classifies %j as %s', (d, type) => {
    expect(classifyDisk(d)).toBe(type);
  });
});
