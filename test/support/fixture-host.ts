import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CommandResult, CommandRunner } from '../../agent/collect/inventory/command-runner.js';
import type { HostFacts } from '../../agent/collect/inventory/collect-inventory.js';
import type { DirectoryLister, FileReader } from '../../agent/collect/inventory/host-files.js';

/** Serves captured files and command outputs as if they were a live host. */
export const FIXTURES = fileURLToPath(new URL('../../agent/collect/fixtures/', import.meta.url));

export const fixtureText = (path: string) => readFile(join(FIXTURES, path), 'utf8');

/** Files under `root` answer for the absolute paths they mirror (root/etc/os-release → /etc/os-release). */
export function fixtureFiles(root: string | undefined, extra: Record<string, string> = {}): { readFile: FileReader; listDir: DirectoryLister } {
  return {
    readFile: async (path) => extra[path] ?? (root === undefined ? undefined : readFile(join(FIXTURES, root, path), 'utf8').catch(() => undefined)),
    listDir: async (path) => (root === undefined ? undefined : readdir(join(FIXTURES, root, path)).catch(() => undefined)),
  };
}

export const succeeded = (stdout: string): CommandResult => ({ ok: true, stdout, stderr: '', exitCode: 0 });
export const notInstalled: CommandResult = { ok: false, stdout: '', stderr: '', exitCode: null, failure: 'not-found' };

/** A runner answering by command name; commands not listed are "not installed". Calls are recorded. */
export function fixtureRunner(results: Record<string, CommandResult>): CommandRunner & { calls: string[] } {
  const calls: string[] = [];
  const run = async (command: string, args: readonly string[]) => {
    calls.push([command, ...args].join(' '));
    return results[command] ?? notInstalled;
  };
  return Object.assign(run, { calls });
}

export function fixedHost(facts: Partial<HostFacts> = {}): HostFacts {
  return {
    hostname: () => 'fixture-host',
    release: () => '6.1.0-18-amd64',
    machine: () => 'x86_64',
    networkInterfaces: () => ({}),
    ...facts,
  };
}

/** The captured physical server (Supermicro, two CPUs, RAID, GPUs): its commands, files and host facts. */
export async function physicalServerFixture() {
  const run = fixtureRunner({
    dmidecode: succeeded(await fixtureText('dmidecode-physical-server.txt')),
    lsblk: succeeded(await fixtureText('lsblk-physical-server.json')),
    lspci: succeeded(await fixtureText('lspci-physical-server.txt')),
  });
  const files = fixtureFiles(undefined, {
    '/proc/mdstat': await fixtureText('mdstat-physical-server.txt'),
    '/etc/os-release': 'NAME="Rocky Linux"\nVERSION_ID="9.3"\n',
    '/etc/machine-id': 'a8c2f1d47e3b49b6a1f0c9d8e7b6a5f4\n',
  });
  const host = fixedHost({
    hostname: () => 'db01',
    networkInterfaces: () => ({
      eno1: [{ address: '10.20.0.15', netmask: '255.255.255.0', family: 'IPv4', mac: '3c:ec:ef:1a:2b:3c', internal: false, cidr: '10.20.0.15/24' }],
    }),
  });
  return { run, files, host };
}
