import { describe, expect, it } from 'vitest';
import { EgressPolicy, parseNetworks, pinnedLookup } from './egress-policy.js';

describe('egress policy', () => {
  const strict = new EgressPolicy();

  it('refuses internal addresses in every spelling, allows public ones', () => {
    const internal = [
      '127.0.0.1',
      '127.255.0.9',
      '0.0.0.0',
      '10.1.2.3',
      '172.16.0.1',
      '172.31.255.255',
      '192.168.1.1',
      '100.64.0.1',
      '169.254.169.254',
      '224.0.0.1',
      '255.255.255.255',
      '::',
      '::1',
      '::127.0.0.1',
      '::ffff:127.0.0.1',
      '::ffff:a9fe:a9fe',
      'fe80::1',
      'fd00:ec2::254',
      'fc00::1',
      'ff02::1',
    ];
    for (const a of internal) expect(strict.allows(a), a).toBe(false);
    const external = ['1.1.1.1', '93.184.215.14', '172.32.0.1', '100.128.0.1', '2606:4700:4700::1111', '::ffff:1.1.1.1'];
    for (const a of external) expect(strict.allows(a), a).toBe(true);
    expect(strict.allows('not-an-address')).toBe(false);
  });

  it('an allow-listed network is reachable, its neighbours are not', () => {
    const p = new EgressPolicy(parseNetworks('10.20.0.0/16, 127.0.0.1, fd00::/8', 'TEST'));
    expect(p.allows('10.20.3.4')).toBe(true);
    expect(p.allows('10.21.0.1')).toBe(false);
    expect(p.allows('127.0.0.1')).toBe(true);
    expect(p.allows('::ffff:127.0.0.1')).toBe(true);
    expect(p.allows('127.0.0.2')).toBe(false);
    expect(p.allows('fd12::1')).toBe(true);
    expect(p.allows('169.254.169.254')).toBe(false);
  });

  it('settings that are not networks are refused with the setting named', () => {
    expect(parseNetworks('', 'X')).toEqual([]);
    expect(parseNetworks(' 127.0.0.0/8 ,::1', 'X')).toEqual([
      { address: '127.0.0.0', prefix: 8, family: 'ipv4' },
      { address: '::1', prefix: 128, family: 'ipv6' },
    ]);
    for (const bad of ['10.0.0.0/33', 'fd00::/129', 'example.com', '10.0.0.0/', '10.0.0.0/8/8', '10.0.0.0/x']) {
      expect(() => parseNetworks(bad, 'AW_NOTIFY_ALLOW_NETWORKS'), bad).toThrow(/AW_NOTIFY_ALLOW_NETWORKS/);
    }
  });

  it('refuses literal and localhost targets outright, whatever their spelling', () => {
    for (const h of ['127.0.0.1', '[::1]', '::ffff:127.0.0.1', '2130706433', '0x7f.1', 'localhost', 'api.localhost', '169.254.169.254']) {
      expect(strict.refusesOutright(h), h).toBe(true);
    }
    for (const h of ['1.1.1.1', 'hooks.example.com', 'mail.example.net']) expect(strict.refusesOutright(h), h).toBe(false);
    expect(new EgressPolicy(parseNetworks('127.0.0.0/8', 'X')).refusesOutright('localhost')).toBe(false);
  });

  it('resolves names and keeps only allowed addresses; none allowed is an EGRESS_FORBIDDEN error', async () => {
    await expect(strict.resolve('localhost')).rejects.toMatchObject({ code: 'EGRESS_FORBIDDEN' });
    await expect(strict.resolve('[::1]')).rejects.toMatchObject({ code: 'EGRESS_FORBIDDEN' });
    expect(await strict.resolve('1.1.1.1')).toEqual([{ address: '1.1.1.1', family: 4 }]);
    const loopback = new EgressPolicy(parseNetworks('127.0.0.0/8', 'X'));
    expect(await loopback.resolve('localhost')).toContainEqual({ address: '127.0.0.1', family: 4 });
    expect((await loopback.resolve('localhost')).every((a) => a.address.startsWith('127.'))).toBe(true);
  });

  it('the pinned lookup answers with the checked addresses only', async () => {
    const lookup = pinnedLookup([{ address: '1.1.1.1', family: 4 }]);
    const one = await new Promise((r) => lookup('anything', {}, (_e, address, family) => r({ address, family })));
    expect(one).toEqual({ address: '1.1.1.1', family: 4 });
    const all = await new Promise((r) => lookup('anything', { all: true }, (_e, addresses) => r(addresses)));
    expect(all).toEqual([{ address: '1.1.1.1', family: 4 }]);
  });
});
