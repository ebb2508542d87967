/**
 * Where notifications may connect. Webhook URLs and SMTP hosts are typed in by operators, so
 * without a rule the server would POST to, or greet, whatever sits on its own loopback, its
 * private networks or the cloud metadata address. Refused: loopback, unspecified, link-local
 * (169.254.169.254 included), private, CGNAT, reserved, multicast and broadcast addresses, in
 * IPv4, IPv6 and IPv4-mapped IPv6 form — unless an admin allow-lists the network
 * (AW_NOTIFY_ALLOW_NETWORKS). The check runs on the addresses a name resolves to, and the
 * connection is then made to a checked address, so a name that re-resolves elsewhere (DNS
 * rebinding) gains nothing.
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import { BlockList, isIP, type LookupFunction } from 'node:net';

export interface Network {
  address: string;
  prefix: number;
  family: 'ipv4' | 'ipv6';
}

export interface CheckedAddress {
  address: string;
  family: 4 | 6;
}

/** Thrown when a target resolves to no address the policy allows; its message names no remote text. */
export class EgressForbiddenError extends Error {
  readonly code = 'EGRESS_FORBIDDEN';
  constructor(host: string) {
    super(`${host} resolves to no address outside the internal networks`);
  }
}

const FORBIDDEN: readonly string[] = [
  '0.0.0.0/8', // "this network", 0.0.0.0 included
  '10.0.0.0/8',
  '100.64.0.0/10', // carrier-grade NAT
  '127.0.0.0/8',
  '169.254.0.0/16', // link-local, cloud metadata 169.254.169.254
  '172.16.0.0/12',
  '192.0.0.0/24', // IETF protocol assignments
  '192.168.0.0/16',
  '198.18.0.0/15', // benchmarking
  '224.0.0.0/4', // multicast
  '240.0.0.0/4', // reserved, 255.255.255.255 broadcast included
  '::/96', // ::, ::1 and the deprecated IPv4-compatible ::a.b.c.d
  'fc00::/7', // unique local (AWS metadata fd00:ec2::254 included)
  'fe80::/10', // link-local
  'fec0::/10', // deprecated site-local
  'ff00::/8', // multicast
];

/** `a.b.c.d`, `a.b.c.d/n`, `x::y`, `x::y/n`, comma-separated; `name` is the setting, for the error message. */
export function parseNetworks(spec: string, name: string): Network[] {
  return spec
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((entry) => {
      const [address, prefixText, ...rest] = entry.split('/');
      const v = isIP(address);
      const max = v === 6 ? 128 : 32;
      const prefix = prefixText === undefined ? max : Number(prefixText);
      if (!v || rest.length || !/^\d{1,3}$/.test(prefixText ?? String(max)) || prefix > max) {
        throw new Error(`${name}: "${entry}" is not an address or a network such as 10.0.0.0/8 or fd00::/8`);
      }
      return { address, prefix, family: v === 6 ? 'ipv6' : 'ipv4' };
    });
}

const blockListOf = (networks: Network[]): BlockList => {
  const list = new BlockList();
  for (const n of networks) list.addSubnet(n.address, n.prefix, n.family);
  return list;
};

const FORBIDDEN_LIST = blockListOf(parseNetworks(FORBIDDEN.join(','), 'forbidden networks'));

/** `[::1]` as URLs write it → `::1`. */
const unbracket = (host: string) => (host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host);

/** `2130706433`, `0x7f.1` and friends as the dotted address a resolver would make of them. */
const canonicalHost = (host: string): string => {
  try {
    return unbracket(new URL(`http://${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}/`).hostname);
  } catch {
    return unbracket(host);
  }
};

/** Names that are loopback by definition (RFC 6761), whatever a resolver says. */
const isLocalhostName = (host: string) => /^(localhost|.+\.localhost)\.?$/i.test(host);

export class EgressPolicy {
  private readonly allowed: BlockList;

  constructor(allowNetworks: Network[] = []) {
    this.allowed = blockListOf(allowNetworks);
  }

  /** Whether a connection to this IP address may be made. IPv4-mapped IPv6 is judged as the IPv4 address it holds. */
  allows(address: string): boolean {
    const v = isIP(address);
    if (!v) return false;
    const family = v === 6 ? 'ipv6' : 'ipv4';
    return this.allowed.check(address, family) || !FORBIDDEN_LIST.check(address, family);
  }

  /**
   * Refused before any lookup: an IP literal the policy forbids, or a localhost name while the
   * loopback addresses are forbidden. A quick answer for the person typing the URL; `resolve`
   * stays the defence.
   */
  refusesOutright(host: string): boolean {
    const h = canonicalHost(host);
    if (isIP(h)) return !this.allows(h);
    return isLocalhostName(h) && !this.allows('127.0.0.1') && !this.allows('::1');
  }

  /** The addresses `host` resolves to that the policy allows; none → EgressForbiddenError. Connect only to these. */
  async resolve(host: string): Promise<CheckedAddress[]> {
    const h = unbracket(host);
    const v = isIP(h);
    const found: CheckedAddress[] = v
      ? [{ address: h, family: v as 4 | 6 }]
      : (await dnsLookup(h, { all: true, verbatim: true })).map((a) => ({ address: a.address, family: a.family as 4 | 6 }));
    const allowed = found.filter((a) => this.allows(a.address));
    if (!allowed.length) throw new EgressForbiddenError(h);
    return allowed;
  }
}

/** A `lookup` for net/http that answers with addresses already checked, so the socket cannot go elsewhere. */
export function pinnedLookup(addresses: CheckedAddress[]): LookupFunction {
  return (_host, options, callback) => {
    if ((options as { all?: boolean }).all) (callback as (e: null, a: CheckedAddress[]) => void)(null, addresses);
    else callback(null, addresses[0].address, addresses[0].family);
  };
}
