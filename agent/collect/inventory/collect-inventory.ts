import * as os from 'node:os';
import type { NetworkInterfaceInfo } from 'node:os';
import { parseMeminfo } from '../metrics/memory.js';
import { runCommand, usableOutput, type CommandRunner } from './command-runner.js';
import { cpusFromDmi, memoryModulesFromDmi, psusFromDmi, systemFromDmi } from './dmi-inventory.js';
import { listDirectory, readTextFile, type DirectoryLister, type FileReader } from './host-files.js';
import { addressesFromIpJson, addressesFromNodeInterfaces } from './interface-addresses.js';
import type { Disk, InventoryReport, Nic, SystemIdentity } from '../../../protocol/inventory-report.js';
import { buildNic } from './nic-inventory.js';
import { cpusFromCpuinfo } from './parse-cpuinfo.js';
import { parseDmidecode } from './parse-dmidecode.js';
import { disksFromLsblk } from './parse-lsblk.js';
import { memoryModulesFromLshw, memoryTotalFromLshw, parseLshw, systemFromLshw } from './parse-lshw.js';
import { gpusFromPci, parseLspciMachine, raidControllersFromPci } from './parse-lspci.js';
import { softwareRaidFromMdstat } from './parse-mdstat.js';
import { parseOsRelease } from './parse-os-release.js';
import { diskFromSysBlock, SYS_BLOCK_FILES, type SysBlockFiles } from './sys-block.js';

/** The node:os calls the report uses; the os module itself by default. */
export interface HostFacts {
  hostname(): string;
  release(): string;
  machine(): string;
  networkInterfaces(): NodeJS.Dict<NetworkInterfaceInfo[]>;
}

export interface InventoryOptions {
  run?: CommandRunner;
  readFile?: FileReader;
  listDir?: DirectoryLister;
  host?: HostFacts;
  now?: () => number;
}

/** Generous for a healthy host, short enough that one wedged tool cannot stall the agent's inventory cycle. */
const TIMEOUT_MS = { dmidecode: 10_000, lshw: 30_000, lsblk: 10_000, ip: 5_000, lspci: 10_000 };

const firstKnown = (...values: (string | null | undefined)[]) => values.find((v) => v != null && v.trim() !== '')?.trim() ?? null;

/**
 * One inventory report of this machine. Each section takes the best source that answers and falls back
 * to the next; a missing tool or file only makes fields null. Never throws for a missing source.
 */
