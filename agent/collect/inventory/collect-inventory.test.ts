import { describe, expect, it } from 'vitest';
import { collectInventory } from './collect-inventory.js';
import { fixedHost, fixtureFiles, fixtureRunner, fixtureText, physicalServerFixture, succeeded } from '../../../test/support/fixture-host.js';

const GiB = 2 ** 30;

describe('collectInventory', () => {
  it('reports this VM from its captured outputs: dmidecode fails, lshw and /proc fill in', async () => {
    const run = fixtureRunner({
      dmidecode: {
        ok: false,
        stdout: await fixtureText('vm/commands/dmidecode.stdout'),
        stderr: await fixtureText('vm/commands/dmidecode.stderr'),
        exitCode: Number(await fixtureText('vm/commands/dmidecode.exitcode')),
        failure: 'exit-code',
      },
      lshw: succeeded(await fixtureText('vm/commands/lshw.json')),
      lsblk: succeeded(await fixtureText('vm/commands/lsblk.json')),
      ip: succeeded(await fixtureText('vm/commands/ip-addr.json')),
      lspci: succeeded(await fixtureText('vm/commands/lspci-mm.txt')),
    });
    const report = await collectInventory({
      run,
      ...fixtureFiles('vm'),
      host: fixedHost({ hostname: () => 'vm', release: () => '6.18.44-fc-v669' }),
      now: () => 1_764_065_000_000,
    });

    expect(report).toEqual({
      collectedAt: 1_764_065_000_000,
      system: { vendor: null, model: null, serial: null, uuid: null, machineId: '3d1219c7c4c5404aaa1f6d2a48adfda4', hostname: 'vm' },
      os: { name: 'Debian GNU/Linux', version: '12', kernel: '6.18.44-fc-v669', arch: 'x86_64' },
      cpus: [{ socket: '0', model: 'Intel(R) Xeon(R) Processor', cores: 2, threads: 2, mhz: 2600 }],
      memory: { totalBytes: 24 * GiB, modules: [] },
      disks: [{ name: 'vda', model: null, serial: null, sizeBytes: 274877906944, type: 'virtual', rotational: true, wwn: null }],
      nics: [{ name: 'eth0', mac: '02:fc:00:00:00:01', ips: ['192.0.2.2/24', 'fd00::2/64'], speedMbps: null, driver: 'virtio_net' }],
    });
    expect(run.calls).toEqual([
      'dmidecode -t system -t memory -t processor -t 39',
      'lsblk -J -b -o NAME,MODEL,SERIAL,SIZE,ROTA,TYPE,WWN,TRAN',
      'ip -j addr',
      'lspci -mm -D',
      'lshw -json -quiet',
    ]);
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
  });

  it('reports the physical server from dmidecode without running lshw, with RAID, GPUs and PSUs', async () => {
    const { run, files, host } = await physicalServerFixture();
    const report = await collectInventory({ run, ...files, host, now: () => 0 });

    expect(run.calls.some((c) => c.startsWith('lshw'))).toBe(false);
    expect(report.system).toEqual({
      vendor: 'Supermicro',
      model: 'SYS-2029U-TR4',
      serial: 'S292395X0A17654',
      uuid: '00000000-0000-0000-0000-3cecef1a2b3c',
      machineId: 'a8c2f1d47e3b49b6a1f0c9d8e7b6a5f4',
      hostname: 'db01',
    });
    expect(report.os).toEqual({ name: 'Rocky Linux', version: '9.3', kernel: '6.1.0-18-amd64', arch: 'x86_64' });
    expect(report.cpus.map((c) => [c.socket, c.cores, c.threads])).toEqual([
      ['CPU1', 24, 48],
      ['CPU2', 24, 48],
    ]);
    expect(report.memory.totalBytes).toBe(384 * GiB);
    expect(report.memory.modules).toHaveLength(12);
    expect(report.disks.map((d) => `${d.name}:${d.type}`)).toEqual(['nvme0n1:nvme', 'sda:ssd', 'sdb:ssd', 'sdc:hdd']);
    // No sysfs here: the interfaces holding addresses are what is known.
    expect(report.nics).toEqual([{ name: 'eno1', mac: '3c:ec:ef:1a:2b:3c', ips: ['10.20.0.15/24'], speedMbps: null, driver: null }]);
    expect(report.raid?.map((r) => (r.kind === 'software' ? `${r.name}:${r.state}` : r.model))).toEqual([
      'md1:active',
      'md0:active',
      'md2:degraded',
      'MegaRAID SAS-3 3108 [Invader]',
    ]);
    expect(report.gpus?.map((g) => g.model)).toEqual(['ASPEED Graphics Family', 'TU104GL [Tesla T4]']);
    expect(report.psus?.map((p) => p.serial)).toEqual(['P1K6AC7I18B4021', 'P1K6AC7I18B4022']);
  });

  it('falls back to /sys/class/dmi/id and /sys/block when dmidecode, lshw and lsblk are missing', async () => {
    const files = fixtureFiles(undefined, {
      '/sys/class/dmi/id/sys_vendor': 'Dell Inc.\n',
      '/sys/class/dmi/id/product_name': 'PowerEdge R650\n',
      '/sys/class/dmi/id/product_serial': 'CZ2104058K\n',
      '/sys/class/dmi/id/product_uuid': '4c4c4544-0058-4b10-8032-b7c04f514d32\n',
      '/proc/meminfo': 'MemTotal:       131642888 kB\n',
      '/sys/block/sda/size': '937703088\n',
      '/sys/block/sda/queue/rotational': '0\n',
      '/sys/block/sda/device/model': 'MZ7KH480HAHQ0D3\n',
    });
    const report = await collectInventory({
      run: fixtureRunner({}),
      readFile: files.readFile,
      listDir: async (path) => (path === '/sys/block' ? ['loop0', 'sda'] : undefined),
      host: fixedHost(),
    });
    expect(report.system).toMatchObject({ vendor: 'Dell Inc.', model: 'PowerEdge R650', serial: 'CZ2104058K', uuid: '4c4c4544-0058-4b10-8032-b7c04f514d32' });
    expect(report.memory).toEqual({ totalBytes: 131642888 * 1024, modules: [] });
    expect(report.disks).toEqual([
      { name: 'sda', model: 'MZ7KH480HAHQ0D3', serial: null, sizeBytes: 937703088 * 512, type: 'ssd', rotational: false, wwn: null },
    ]);
  });

  it('returns a report of nulls, never an error, on a host where every source is missing', async () => {
    const report = await collectInventory({
      run: async () => {
        throw new Error('runner broke its contract');
      },
      readFile: async () => undefined,
      listDir: async () => undefined,
      host: fixedHost(),
      now: () => 5,
    });
    expect(report).toEqual({
      collectedAt: 5,
      system: { vendor: null, model: null, serial: null, uuid: null, machineId: null, hostname: 'fixture-host' },
      os: { name: null, version: null, kernel: '6.1.0-18-amd64', arch: 'x86_64' },
      cpus: [],
      memory: { totalBytes: null, modules: [] },
      disks: [],
      nics: [],
    });
  });
});
