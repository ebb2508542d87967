/**
 * The defences in front of every route, against a running server (issue 16, findings 5 and 6):
 * nothing of a body is stored before its caller is known to be allowed to send it (credentials,
 * scope and the per-address rate limit are all decided from the headers); parallel password guesses
 * each need a login token of their own; refused and throttled requests leave audit rows, counted
 * rather than one each. Clients bind 127.0.0.x source addresses to be addresses of their own.
 */
import { createHash } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserDirectory } from '../../server/auth/users.js';
import { startApiServer, type ApiServer } from './api-client.js';

interface Sent {
  status: number;
  body: any;
  /** Bytes the client got onto the socket before the answer came. */
  sentBefore: number;
}

/** Streams `size` bytes as a request body from `localAddress`, as fast as the socket takes them, and resolves with the answer. */
function upload(t: ApiServer, path: string, size: number, headers: Record<string, string>, localAddress = '127.0.0.1'): Promise<Sent> {
  return new Promise((resolve, reject) => {
    const url = new URL(t.http);
    let sent = 0;
    let answered = false;
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        method: 'POST',
        path,
        localAddress,
        agent: false,
        headers: { 'content-type': 'application/octet-stream', 'content-length': String(size), ...headers },
      },
      (res) => {
        answered = true;
        const sentBefore = sent;
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text), sentBefore }));
      },
    );
    // The server closes a connection whose long body it refused: the rest of the write fails, after the answer.
    req.on('error', (err) => !answered && reject(err));
    const chunk = Buffer.alloc(256 * 1024, 7);
    const pump = () => {
      while (sent < size && !answered) {
        const n = Math.min(chunk.length, size - sent);
        sent += n;
        if (!req.write(n === chunk.length ? chunk : chunk.subarray(0, n))) return void req.once('drain', pump);
      }
      req.end();
    };
    pump();
  });
}

/** Largest number of bytes seen in `dir` while `work` runs (sampled every few ms). */
async function peakBytesIn(dir: string, work: () => Promise<Sent>): Promise<{ peak: number; result: Sent }> {
  let peak = 0;
  const total = () => {
    let n = 0;
    for (const f of readdirSync(dir)) {
      try {
        n += statSync(join(dir, f)).size;
      } catch {
        // removed between the listing and the stat
      }
    }
    return n;
  };
  const timer = setInterval(() => (peak = Math.max(peak, total())), 5);
  try {
    const result = await work();
    peak = Math.max(peak, total());
    return { peak, result };
  } finally {
    clearInterval(timer);
  }
}

const MB = 1024 * 1024;

