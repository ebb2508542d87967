import { describe, expect, it } from 'vitest';
import { LineProtocolError, parseLineProtocol } from './line-protocol.js';

const NOW = 1_800_000_000_000;

describe('line protocol', () => {
  it('reads what Telegraf sends: tags, typed fields, nanosecond timestamps', () => {
    const body = [
      '# a comment',
      'cpu,cpu=cpu-total,host=web1 usage_idle=93.5,usage_user=4.25 1800000000000000000',
      'mem,host=web1 used=1234i,available=99u,active=true 1800000001000000000',
      'disk,host=web1,path=/var free=10,mode="rw" ',
      '',
    ].join('\n');
    expect(parseLineProtocol(body, NOW)).toEqual([
      { name: 'cpu.usage_idle', labels: { cpu: 'cpu-total', host: 'web1' }, t: NOW, v: 93.5 },
      { name: 'cpu.usage_user', labels: { cpu: 'cpu-total', host: 'web1' }, t: NOW, v: 4.25 },
      { name: 'mem.used', labels: { host: 'web1' }, t: NOW + 1000, v: 1234 },
      { name: 'mem.available', labels: { host: 'web1' }, t: NOW + 1000, v: 99 },
      { name: 'mem.active', labels: { host: 'web1' }, t: NOW + 1000, v: 1 },
      { name: 'disk.free', labels: { host: 'web1', path: '/var' }, t: NOW, v: 10 },
    ]);
  });

  it('handles escapes and quoted strings with spaces and commas', () => {
    const p = parseLineProtocol('my\\ meas,tag\\ key=a\\,b\\=c f\\ 1=1,msg="x, y=z" 1800000000', NOW, 's');
    expect(p).toEqual([{ name: 'my_meas.f_1', labels: { tag_key: 'a,b=c' }, t: NOW, v: 1 }]);
  });

  it('honours precision', () => {
    expect(parseLineProtocol('m v=1 1800000000000', 0, 'ms')[0].t).toBe(NOW);
    expect(parseLineProtocol('m v=1 1800000000000000', 0, 'us')[0].t).toBe(NOW);
  });

  it.each([
    ['m', 'expected'],
    ['m v=', 'bad value'],
    ['m v=abc', 'bad value'],
    ['m,tag v=1', 'bad tag'],
    ['m v=1 12:00', 'bad timestamp'],
    ['m v=1 1 extra', 'expected'],
  ])('refuses %j, naming the line', (line, message) => {
    const body = `ok v=1\n${line}`;
    expect(() => parseLineProtocol(body, NOW)).toThrow(LineProtocolError);
    expect(() => parseLineProtocol(body, NOW)).toThrow(new RegExp(`line 2: .*${message}`));
  });
});
