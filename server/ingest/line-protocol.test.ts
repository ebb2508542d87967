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

describe('line protocol, repeated series', () => {
  it('parses each series once per body: its points share labels, and values stay exact', () => {
    const body = ['cpu,host=a,cpu=0 idle=1.5,user=2i 1', 'cpu,host=a,cpu=0  idle=3.25  2', 'cpu,host=b,cpu=0 idle=-0.5 3'].join('\n');
    const p = parseLineProtocol(body, NOW, 's');
    expect(p.map((x) => [x.name, x.t, x.v])).toEqual([
      ['cpu.idle', 1000, 1.5],
      ['cpu.user', 1000, 2],
      ['cpu.idle', 2000, 3.25],
      ['cpu.idle', 3000, -0.5],
    ]);
    expect(p[0].labels).toBe(p[2].labels);
    expect(p[3].labels).toEqual({ host: 'b', cpu: '0' });
  });

  it('still names the line of a bad field on a series seen before', () => {
    expect(() => parseLineProtocol('m,host=a v=1 1\nm,host=a v=x 2', NOW)).toThrow(/line 2: field v has a bad value "x"/);
  });

  it('reads a line without escapes or quotes as it reads the same line with a string field added', () => {
    // A quoted string field (skipped) sends a line through the escape-aware splitting; without one it is split natively.
    const withString = (line: string) => line.replace(' ', ' s="a, b=c",');
    const parse = (body: string) => {
      try {
        return parseLineProtocol(body, NOW);
      } catch (err) {
        return (err as Error).message;
      }
    };
    const lines = [
      'cpu,host=a,cpu=0 user=1.5,system=2i,up=t,down=F 1800000000000000000',
      'cpu,host=a user=1  1800000000000000000',
      'cpu,host=a user=1',
      'cpu,host=a user= 1',
      'cpu,host=a user 1',
      'cpu,host=a =1 1',
      'cpu,host=a user=1,,system=2 1',
      'cpu,host=a user=1 1 2',
      'cpu,host=a user=x 1',
      'cpu,host=a user=1=2 1',
    ];
    const outcomes = lines.map(parse);
    expect(outcomes.map((o) => typeof o)).toEqual(['object', 'object', 'object', 'string', 'string', 'string', 'string', 'string', 'string', 'string']);
    expect(lines.map((l) => parse(withString(l)))).toEqual(outcomes);
  });
});