describe('request defences', () => {
  let t: ApiServer;
  let incoming: string;
  beforeAll(async () => {
    t = await startApiServer({
      AW_RATE_ADDRESS_PER_S: '1',
      AW_RATE_ADDRESS_BURST: '300',
      AW_LOGIN_FAILURES: '3',
      AW_LOGIN_REFILL_S: '600',
      AW_TASK_FILE_MAX_MB: '1024',
    });
    incoming = join(t.dataDir, 'files', 'incoming');
  }, 180_000);
  afterAll(() => t?.close());

  it('a 100 MB upload without credentials is refused with 401 before its body reaches the disk', async () => {
    const { peak, result } = await peakBytesIn(incoming, () => upload(t, '/api/v1/files?name=big.bin', 100 * MB, {}));
    expect(result.status).toBe(401);
    expect(result.body.error.code).toBe('UNAUTHENTICATED');
    expect(peak).toBeLessThan(4096);
    // Answered while the client was still sending: the server did not read the body to find out.
    expect(result.sentBefore).toBeLessThan(100 * MB);
    expect(readdirSync(incoming)).toEqual([]);
  }, 60_000);

  it('a 100 MB upload by a caller without the scope (a viewer) is 403 with nothing written; an operator uploads', async () => {
    const viewer = await t.userSession('viewer');
    const refused = await peakBytesIn(incoming, () => upload(t, '/api/v1/files', 100 * MB, viewer.auth));
    expect(refused.result.status).toBe(403);
    expect(refused.result.body.error.code).toBe('FORBIDDEN');
    expect(refused.peak).toBeLessThan(4096);

    const operator = await t.userSession('operator');
    const ok = await upload(t, '/api/v1/files?name=small.bin', 3 * MB, operator.auth);
    expect(ok.status, JSON.stringify(ok.body)).toBe(201);
    expect(ok.body.data.file).toMatchObject({
      size: 3 * MB,
      sha256: createHash('sha256')
        .update(Buffer.alloc(3 * MB, 7))
        .digest('hex'),
    });
  }, 60_000);

  it('a body a little over its limit gets its 413 on a connection that serves on', async () => {
    // Read to its end and dropped, the rest cannot make the kernel reset the connection under the answer.
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const url = new URL(t.http);
    const send = (method: string, path: string, body?: Buffer) =>
      new Promise<{ status: number; reused: boolean }>((resolve, reject) => {
        const req = request(
          { host: url.hostname, port: url.port, method, path, agent, headers: { ...t.admin.auth, 'content-type': 'application/json' } },
          (res) => {
            res.resume();
            res.on('end', () => resolve({ status: res.statusCode!, reused: req.reusedSocket }));
          },
        );
        req.on('error', reject);
        req.end(body);
      });
    try {
      const refused = await send('PATCH', '/api/v1/hosts/00000000-0000-4000-8000-000000000000', Buffer.alloc(2 * MB, 'x'));
      expect(refused).toEqual({ status: 413, reused: false });
      expect(await send('GET', '/api/v1/health')).toEqual({ status: 200, reused: true });
    } finally {
      agent.destroy();
    }
  });

  it('the per-address rate limit refuses an upload before its body, too', async () => {
    const operator = await t.userSession('operator');
    // Spend the address's burst (300) with empty requests from an address of its own.
    for (let i = 0; i < 4; i++) await Promise.all(Array.from({ length: 80 }, () => upload(t, '/api/v1/files', 0, {}, '127.0.0.3')));
    const { peak, result } = await peakBytesIn(incoming, () => upload(t, '/api/v1/files', 100 * MB, operator.auth, '127.0.0.3'));
    expect(result.status).toBe(429);
    expect(result.body.error.code).toBe('RATE_LIMITED');
    expect(peak).toBeLessThan(4096);
  }, 60_000);

  it('60 parallel wrong passwords with one login token left: one LOGIN_FAILED, 59 LOGIN_THROTTLED, all audited', async () => {
    await new UserDirectory(t.server.deps.db).create({ username: 'racer', role: 'viewer', password: 'the right password', createdBy: 'test' });
    const login = (password: string, requestId?: string) =>
      t.call('POST', '/api/v1/sessions', { body: { username: 'racer', password }, headers: requestId ? { 'x-request-id': requestId } : {} });
    // AW_LOGIN_FAILURES is 3: two wrong ones leave one token for the username.
    for (const i of [1, 2]) expect((await login('wrong', `race-warmup-${i}`)).body.error?.code).toBe('LOGIN_FAILED');
    // A right password takes the last token and gives it back.
    expect((await login('the right password')).status).toBe(201);

    const answers = await Promise.all(Array.from({ length: 60 }, (_, i) => login(`guess ${i}`, `race-${i}`)));
    const codes = answers.map((a) => a.body.error?.code);
    expect(codes.filter((c) => c === 'LOGIN_FAILED')).toHaveLength(1);
    expect(codes.filter((c) => c === 'LOGIN_THROTTLED')).toHaveLength(59);
    expect(answers.find((a) => a.status === 429)!.headers.get('retry-after')).toMatch(/^\d+$/);

    // The throttled attempts are in the audit trail: the first as its own row, the rest counted in one.
    const audit = await t.call('GET', '/api/v1/audit?route=/api/v1/sessions&status=429&limit=100', { headers: t.admin.auth });
    expect(audit.status).toBe(200);
    const rows = audit.body.data.filter((r: any) => r.detail.username === 'racer');
    expect(rows.length).toBeLessThanOrEqual(2);
    expect(rows.reduce((n: number, r: any) => n + (r.detail.repeated ?? 1), 0)).toBe(59);
    expect(rows[0]).toMatchObject({ actor_kind: 'anonymous', error_code: 'LOGIN_THROTTLED', remote_address: '127.0.0.1' });
  }, 60_000);

  it('repeated refusals from one address become one counted row, not one row each', async () => {
    const bad = (i: number) => ({ authorization: 'Bearer awk_0000000000000000.nope', 'x-request-id': `bad-key-${i}` });
    for (let i = 0; i < 30; i++) expect((await t.call('GET', '/api/v1/agents', { headers: bad(i) })).status).toBe(401);
    const row = async (i: number) => (await t.call('GET', `/api/v1/audit?request_id=bad-key-${i}`, { headers: t.admin.auth })).body.data;
    const [first] = await row(0);
    expect(first).toMatchObject({
      method: 'GET',
      route: '/api/v1/agents',
      status: 401,
      error_code: 'CREDENTIALS_MALFORMED',
      actor_kind: 'anonymous',
      detail: {},
    });
    expect(await row(29)).toMatchObject([{ route: '/api/v1/agents', status: 401, detail: { repeated: 29, since: first.at } }]);
    for (const i of [1, 15, 28]) expect(await row(i)).toEqual([]);
  });
});
