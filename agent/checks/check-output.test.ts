import { describe, expect, it } from 'vitest';
import { parseJsonOutput, parseNagiosOutput, parsePerfData, resultPoints } from './check-output.js';

describe('Nagios plugin output', () => {
  it('reads status, text and perfdata as real plugins print them', () => {
    // check_load and check_disk output, as printed by monitoring-plugins 2.3
    const load = parseNagiosOutput(
      'LOAD OK - total load average: 10.68, 6.30, 2.96|load1=10.680;100.000;200.000;0; load5=6.300;100.000;200.000;0; load15=2.960;100.000;200.000;0; \n',
      0,
    );
    expect(load).toEqual({
      status: 0,
      message: 'LOAD OK - total load average: 10.68, 6.30, 2.96',
      metrics: [
        { name: 'load1', value: 10.68 },
        { name: 'load5', value: 6.3 },
        { name: 'load15', value: 2.96 },
      ],
    });
    const disk = parseNagiosOutput('DISK OK - free space: / 79777MiB (76% inode=97%);| /=25290604544B;267847005634;267847005634;0;270552530944\n', 0);
    expect(disk.metrics).toEqual([{ name: '_', value: 25290604544 }]); // '/' is not a metric name character
  });

  it('turns units into base units and keeps quoted labels whole', () => {
    const p = parsePerfData("'free space'=1.5GB;2;1;0;10 time=250ms;;; 'it''s'=3% rtt=U;1;2 junk");
    expect(p.map((x) => [x.label, x.value, x.uom])).toEqual([
      ['free space', 1.5, 'GB'],
      ['time', 250, 'ms'],
      ["it's", 3, '%'],
    ]);
    expect(p[0]).toMatchObject({ warn: '2', crit: '1', min: 0, max: 10 });
    const r = parseNagiosOutput("X OK|'free space'=1.5GB time=250ms", 0);
    expect(r.metrics).toEqual([
      { name: 'free_space', value: 1.5 * 1024 ** 3 },
      { name: 'time', value: 0.25 },
    ]);
  });

  it('reads Nagios 3 long output with perfdata on later lines', () => {
    const r = parseNagiosOutput('DISK OK - all fine | /=10B\n/boot is fine\n/var is fine | /boot=2B\n/var=3B\n', 0);
    expect(r.message).toBe('DISK OK - all fine\n/boot is fine\n/var is fine');
    expect(r.metrics.map((m) => m.value)).toEqual([10, 2, 3]);
  });

  it('maps exit codes: 0-2 as given, anything else (3, crash, signal) UNKNOWN', () => {
    expect(parseNagiosOutput('W', 1).status).toBe(1);
    expect(parseNagiosOutput('C', 2).status).toBe(2);
    expect(parseNagiosOutput('', 3)).toEqual({ status: 3, message: 'UNKNOWN (no output)', metrics: [] });
    expect(parseNagiosOutput('segfault', 139).status).toBe(3);
    expect(parseNagiosOutput('killed', null).status).toBe(3);
  });
});

describe('JSON plugin output', () => {
  it('takes metrics as a map or as a list with labels', () => {
    expect(parseJsonOutput('{"status":1,"message":"slow","metrics":{"latency_s":0.5,"bad":"x"}}', 0)).toEqual({
      status: 1,
      message: 'slow',
      metrics: [{ name: 'latency_s', value: 0.5 }],
    });
    expect(parseJsonOutput('{"metrics":[{"name":"q","value":3,"labels":{"queue":"a"}}]}', 2)).toEqual({
      status: 2,
      message: 'CRITICAL',
      metrics: [{ name: 'q', value: 3, labels: { queue: 'a' } }],
    });
  });

  it('says UNKNOWN for output that is not a JSON object', () => {
    expect(parseJsonOutput('{oops', 0).status).toBe(3);
    expect(parseJsonOutput('[1]', 0).status).toBe(3);
  });
});

it('names result points after the item key', () => {
  expect(resultPoints('tcp_22', { status: 2, message: '', metrics: [{ name: 'time', value: 0.1 }] }, 12.5, 1000)).toEqual([
    { name: 'tcp_22.status', t: 1000, v: 2 },
    { name: 'tcp_22.duration_ms', t: 1000, v: 12.5 },
    { name: 'tcp_22.time', t: 1000, v: 0.1 },
  ]);
});
