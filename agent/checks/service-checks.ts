/**
 * Built-in service checks, no plugin needed: process running, TCP port open, HTTP(S) status and
 * latency, TLS certificate expiry. Each answers like a plugin does (status, message, metrics) and
 * never throws: a check that cannot run is UNKNOWN or CRITICAL, with the reason in its message.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { CheckResult, CheckStatus } from './check-output.js';

type Params = Record<string, string | number | boolean>;

const str = (p: Params, k: string, fallback = ''): string => (typeof p[k] === 'string' ? (p[k] as string) : fallback);
const int = (p: Params, k: string, fallback: number): number => (typeof p[k] === 'number' ? (p[k] as number) : fallback);

export function checkTcp(params: Params, timeoutMs: number): Promise<CheckResult> {
  const host = str(params, 'host', '127.0.0.1');
  const port = int(params, 'port', 0);
  const started = performance.now();
  return new Promise((resolve) => {
    const socket = netConnect({ host, port });
    const done = (r: CheckResult) => {
      socket.destroy();
      resolve(r);
    };
    socket.setTimeout(timeoutMs, () => done({ status: 2, message: `TCP CRITICAL - no answer from ${host}:${port} within ${timeoutMs} ms`, metrics: [] }));
    socket.once('connect', () => {
      const s = (performance.now() - started) / 1000;
      done({ status: 0, message: `TCP OK - ${s.toFixed(3)} second response time on ${host} port ${port}`, metrics: [{ name: 'time', value: s }] });
    });
    socket.once('error', (e) => done({ status: 2, message: `TCP CRITICAL - ${host}:${port}: ${e.message}`, metrics: [] }));
  });
}

export async function checkHttp(params: Params, timeoutMs: number): Promise<CheckResult> {
  const url = str(params, 'url');
  const expect = int(params, 'expect_status', 0);
  const started = performance.now();
  try {
    const res = await fetch(url, { method: str(params, 'method', 'GET'), redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
    await res.arrayBuffer();
    const s = (performance.now() - started) / 1000;
    const ok = expect ? res.status === expect : res.status < 400;
    const status: CheckStatus = ok ? 0 : 2;
    return {
      status,
      message: `HTTP ${ok ? 'OK' : 'CRITICAL'} - ${url} answered ${res.status}${expect && !ok ? ` (expected ${expect})` : ''} in ${s.toFixed(3)} s`,
      metrics: [
        { name: 'time', value: s },
        { name: 'http_status', value: res.status },
      ],
    };
  } catch (err: any) {
    const reason = err?.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : (err?.cause?.message ?? err?.message ?? String(err));
    return { status: 2, message: `HTTP CRITICAL - ${url}: ${reason}`, metrics: [] };
  }
}

/** Processes by exact name (/proc/PID/comm) or by a pattern over the command line. */
export function checkProcess(params: Params, procDir = '/proc'): CheckResult {
  const name = str(params, 'name');
  const pattern = typeof params.pattern === 'string' ? new RegExp(params.pattern) : undefined;
  const min = int(params, 'min', 1);
  const max = int(params, 'max', Infinity);
  let count = 0;
  for (const pid of readdirSync(procDir)) {
    if (!/^\d+$/.test(pid) || Number(pid) === process.pid) continue;
    try {
      if (name && readFileSync(`${procDir}/${pid}/comm`, 'utf8').trim() !== name) continue;
      if (pattern && !pattern.test(readFileSync(`${procDir}/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim())) continue;
      count++;
    } catch {
      // the process ended while we looked
    }
  }
  const what = name || `/${params.pattern}/`;
  const status: CheckStatus = count < min || count > max ? 2 : 0;
  return {
    status,
    message: `PROCS ${status ? 'CRITICAL' : 'OK'} - ${count} process${count === 1 ? '' : 'es'} matching ${what}`,
    metrics: [{ name: 'count', value: count }],
  };
}

export function checkCertificate(params: Params, timeoutMs: number, now = Date.now()): Promise<CheckResult> {
  const host = str(params, 'host');
  const port = int(params, 'port', 443);
  const warnDays = int(params, 'warn_days', 21);
  const critDays = int(params, 'crit_days', 7);
  return new Promise((resolve) => {
    // Expiry is what this check is about: an untrusted or expired certificate must still be read.
    const socket = tlsConnect({ host, port, servername: str(params, 'servername', host), rejectUnauthorized: false });
    const done = (r: CheckResult) => {
      socket.destroy();
      resolve(r);
    };
    socket.setTimeout(timeoutMs, () => done({ status: 2, message: `CERT CRITICAL - no TLS answer from ${host}:${port} within ${timeoutMs} ms`, metrics: [] }));
    socket.once('secureConnect', () => {
      const cert = socket.getPeerCertificate();
      if (!cert?.valid_to) return done({ status: 3, message: `CERT UNKNOWN - ${host}:${port} sent no certificate`, metrics: [] });
      const days = (Date.parse(cert.valid_to) - now) / 86_400_000;
      const status: CheckStatus = days <= critDays ? 2 : days <= warnDays ? 1 : 0;
      const label = ['OK', 'WARNING', 'CRITICAL'][status];
      done({
        status,
        message: `CERT ${label} - ${host}:${port} certificate expires in ${days.toFixed(1)} days (${cert.valid_to})`,
        metrics: [{ name: 'days_left', value: Math.round(days * 100) / 100 }],
      });
    });
    socket.once('error', (e) => done({ status: 2, message: `CERT CRITICAL - ${host}:${port}: ${e.message}`, metrics: [] }));
  });
}
