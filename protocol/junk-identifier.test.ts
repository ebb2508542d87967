import { describe, expect, it } from 'vitest';
import { isJunkIdentifier } from './junk-identifier.js';

describe('isJunkIdentifier', () => {
  it.each([
    'Default string',
    'To Be Filled By O.E.M.',
    'To be filled by O.E.M.',
    '0123456789',
    '123456789',
    'System Serial Number',
    'Not Specified',
    'None',
    'N/A',
    'Chassis Serial Number',
    '000000000000',
    'XXXXXXXXXX',
    '........',
    '  ',
    '',
    'Type2 - Board Serial Number',
  ])('rejects the placeholder serial %j', (serial) => {
    expect(isJunkIdentifier('serial', serial)).toBe(true);
  });

  it.each(['S292395X0A17654', '7XK2QM2', 'VMware-56 4d 2e 7b 1c 9a 3f 01-8e 3d 6a 0c 11 7e 4b 2f', 'CZ2104058K'])('accepts the real serial %j', (serial) => {
    expect(isJunkIdentifier('serial', serial)).toBe(false);
  });

  it('rejects missing values of every kind', () => {
    for (const kind of ['serial', 'uuid', 'machineId'] as const) {
      expect(isJunkIdentifier(kind, null)).toBe(true);
      expect(isJunkIdentifier(kind, undefined)).toBe(true);
    }
  });

  it.each([
    '00000000-0000-0000-0000-000000000000',
    'FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF',
    '03000200-0400-0500-0006-000700080009',
    '00020003-0004-0005-0006-000700080009',
    '12345678-1234-5678-90AB-CDDEEFAABBCC',
    'FEFEFEFE-FEFE-FEFE-FEFE-FEFEFEFEFEFE',
    '{03000200-0400-0500-0006-000700080009}',
    '03000200040005000006000700080009',
    '4C4C4544-0000-2010-8020-80C04F202020',
    'Not Settable',
    'Not Present',
  ])('rejects the placeholder uuid %j', (uuid) => {
    expect(isJunkIdentifier('uuid', uuid)).toBe(true);
  });

  it.each([
    '4c4c4544-0058-4b10-8032-b7c04f514d32', // Dell, derived from a real service tag
    '00000000-0000-0000-0000-3CECEF1A2B3C', // Supermicro, derived from the board's MAC: unique
    'EC2A8E4B-7C3D-11E9-8F9E-2A86E4085A59',
  ])('accepts the real uuid %j', (uuid) => {
    expect(isJunkIdentifier('uuid', uuid)).toBe(false);
  });

  it('accepts a systemd machine id and rejects what is not one', () => {
    expect(isJunkIdentifier('machineId', '3d1219c7c4c5404aaa1f6d2a48adfda4')).toBe(false);
    expect(isJunkIdentifier('machineId', '3d1219c7c4c5404aaa1f6d2a48adfda4\n')).toBe(false);
    expect(isJunkIdentifier('machineId', 'uninitialized')).toBe(true);
    expect(isJunkIdentifier('machineId', '00000000000000000000000000000000')).toBe(true);
    expect(isJunkIdentifier('machineId', '3d1219c7c4c5404a')).toBe(true);
  });
});
