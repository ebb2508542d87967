import { describe, expect, it } from 'vitest';
import { AppError } from '../errors.js';
import { canMove } from './incident-state.js';
import { retryDelayMs, signWebhook } from './notifier.js';
import { agentMonitoring, checkTemplateContent, compileTriggers, includeCycle, type TemplateRow } from './template-model.js';

const tcp = { key: 'ssh', type: 'tcp' as const, interval_s: 30, params: { host: '127.0.0.1', port: 22 } };

describe('template content checks', () => {
  it('accepts a sound template', () => {
    expect(() => checkTemplateContent([tcp], [{ key: 'down', name: 'SSH down', severity: 'high', expression: 'last(ssh.status) >= 2' }])).not.toThrow();
  });

  it.each([
    [[tcp, tcp], [], 'body.items[1].key'],
    [[{ ...tcp, params: { host: 'x' } }], [], 'body.items[0].params.port'],
    [[{ key: 'p', type: 'plugin', interval_s: 10, command: 'a/b' }], [], 'body.items[0].command'],
    [[{ key: 'p', type: 'plugin', interval_s: 5, timeout_s: 10, command: 'check_load' }], [], 'body.items[0].timeout_s'],
    [[{ key: 'w', type: 'http', interval_s: 10, params: { url: 'ftp://x' } }], [], 'body.items[0].params.url'],
    [[{ key: 'pr', type: 'process', interval_s: 10, params: { pattern: '(' } }], [], 'body.items[0].params.pattern'],
    [[], [{ key: 't', name: 't', severity: 'high', expression: 'last(x) > 1', recovery: 'nonsense' }], 'body.triggers[0].recovery'],
    [[], [{ key: 't', name: 't', severity: 'fatal', expression: 'last(x) > 1' }], 'body.triggers[0].severity'],
    [[{ key: 'g', type: 'collector', interval_s: 2, collector: 'gpu' }], [], 'body.items[0].collector'],
    [[{ key: 'g', type: 'collector', interval_s: 2 }], [], 'body.items[0].collector'],
    [[{ key: 'g', type: 'collector', interval_s: 2, collector: 'cpu', command: 'x' }], [], 'body.items[0].command'],
    [[{ ...tcp, collector: 'cpu' }], [], 'body.items[0].collector'],
  ] as any[])('refuses %j %j at %s', (items, triggers, field) => {
    try {
      checkTemplateContent(items, triggers);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(AppError);
      expect((err as AppError).details?.field).toBe(field);
    }
  });
});

describe('agent configuration', () => {
  const a: TemplateRow = {
    id: 'a',
    name: 'A',
    items: [tcp, { key: 'load', type: 'plugin', interval_s: 60, command: 'check_load', args: ['-w', '5,5,5', '-c', '9,9,9'] }],
    triggers: [{ key: 'hi', name: 'Load high', severity: 'warning', expression: 'last(load.load1) > 5' }],
  };
  const b: TemplateRow = { id: 'b', name: 'B', items: [{ ...tcp, interval_s: 5 }], triggers: [] };

  it('is the union of items, first template winning a key, sorted, with a stable hash version', () => {
    const one = agentMonitoring([a, b]);
    expect(one.monitoring.items.map((i) => [i.key, i.intervalS, i.timeoutS])).toEqual([
      ['load', 60, 10],
      ['ssh', 30, 10],
    ]);
    expect(agentMonitoring([a, b]).version).toBe(one.version);
    expect(agentMonitoring([b, a]).version).not.toBe(one.version);
    expect(agentMonitoring([]).version).toMatch(/^[0-9a-f]{16}$/);
  });

  it('accepts a check with a short interval and no timeout (the default timeout is capped by the interval)', () => {
    expect(() => checkTemplateContent([{ ...tcp, interval_s: 2 }], [])).not.toThrow();
    expect(agentMonitoring([{ id: 'f', name: 'F', items: [{ ...tcp, interval_s: 2 }], triggers: [] }]).monitoring.items[0].timeoutS).toBe(2);
  });

  it('takes the union of collectors, the shortest interval winning, and keeps versions of configurations without any', () => {
    const fast: TemplateRow = {
      id: 'f',
      name: 'F',
      items: [
        { key: 'c', type: 'collector', interval_s: 2, collector: 'cpu' },
        { key: 'n', type: 'collector', interval_s: 30, collector: 'network' },
      ],
      triggers: [],
    };
    const slow: TemplateRow = {
      id: 's',
      name: 'S',
      items: [
        { key: 'c', type: 'collector', interval_s: 60, collector: 'cpu' },
        { key: 'd', type: 'collector', interval_s: 120, collector: 'disk' },
      ],
      triggers: [],
    };
    const both = agentMonitoring([slow, a, fast]);
    expect(both.monitoring.collectors).toEqual([
      { name: 'cpu', intervalS: 2 },
      { name: 'disk', intervalS: 120 },
      { name: 'network', intervalS: 30 },
    ]);
    expect(both.monitoring.items.map((i) => i.key)).toEqual(['load', 'ssh']);
    expect(agentMonitoring([fast, a, slow]).version).toBe(both.version);
    expect(both.version).not.toBe(agentMonitoring([a]).version);
    expect(agentMonitoring([a]).monitoring).not.toHaveProperty('collectors');
  });

  it('compiles triggers with refs per template', () => {
    const [t] = compileTriggers([a]);
    expect(t).toMatchObject({ ref: 'a:hi', templateId: 'a', severity: 'warning', recovery: null });
  });
});

it('finds include cycles, direct and through others', () => {
  const edges = new Map([
    ['b', ['a']],
    ['c', ['b']],
  ]);
  expect(includeCycle(edges, 'a', ['c'])).toBe(true);
  expect(includeCycle(edges, 'a', ['a'])).toBe(true);
  expect(includeCycle(edges, 'd', ['c'])).toBe(false);
});

it('incident states move only forward (resolved may reopen)', () => {
  expect(canMove('open', 'acknowledged')).toBe(true);
  expect(canMove('open', 'resolved')).toBe(true);
  expect(canMove('acknowledged', 'open')).toBe(false);
  expect(canMove('resolved', 'open')).toBe(true);
  expect(canMove('closed', 'open')).toBe(false);
});

it('signs webhooks over time and body, and backs off exponentially to a cap', () => {
  // Known answer from openssl: printf '100.{}' | openssl dgst -sha256 -hmac k
  expect(signWebhook('k', '{}', 100)).toBe('t=100,v1=cbc154d9aa932703113b6e9e9dd73e1def00f57dd87039a465d6baee5ddebe85');
  expect(signWebhook('k', '{}', 100)).not.toBe(signWebhook('k', '{}', 101));
  expect([1, 2, 3, 4].map((n) => retryDelayMs(n, 1000))).toEqual([1000, 2000, 4000, 8000]);
  expect(retryDelayMs(40, 1000)).toBe(3_600_000);
});