export async function collectInventory(opts: InventoryOptions = {}): Promise<InventoryReport> {
  const run = opts.run ?? runCommand;
  const readFile = opts.readFile ?? readTextFile;
  const listDir = opts.listDir ?? listDirectory;
  const host = opts.host ?? os;
  const collectedAt = (opts.now ?? Date.now)();
  // An injected runner that breaks its never-reject contract still only costs its own source.
  const output = (command: string, args: string[], timeoutMs: number) => run(command, args, timeoutMs).then(usableOutput, () => undefined);

  const [dmiText, lsblkJson, ipJson, lspciText, cpuinfo, meminfo, osRelease, machineId, mdstat] = await Promise.all([
    // Type 39 (power supplies) rides along: same tool, same privileges, no extra run.
    output('dmidecode', ['-t', 'system', '-t', 'memory', '-t', 'processor', '-t', '39'], TIMEOUT_MS.dmidecode),
    output('lsblk', ['-J', '-b', '-o', 'NAME,MODEL,SERIAL,SIZE,ROTA,TYPE,WWN,TRAN'], TIMEOUT_MS.lsblk),
    output('ip', ['-j', 'addr'], TIMEOUT_MS.ip),
    output('lspci', ['-mm', '-D'], TIMEOUT_MS.lspci),
    readFile('/proc/cpuinfo'),
    readFile('/proc/meminfo'),
    readFile('/etc/os-release').then((text) => text ?? readFile('/usr/lib/os-release')),
    readFile('/etc/machine-id').then((text) => text ?? readFile('/var/lib/dbus/machine-id')),
    readFile('/proc/mdstat'),
  ]);

  const dmi = parseDmidecode(dmiText ?? '');
  // lshw takes seconds on large servers and only repeats what dmidecode says, so it runs when dmidecode gave nothing.
  const lshw = dmi.length > 0 ? [] : parseLshw((await output('lshw', ['-json', '-quiet'], TIMEOUT_MS.lshw)) ?? '');

  const fromDmi = systemFromDmi(dmi);
  const fromLshw = systemFromLshw(lshw);
  const fromSys = await readSysDmiId(readFile);
  const system: SystemIdentity = {
    vendor: firstKnown(fromDmi.vendor, fromLshw.vendor, fromSys.vendor),
    model: firstKnown(fromDmi.model, fromLshw.model, fromSys.model),
    serial: firstKnown(fromDmi.serial, fromLshw.serial, fromSys.serial),
    uuid: firstKnown(fromDmi.uuid, fromLshw.uuid, fromSys.uuid)?.toLowerCase() ?? null,
    machineId: firstKnown(machineId),
    hostname: host.hostname(),
  };

  const dmiCpus = cpusFromDmi(dmi);
  const modules = memoryModulesFromDmi(dmi);
  const lshwModules = modules.length ? [] : memoryModulesFromLshw(lshw);
  const installed = [...modules, ...lshwModules];
  const memTotal = meminfo === undefined ? undefined : parseMeminfo(meminfo).MemTotal;

  const pci = parseLspciMachine(lspciText ?? '');
  const raid = [...softwareRaidFromMdstat(mdstat ?? ''), ...raidControllersFromPci(pci)];
  const gpus = gpusFromPci(pci);
  const psus = psusFromDmi(dmi);
  const osInfo = parseOsRelease(osRelease ?? '');

  return {
    collectedAt,
    system,
    os: { name: osInfo.name, version: osInfo.version, kernel: host.release(), arch: host.machine() },
    cpus: dmiCpus.length ? dmiCpus : cpusFromCpuinfo(cpuinfo ?? ''),
    memory: {
      // Installed memory is what a CMDB tracks; MemTotal (less the kernel's reservations) is the last resort.
      totalBytes: installed.length ? installed.reduce((sum, m) => sum + m.sizeBytes, 0) : (memoryTotalFromLshw(lshw) ?? memTotal ?? null),
      modules: installed,
    },
    disks: disksFromLsblk(lsblkJson ?? '') ?? (await disksFromSysBlock(readFile, listDir)),
    nics: await collectNics(readFile, listDir, ipJson, host),
    ...(raid.length ? { raid } : {}),
    ...(gpus.length ? { gpus } : {}),
    ...(psus.length ? { psus } : {}),
  };
}

/** The kernel's copy of the SMBIOS identity: readable without dmidecode (serial and uuid need root). */
async function readSysDmiId(readFile: FileReader) {
  const [vendor, model, serial, uuid] = await Promise.all(
    ['sys_vendor', 'product_name', 'product_serial', 'product_uuid'].map((f) => readFile(`/sys/class/dmi/id/${f}`)),
  );
  return { vendor, model, serial, uuid };
}

async function disksFromSysBlock(readFile: FileReader, listDir: DirectoryLister): Promise<Disk[]> {
  const names = (await listDir('/sys/block')) ?? [];
  const disks = await Promise.all(
    names.map(async (name) => {
      const contents = await Promise.all(SYS_BLOCK_FILES.map((file) => readFile(`/sys/block/${name}/${file}`)));
      const files: SysBlockFiles = Object.fromEntries(SYS_BLOCK_FILES.map((file, i) => [file, contents[i]]));
      return diskFromSysBlock(name, files);
    }),
  );
  return disks.filter((d): d is Disk => d !== undefined).sort((a, b) => a.name.localeCompare(b.name));
}

async function collectNics(readFile: FileReader, listDir: DirectoryLister, ipJson: string | undefined, host: HostFacts): Promise<Nic[]> {
  const addresses = addressesFromIpJson(ipJson ?? '') ?? addressesFromNodeInterfaces(host.networkInterfaces());
  // Without sysfs (some containers) the interfaces holding addresses are all there is to list.
  const names = (await listDir('/sys/class/net')) ?? [...addresses.keys()];
  const nics = await Promise.all(
    names.map(async (name) => {
      const [address, speed, deviceUevent] = await Promise.all(['address', 'speed', 'device/uevent'].map((file) => readFile(`/sys/class/net/${name}/${file}`)));
      return buildNic(name, { address, speed, deviceUevent }, addresses.get(name));
    }),
  );
  return nics.filter((n): n is Nic => n !== undefined).sort((a, b) => a.name.localeCompare(b.name));
}
