/**
 * Rate limits against a running server: every request counts against its remote address, and an
 * authenticated one also against its caller (API key or session). Both answer 429 RATE_LIMITED with
 * Retry-After; one address or key running out leaves the others alone. The server listens on
 * 127.0.0.1; clients bind 127.0.0.2-4 as their source to be other addresses.
 */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKeyStore } from '../../server/auth/api-keys.js';
import { startApiServer, type ApiServer } from './api-client.js';

/** GET from a chosen source address. */
function getFrom(t: ApiServer, localAddress: string, path: string, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; retryAfter: string | undefined; body: any }>((resolve, reject) => {
    const url = new URL(t.http + path);
    const req = request({ host: url.hostname, port: url.port, path, localAddress, headers, agent: false }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode!, retryAfter: res.headers['retry-after'] as string | undefined, body: JSON.parse(text) }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('rate limits', () => {
  let t: ApiServer;
  // Starting a server (migrations) can take over a minute on a loaded 2-core machine.
  beforeAll(async () => {
    t = await startApiServer({ AW_RATE_ADDRESS_PER_S: '1', AW_RATE_ADDRESS_BURST: '8', AW_RATE_CALLER_PER_S: '1', AW_RATE_CALLER_BURST: '3' });
  }, 180_000);
  afterAll(() => t?.close());

  it('per address: 429 with Retry-After once an address spends its burst, other addresses unaffected', async () => {
    // All at once, so the bucket (1 a second) has no time to refill much on a loaded machine.
    const first = await Promise.all(Array.from({ length: 14 }, () => getFrom(t, '127.0.0.2', '/api/v1/health')));
    const passed = first.filter((r) => r.status === 200).length;
    expect(passed).toBeGreaterThanOrEqual(8);
    expect(passed).toBeLessThanOrEqual(9);
    const last = first.find((r) => r.status === 429)!;
    expect(first.filter((r) => r.status !== 200).every((r) => r.status === 429)).toBe(true);
    expect(last.body.error).toMatchObject({ code: 'RATE_LIMITED' });
    expect(last.body.error.message).toContain('127.0.0.2');
    expect(Number(last.retryAfter)).toBeGreaterThanOrEqual(1);
    expect(last.body.error.details.retry_after_s).toBe(Number(last.retryAfter));
    expect((await getFrom(t, '127.0.0.3', '/api/v1/health')).status).toBe(200);
    // Refilled after Retry-After.
    await new Promise((r) => setTimeout(r, Number(last.retryAfter) * 1000 + 50));
    expect((await getFrom(t, '127.0.0.2', '/api/v1/health')).status).toBe(200);
  });

  it('per caller: an API key that spends its burst gets 429 while another key from the same address goes on', async () => {
    const keys = new ApiKeyStore(t.server.deps.db);
    const make = async (name: string) => {
      const { key, secret } = await keys.create({ name, scopes: ['account'], ownerId: null, expiresAt: null, createdBy: 'test' });
      return { authorization: `Bearer ${key.id}.${secret}` };
    };
    const a = await make('a');
    const b = await make('b');
    const answers = await Promise.all(Array.from({ length: 6 }, () => getFrom(t, '127.0.0.4', '/api/v1/me', a)));
    const passed = answers.filter((r) => r.status === 200).length;
    expect(passed).toBeGreaterThanOrEqual(3);
    expect(passed).toBeLessThanOrEqual(4);
    const limited = answers.find((r) => r.status === 429);
    expect(limited!.body.error.code).toBe('RATE_LIMITED');
    expect(limited!.body.error.message).toMatch(/api_key awk_/);
    expect(Number(limited!.retryAfter)).toBeGreaterThanOrEqual(1);
    expect((await getFrom(t, '127.0.0.4', '/api/v1/me', b)).status).toBe(200);
    // Anonymous calls from that address are not the key's: they still pass.
    expect((await getFrom(t, '127.0.0.4', '/api/v1/health')).status).toBe(200);
  });
});
