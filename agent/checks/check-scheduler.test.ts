/** The scheduler applying configurations in place, with a real TCP listener as the checked service. */
import { createServer, type Server } from 'node:net';
import { pino } from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { MetricPoint } from '../../protocol/messages.js';
import { CheckScheduler } from './check-scheduler.js';
import { PluginRunner } from './plugin-runner.js';

let server: Server;
let port = 0;
beforeAll(async () => {
  server = createServer((s) => s.end());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as { port: number }).port;
});
afterAll(() => server.close());

it('applies a new configuration without restarting unchanged items, and stops removed ones', async () => {
  const points: MetricPoint[] = [];
  const s = new CheckScheduler({ runner: new PluginRunner({ dirs: [] }), emit: (p) => points.push(...p), log: pino({ level: 'silent' }) });
  const tcp = { key: 'svc', type: 'tcp', intervalS: 1, timeoutS: 1, params: { host: '127.0.0.1', port } };
  s.apply({ items: [tcp, { key: 'bad' }] }, 'v1');
  expect(s.keys).toEqual(['svc']); // the malformed item is skipped
  await new Promise((r) => setTimeout(r, 2300));
  const first = points.filter((p) => p.name === 'svc.status');
  expect(first.length).toBeGreaterThanOrEqual(2);
  expect(first.every((p) => p.v === 0)).toBe(true);

  s.apply({ items: [] }, 'v1'); // same version: ignored
  expect(s.keys).toEqual(['svc']);
  s.apply({ items: [tcp, { key: 'other', type: 'process', intervalS: 60, timeoutS: 1, params: { name: 'no-such-proc' } }] }, 'v2');
  expect(s.configVersion).toBe('v2');
  await new Promise((r) => setTimeout(r, 1200));
  expect(points.some((p) => p.name === 'other.status' && p.v === 2)).toBe(true);

  s.apply({ items: [] }, 'v3');
  expect(s.keys).toEqual([]);
  const n = points.length;
  await new Promise((r) => setTimeout(r, 1500));
  expect(points.length).toBe(n);
  s.stop();
});
