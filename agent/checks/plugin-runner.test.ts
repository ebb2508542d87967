/**
 * The plugin runner and the scheduler's check types against real programs: Debian's
 * monitoring-plugins (apt-get install monitoring-plugins-basic, done by scripts/test-deps.sh) and small
 * shell plugins written here, plus real sockets, HTTP and TLS servers. Without the Debian plugins (or
 * openssl) only the suites that run them are skipped.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createTlsServer } from 'node:tls';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createNetServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MONITORING_PLUGINS_DIR, needs } from '../../test/support/requires.js';
import { CheckScheduler, type CheckItem } from './check-scheduler.js';
import { PluginRunner } from './plugin-runner.js';

const dir = mkdtempSync(join(tmpdir(), 'aw-plugins-'));
const plugin = (name: string, body: string) => {
  writeFileSync(join(dir, name), `#!/bin/sh\n${body}\n`);
  chmodSync(join(dir, name), 0o755);
};
const log = pino({ level: 'silent' });
const runner = new PluginRunner({ dirs: [dir, MONITORING_PLUGINS_DIR], maxConcurrent: 2, outputCapBytes: 1000 });
const scheduler = new CheckScheduler({ runner, emit: () => undefined, log });
const check = (item: Partial<CheckItem>) => scheduler.check({ key: 'k', type: 'plugin', intervalS: 10, timeoutS: 5, ...item } as CheckItem);

let listener: Server;
let port = 0;
beforeAll(async () => {
  listener = createNetServer((s) => s.end());
  await new Promise<void>((r) => listener.listen(0, '127.0.0.1', r));
  port = (listener.address() as { port: number }).port;
  plugin('slow_forker', 'sleep 30 & sleep 30 & wait');
  plugin('chatty', 'yes x | head -c 100000; exit 1');
  plugin('json_check', `echo '{"status":1,"message":"queue long","metrics":{"depth":42}}'`);
  plugin('sleep1', 'sleep 1; echo "OK - slept|s=1s"');
});
afterAll(() => {
  listener?.close();
  rmSync(dir, { recursive: true, force: true });
});

needs('monitoring-plugins').describe('Debian monitoring-plugins through the runner', () => {
  it('check_tcp: OK with a time metric while the port listens, CRITICAL when it is closed', async () => {
    const up = await check({ command: 'check_tcp', args: ['-H', '127.0.0.1', '-p', String(port)] });
    expect(up.status).toBe(0);
    expect(up.message).toMatch(/^TCP OK/);
    expect(up.metrics.map((m) => m.name)).toEqual(['time']);
    const closed = createNetServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const deadPort = (closed.address() as { port: number }).port;
    await new Promise((r) => closed.close(r));
    const down = await check({ command: 'check_tcp', args: ['-H', '127.0.0.1', '-p', String(deadPort)] });
    expect(down.status).toBe(2);
    expect(down.message).toMatch(/Connection refused/);
  });

  it('check_load, check_disk, check_procs: status and perfdata metrics', async () => {
    const load = await check({ command: 'check_load', args: ['-w', '1000,1000,1000', '-c', '2000,2000,2000'] });
    expect(load.status).toBe(0);
    expect(load.metrics.map((m) => m.name)).toEqual(['load1', 'load5', 'load15']);
    const disk = await check({ command: 'check_disk', args: ['-w', '0%', '-c', '0%', '-p', '/'] });
    expect([0, 1, 2]).toContain(disk.status);
    expect(disk.metrics[0].value).toBeGreaterThan(0); // used bytes of /
    const procs = await check({ command: 'check_procs', args: ['-c', '1:', '-C', 'no-such-process-aw'] });
    expect(procs.status).toBe(2);
    expect(procs.metrics.find((m) => m.name === 'procs')?.value).toBe(0);
  });

  it('check_http against a real HTTP server', async () => {
    const http = createHttpServer((_q, s) => s.writeHead(503).end('down'));
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    const p = (http.address() as { port: number }).port;
    const r = await check({ command: 'check_http', args: ['-H', '127.0.0.1', '-p', String(p)] });
    http.close();
    expect(r.status).toBe(2);
    expect(r.message).toMatch(/503/);
    expect(r.metrics.map((m) => m.name)).toEqual(['time', 'size']);
  });
});

describe('runner limits', () => {
  it('kills the whole process group on timeout and says UNKNOWN', async () => {
    const t0 = Date.now();
    const r = await runner.run('slow_forker', [], 300);
    expect(r.timedOut).toBe(true);
    expect(Date.now() - t0).toBeLessThan(5000);
    const res = await check({ command: 'slow_forker', timeoutS: 1 });
    expect(res).toMatchObject({ status: 3 });
    expect(res.message).toMatch(/timed out/);
  });

  it('caps output and marks it truncated', async () => {
    const r = await runner.run('chatty', [], 5000);
    expect(r.stdout.length).toBe(1000);
    expect(r.truncated).toBe(true);
    expect(r.exitCode).toBe(1);
  });

  it('runs at most maxConcurrent plugins at once', async () => {
    const t0 = Date.now();
    let peak = 0;
    const watch = setInterval(() => (peak = Math.max(peak, runner.active)), 20);
    await Promise.all([1, 2, 3, 4].map(() => runner.run('sleep1', [], 5000)));
    clearInterval(watch);
    expect(peak).toBe(2);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1900); // two rounds of two
  });

  it('runs only plugins by name from its folders', async () => {
    expect(runner.resolve('../../bin/sh')).toBeUndefined();
    expect(runner.resolve('/bin/sh')).toBeUndefined();
    expect(runner.resolve('sh')).toBeUndefined();
    expect((await check({ command: 'no_such_plugin' })).message).toMatch(/not found/);
  });

  it('reads JSON output', async () => {
    expect(await check({ command: 'json_check' })).toEqual({ status: 1, message: 'queue long', metrics: [{ name: 'depth', value: 42 }] });
  });
});

describe('built-in service checks', () => {
  it('tcp, http, process', async () => {
    expect((await check({ type: 'tcp', params: { host: '127.0.0.1', port } })).status).toBe(0);
    const http = createHttpServer((_q, s) => s.writeHead(204).end());
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(http.address() as { port: number }).port}/`;
    const ok = await check({ type: 'http', params: { url, expect_status: 204 } });
    const bad = await check({ type: 'http', params: { url, expect_status: 200 } });
    http.close();
    expect(ok.status).toBe(0);
    expect(ok.metrics.find((m) => m.name === 'http_status')?.value).toBe(204);
    expect(bad.status).toBe(2);
    expect((await check({ type: 'http', params: { url: 'http://127.0.0.1:1/' } })).status).toBe(2);
    const procs = await check({ type: 'process', params: { pattern: 'vitest|node' } });
    expect(procs.status).toBe(0);
    expect((await check({ type: 'process', params: { name: 'no-such-proc-aw' } })).status).toBe(2);
  });
});

needs('openssl').describe('certificate expiry check', () => {
  it("reads the days left of a real TLS server's certificate and grades them", async () => {
    // A self-signed certificate valid for 5 days (openssl, as the CI machine has it).
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'c.pem'), '-days', '5', '-subj', '/CN=localhost'],
      { stdio: 'ignore' },
    );
    const tls = createTlsServer({ key: readFileSync(join(dir, 'k.pem')), cert: readFileSync(join(dir, 'c.pem')) }, (s) => s.end());
    await new Promise<void>((r) => tls.listen(0, '127.0.0.1', r));
    const p = (tls.address() as { port: number }).port;
    const crit = await check({ type: 'cert', params: { host: '127.0.0.1', port: p, servername: 'localhost' } });
    const warn = await check({ type: 'cert', params: { host: '127.0.0.1', port: p, warn_days: 30, crit_days: 2 } });
    const ok = await check({ type: 'cert', params: { host: '127.0.0.1', port: p, warn_days: 3, crit_days: 1 } });
    tls.close();
    expect(crit.status).toBe(2); // 5 days left, below the default 7
    const days = crit.metrics.find((m) => m.name === 'days_left')!.value;
    expect(days).toBeGreaterThan(4.9);
    expect(days).toBeLessThanOrEqual(5);
    expect(warn.status).toBe(1);
    expect(ok.status).toBe(0);
    expect((await check({ type: 'cert', params: { host: '127.0.0.1', port } })).status).toBe(2); // not TLS
  });
});
