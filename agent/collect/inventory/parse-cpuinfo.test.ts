import { describe, expect, it } from 'vitest';
import { fixtureText } from '../../../test/support/fixture-host.js';
import { cpusFromCpuinfo } from './parse-cpuinfo.js';

describe('cpusFromCpuinfo', () => {
  it("groups this VM's two vCPUs into one socket", async () => {
    expect(cpusFromCpuinfo(await fixtureText('vm/proc/cpuinfo'))).toEqual([
      { socket: '0', model: 'Intel(R) Xeon(R) Processor', cores: 2, threads: 2, mhz: 2600 },
    ]);
  });

  it('splits processors by physical id', () => {
    const processor = (n: number, socket: number) =>
      `processor\t: ${n}\nmodel name\t: AMD EPYC 7313 16-Core Processor\nphysical id\t: ${socket}\ncpu cores\t: 16\ncpu MHz\t\t: 2994.112\n`;
    const text = [processor(0, 0), processor(1, 1), processor(2, 0), processor(3, 1)].join('\n');
    expect(cpusFromCpuinfo(text)).toEqual([
      { socket: '0', model: 'AMD EPYC 7313 16-Core Processor', cores: 16, threads: 2, mhz: 2994 },
      { socket: '1', model: 'AMD EPYC 7313 16-Core Processor', cores: 16, threads: 2, mhz: 2994 },
    ]);
  });

  it("reports one socket with unknown model for ARM's cpuinfo", () => {
    const text = 'processor\t: 0\nBogoMIPS\t: 50.00\nCPU implementer\t: 0x41\nCPU part\t: 0xd0c\n\nprocessor\t: 1\nBogoMIPS\t: 50.00\n';
    expect(cpusFromCpuinfo(text)).toEqual([{ socket: '0', model: null, cores: null, threads: 2, mhz: null }]);
  });
});
