/**
 * The fuzz test: at least 10,000 random and malformed requests (fuzz-cases.ts) over loopback at a
 * real server running in its own process (fuzz-server.ts). Bounded in count (FUZZ_COUNT, default
 * 10,000), concurrency and time. It proves:
 *   - no 5xx answer except from the two routes that throw on purpose, which answer 500 INTERNAL
 *     with the request id, and log an error line carrying that id;
 *   - every /api answer is the envelope: JSON with data, error and request_id equal to X-Request-Id,
 *     error null exactly on success, error codes in UPPER_SNAKE;
 *   - every well-formed request is answered (a malformed one may instead be closed), none hangs;
 *   - the process never exits, logs no unhandled rejection, has no request left in flight at the
 *     end, answers health checks afterwards and stops cleanly on SIGTERM.
 * Reproduce a failing run with FUZZ_SEED=<seed printed in the failure>.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CaseMaker, operationsOf, type Credentials, type FuzzCase } from './fuzz-cases.js';
import { rawRequest, type RawOutcome } from '../support/raw-http.js';

const COUNT = Number(process.env.FUZZ_COUNT ?? 10_000);
const SEED = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
const CONCURRENCY = 24;
const DEADLINE_MS = 400_000;

interface LogLine {
  level: number;
  msg: string;
  req_id?: string;
  status?: number;
  [k: string]: unknown;
}

describe(`fuzz: ${COUNT} malformed requests at a running server (seed ${SEED})`, () => {
  let child: ChildProcess;
  let exit: { code: number | null; signal: string | null } | null = null;
  const logs: LogLine[] = [];
  const stderr: string[] = [];
  let port = 0;
  let creds: Credentials;

  beforeAll(async () => {
    child = spawn(process.execPath, ['--import', 'tsx', 'test/api/fuzz-server.ts'], {
      cwd: process.cwd(),
      env: { ...process.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.on('exit', (code, signal) => {
      exit = { code, signal };
    });
    child.stderr!.on('data', (d) => stderr.push(String(d)));
    const ready = new Promise<void>((resolve, reject) => {
      child.on('exit', () => reject(new Error(`fuzz server exited before it was ready: ${stderr.join('')}`)));
      createInterface({ input: child.stdout! }).on('line', (line) => {
        let parsed: any;
        try {
          parsed = JSON.parse(line);
        } catch {
          return;
        }
        if (parsed.fuzz_ready) {
          port = parsed.fuzz_ready.port;
          creds = parsed.fuzz_ready;
          resolve();
        } else logs.push(parsed);
      });
    });
    await ready;
  }, 90_000);

  afterAll(async () => {
    if (child && exit === null) {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
  });

  it(
    'answers every request without a 5xx it did not ask for, and keeps serving',
    async () => {
      const docAnswer = await rawRequest(port, Buffer.from('GET /api/v1/openapi.json HTTP/1.1\r\nHost: x\r\n\r\n'));
      if (docAnswer.kind !== 'answer') throw new Error(`no OpenAPI document: ${docAnswer.kind}`);
      const ops = operationsOf(JSON.parse(docAnswer.body.toString())).filter((o) => !o.path.startsWith('/api/v1/fuzz/'));
      expect(ops.length).toBeGreaterThan(20);
      const maker = new CaseMaker(SEED, ops, creds);

      const failures: string[] = [];
      const fail = (c: FuzzCase, why: string) => {
        if (failures.length < 25) failures.push(`${why}\n      ${c.desc}`);
        else if (failures.length === 25) failures.push('… more failures not shown');
      };
      const tally: Record<string, number> = {};
      const statuses: Record<string, number> = {};
      const booms: string[] = [];
      let sent = 0;
      let slowest = 0;
      const started = Date.now();

      const check = (c: FuzzCase, out: RawOutcome) => {
        tally[`${c.kind}:${out.kind}`] = (tally[`${c.kind}:${out.kind}`] ?? 0) + 1;
        slowest = Math.max(slowest, out.ms);
        // A malformed request may leave the server waiting for bytes that never come (until its idle timeout).
        if (out.kind === 'timeout') return c.mustAnswer ? fail(c, `no answer and no close within ${out.ms} ms`) : undefined;
        if (out.kind === 'garbled') return fail(c, `garbled answer (${out.why}): ${JSON.stringify(out.partial)}`);
        if (out.kind === 'closed') {
          if (c.mustAnswer) fail(c, `well-formed request, connection closed without an answer: ${JSON.stringify(out.partial)}`);
          return;
        }
        statuses[out.status] = (statuses[out.status] ?? 0) + 1;
        const text = out.body.toString('utf8');
        if (text.includes('root:x:0:0') || text.includes('"devDependencies"')) fail(c, 'answered with a file from outside the dashboard');
        if (c.boom) {
          if (out.status !== 500) return fail(c, `the throwing route answered ${out.status}, not 500: ${text.slice(0, 200)}`);
          const body = JSON.parse(text);
          if (body.error?.code !== 'INTERNAL' || !body.request_id || body.request_id !== out.headers['x-request-id']) {
            return fail(c, `500 without code INTERNAL and the request id: ${text.slice(0, 300)}`);
          }
          if (!body.error.message.includes(body.request_id)) fail(c, '500 message does not quote the request id');
          booms.push(body.request_id);
          return;
        }
        if (out.status >= 500) return fail(c, `answered ${out.status}: ${text.slice(0, 400)}`);
        if (c.head || !(out.headers['content-type'] ?? '').startsWith('application/json') || !out.headers['x-request-id']) return;
        let body: any;
        try {
          body = JSON.parse(text);
        } catch {
          return fail(c, `JSON content type, but the body is not JSON: ${text.slice(0, 200)}`);
        }
        // The Prometheus-compatible API answers in Prometheus' shape once past authentication.
        if (c.bytes.toString('latin1', 0, 300).split(' ')[1]?.startsWith('/prometheus/') && 'status' in body) {
          if (out.status < 400 !== (body.status === 'success')) fail(c, `status ${out.status} with Prometheus status ${body.status}`);
          if (out.status >= 400 && (typeof body.errorType !== 'string' || !body.error))
            fail(c, `Prometheus error without errorType and error: ${text.slice(0, 200)}`);
          return;
        }
        // The OpenAPI document is the one JSON success served without the envelope, for OpenAPI tools.
        if (out.status === 200 && typeof body.openapi === 'string') return;
        if (body.request_id !== out.headers['x-request-id']) fail(c, `request_id ${body.request_id} is not X-Request-Id ${out.headers['x-request-id']}`);
        if (!('data' in body) || !('error' in body)) fail(c, `not the envelope: ${text.slice(0, 200)}`);
        const ok = out.status < 400;
        if (ok !== (body.error === null)) fail(c, `status ${out.status} with error ${JSON.stringify(body.error)}`);
        if (!ok && (!/^[A-Z][A-Z0-9_]+$/.test(body.error?.code ?? '') || !body.error?.message))
          fail(c, `error without a code and message: ${text.slice(0, 200)}`);
      };

      const worker = async () => {
        while (sent < COUNT && Date.now() - started < DEADLINE_MS && exit === null) {
          sent++;
          const c = maker.next();
          check(c, await rawRequest(port, c.bytes, { timeoutMs: c.mustAnswer ? 10_000 : 600, halfClose: c.halfClose, head: c.head }));
        }
      };
      await Promise.all(Array.from({ length: CONCURRENCY }, worker));
      const seconds = (Date.now() - started) / 1000;
      console.log(
        `fuzz seed ${SEED}: ${sent} requests in ${seconds.toFixed(1)} s, slowest ${slowest} ms\n` +
          `  outcomes ${JSON.stringify(tally)}\n  statuses ${JSON.stringify(statuses)}`,
      );

      expect(exit, `the server process exited: ${stderr.join('').slice(-3000)}`).toBeNull();
      expect(failures, `seed ${SEED}`).toEqual([]);
      expect(sent).toBeGreaterThanOrEqual(COUNT);
      expect(booms.length).toBeGreaterThan(0);

      // Afterwards: healthy, nothing left hanging, and each provoked 500 logged with its id.
      const health = await fetch(`http://127.0.0.1:${port}/api/v1/health`);
      expect(health.status).toBe(200);
      expect(((await health.json()) as any).data.status).toBe('ok');
      let inFlight = -1;
      for (let i = 0; i < 50 && inFlight !== 0; i++) {
        inFlight = ((await (await fetch(`http://127.0.0.1:${port}/api/v1/fuzz/in-flight`)).json()) as any).data.in_flight;
        if (inFlight) await new Promise((r) => setTimeout(r, 200));
      }
      expect(inFlight, 'requests still in flight after the run').toBe(0);
      await new Promise((r) => setTimeout(r, 300));
      const errorLines = new Map(logs.filter((l) => l.level >= 50 && l.msg === 'unhandled error in route').map((l) => [l.req_id, l]));
      for (const id of booms) expect(errorLines.has(id), `no error log line for request ${id}`).toBe(true);
      const unexpected = logs.filter((l) => l.level >= 50 && !(l.msg === 'unhandled error in route' && booms.includes(l.req_id!)));
      expect(unexpected.map((l) => JSON.stringify(l).slice(0, 500))).toEqual([]);
      expect(stderr.join(''), 'the server wrote to stderr').toBe('');

      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      expect(exit).toEqual({ code: 0, signal: null });
    },
    DEADLINE_MS + 60_000,
  );
});
