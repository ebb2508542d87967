import type { NetworkInterfaceInfo } from 'node:os';

/** What the IP layer knows about one interface. */
export interface InterfaceAddresses {
  mac: string | null;
  /** "address/prefix", link-local and loopback scopes left out. */
  ips: string[];
  loopback: boolean;
}

interface IpJsonLink {
  ifname?: string;
  address?: string;
  link_type?: string;
  addr_info?: { local?: string; prefixlen?: number; scope?: string }[];
}

/**
 * `ip -j addr`. Link-scope addresses (fe80::/10, 169.254/16) are dropped: they are derived from the MAC
 * or self-assigned and would only churn the diff. undefined means the output was not ip's JSON.
 */
export function addressesFromIpJson(json: string): Map<string, InterfaceAddresses> | undefined {
  let links: IpJsonLink[];
  try {
    links = JSON.parse(json);
  } catch {
    return undefined;
  }
  if (!Array.isArray(links)) return undefined;
  const byName = new Map<string, InterfaceAddresses>();
  for (const link of links) {
    if (!link.ifname) continue;
    byName.set(link.ifname, {
      mac: link.link_type === 'ether' && link.address ? link.address.toLowerCase() : null,
      ips: (link.addr_info ?? []).filter((a) => a.local && a.scope !== 'link' && a.scope !== 'host').map((a) => `${a.local}/${a.prefixlen}`),
      loopback: link.link_type === 'loopback',
    });
  }
  return byName;
}

/** The same from os.networkInterfaces(), which lists only interfaces that hold an address. */
export function addressesFromNodeInterfaces(interfaces: NodeJS.Dict<NetworkInterfaceInfo[]>): Map<string, InterfaceAddresses> {
  const byName = new Map<string, InterfaceAddresses>();
  for (const [name, infos = []] of Object.entries(interfaces)) {
    const linkLocal = (i: NetworkInterfaceInfo) => /^fe80:/i.test(i.address) || /^169\.254\./.test(i.address);
    const mac = infos.find((i) => i.mac && i.mac !== '00:00:00:00:00:00')?.mac ?? null;
    byName.set(name, {
      mac: mac?.toLowerCase() ?? null,
      ips: infos.filter((i) => !i.internal && !linkLocal(i) && i.cidr).map((i) => i.cidr!),
      loopback: infos.length > 0 && infos.every((i) => i.internal),
    });
  }
  return byName;
}
