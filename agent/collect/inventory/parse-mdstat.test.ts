import { describe, expect, it } from 'vitest';
import { fixtureText } from '../../../test/support/fixture-host.js';
import { softwareRaidFromMdstat } from './parse-mdstat.js';

describe('softwareRaidFromMdstat', () => {
  it('lists arrays with level, members by role, state and size', async () => {
    expect(softwareRaidFromMdstat(await fixtureText('mdstat-physical-server.txt'))).toEqual([
      { kind: 'software', name: 'md1', level: 'raid1', members: ['sda2', 'sdb2'], state: 'active', sizeBytes: 467730208 * 1024 },
      { kind: 'software', name: 'md0', level: 'raid1', members: ['sda1', 'sdb1'], state: 'active', sizeBytes: 1046528 * 1024 },
      { kind: 'software', name: 'md2', level: 'raid5', members: ['sdd1', 'sde1', 'sdf1'], state: 'degraded', sizeBytes: 15627788288 * 1024 },
    ]);
  });

  it('reads inactive and read-only arrays, and a host without arrays', () => {
    const text =
      'Personalities : [raid1]\nmd127 : inactive sdc[0](S)\n      976630488 blocks super 1.2\n\nmd3 : active (auto-read-only) raid1 sdd1[1] sde1[0]\n      1046528 blocks super 1.2 [2/2] [UU]\n';
    expect(softwareRaidFromMdstat(text)).toEqual([
      { kind: 'software', name: 'md127', level: null, members: ['sdc'], state: 'inactive', sizeBytes: 976630488 * 1024 },
      { kind: 'software', name: 'md3', level: 'raid1', members: ['sde1', 'sdd1'], state: 'active', sizeBytes: 1046528 * 1024 },
    ]);
    expect(softwareRaidFromMdstat('Personalities : \nunused devices: <none>\n')).toEqual([]);
  });
});
