/**
 * Signed requests against a running server: a good signature passes; a replayed nonce, a stale
 * time, one changed byte of body, path or query each fail with their own code, and so does a
 * changed Content-Type or If-Match. With REDIS_URL the nonce cache is Redis and a replay on another
 * node is refused too.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signRequest } from '../../server/auth/signing.js';
import { needs } from '../support/requires.js';
import { startApiServer, type ApiServer } from './api-client.js';
import type { TestServer } from '../support/server.js';

// Asynchronous: the server runs in this process and must go on answering while curl waits.
const run = promisify(execFile);

interface Key {
  id: string;
  secret: string;
}

describe('signed requests', () => {
  let t: ApiServer;
  let key: Key;

  const makeKey = async (body: Record<string, unknown>): Promise<Key> => {
    const res = await t.call('POST', '/api/v1/api-keys', { headers: t.admin.auth, body: { name: 'signer', ...body } });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return { id: res.body.data.key.id, secret: res.body.data.secret };
  };

  /** Signs (method, path, query, body, If-Match; a body as JSON) and sends (sent.*) — which may differ, as a tamperer would. */
  const send = async (
    k: Key,
    signed: { method: string; path: string; query?: string; body?: string; ifMatch?: string; timestamp?: number; nonce?: string },
    sent: { path?: string; query?: string; body?: string; headers?: Record<string, string> } = {},
    base = t.http,
  ) => {
    const headers = signRequest({ keyId: k.id, secret: k.secret, ...(signed.body !== undefined ? { contentType: 'application/json' } : {}), ...signed });
    const path = sent.path ?? signed.path;
    const query = sent.query ?? signed.query ?? '';
    const body = sent.body ?? signed.body;
    const res = await fetch(`${base}${path}${query ? `?${query}` : ''}`, { method: signed.method, headers: { ...headers, ...sent.headers }, body });
    return { status: res.status, body: (await res.json()) as any, headers };
  };

  beforeAll(async () => {
    t = await startApiServer();
    key = await makeKey({ scopes: ['agents:read', 'agents:write', 'account'] });
  });
  afterAll(() => t?.close());

  it('a good signature passes, on a GET with a query and on a POST with a body', async () => {
    const get = await send(key, { method: 'GET', path: '/api/v1/agents', query: 'limit=5&state=active' });
    expect(get.status, JSON.stringify(get.body)).toBe(200);
    const post = await send(key, { method: 'POST', path: '/api/v1/enrollment-tokens', body: '{"uses":2,"note":"signed"}' });
    expect(post.status, JSON.stringify(post.body)).toBe(201);
    expect(post.body.data.uses).toBe(2);
    const me = await send(key, { method: 'GET', path: '/api/v1/me' });
    expect(me.body.data).toMatchObject({ kind: 'api_key', id: key.id });
  });

  it('signs the path and query as sent, percent-encoding and order included', async () => {
    const ok = await send(key, { method: 'GET', path: '/api/v1/agents', query: 'state=active&limit=%35' });
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
  });

  it('refuses a replayed nonce with NONCE_REUSED', async () => {
    const nonce = randomBytes(16).toString('hex');
    const first = await send(key, { method: 'GET', path: '/api/v1/agents', nonce });
    expect(first.status).toBe(200);
    const replay = await send(key, { method: 'GET', path: '/api/v1/agents', nonce });
    expect(replay.status).toBe(401);
    expect(replay.body.error.code).toBe('NONCE_REUSED');
  });

  it('refuses a time outside ±300 s with SIGNATURE_STALE, and accepts one just inside', async () => {
    const now = Math.floor(Date.now() / 1000);
    // 20 s past the limit: a loaded machine may take a second or two between signing and checking.
    for (const ts of [now - 320, now + 320, 0]) {
      const r = await send(key, { method: 'GET', path: '/api/v1/agents', timestamp: ts });
      expect(r.status).toBe(401);
      expect(r.body.error.code).toBe('SIGNATURE_STALE');
      expect(r.body.error.details.max_skew_s).toBe(300);
    }
    for (const ts of [now - 290, now + 290]) {
      const r = await send(key, { method: 'GET', path: '/api/v1/agents', timestamp: ts });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
    }
  });

  it('refuses one changed byte of body with BODY_HASH_MISMATCH, and with SIGNATURE_INVALID when the hash header was changed too', async () => {
    const body = '{"uses":2,"note":"signed"}';
    const tampered = body.replace('2', '9');
    const r = await send(key, { method: 'POST', path: '/api/v1/enrollment-tokens', body }, { body: tampered });
    expect(r.status).toBe(401);
    expect(r.body.error.code).toBe('BODY_HASH_MISMATCH');

    const { createHash } = await import('node:crypto');
    const rehashed = await send(
      key,
      { method: 'POST', path: '/api/v1/enrollment-tokens', body },
      { body: tampered, headers: { 'X-AW-Content-SHA256': createHash('sha256').update(tampered).digest('hex') } },
    );
    expect(rehashed.status).toBe(401);
    expect(rehashed.body.error.code).toBe('SIGNATURE_INVALID');
  });

  it('signs If-Match and Content-Type: a request with either changed on the way is refused and changes nothing', async () => {
    const target = await makeKey({ scopes: ['agents:read'] });
    const path = `/api/v1/api-keys/${target.id}`;
    const version = async () => (await t.call('GET', path, { headers: t.admin.auth })).body.data.version as number;
    const before = await version();
    const body = JSON.stringify({ name: 'renamed' });
    const ifMatch = `"${before}"`;

    const retargeted = await send(key, { method: 'PATCH', path, body, ifMatch }, { headers: { 'If-Match': '*' } });
    expect(retargeted.status, JSON.stringify(retargeted.body)).toBe(401);
    expect(retargeted.body.error.code).toBe('SIGNATURE_INVALID');
    const added = await send(key, { method: 'PATCH', path, body }, { headers: { 'If-Match': ifMatch } });
    expect(added.body.error.code).toBe('SIGNATURE_INVALID');
    const retyped = await send(key, { method: 'PATCH', path, body, ifMatch }, { headers: { 'Content-Type': 'text/plain' } });
    expect(retyped.status).toBe(401);
    expect(retyped.body.error.code).toBe('SIGNATURE_INVALID');
    expect(await version()).toBe(before);

    const signed = await send(key, { method: 'PATCH', path, body, ifMatch });
    expect(signed.status, JSON.stringify(signed.body)).toBe(200);
    expect(signed.body.data.name).toBe('renamed');
  });

  it('refuses one changed byte of path with SIGNATURE_PATH_MISMATCH, showing the canonical request it computed', async () => {
    const id = '3f1e5c52-8a4e-4c4b-9d55-0c1f7e4b2a10';
    const r2 = await send(key, { method: 'GET', path: `/api/v1/agents/${id}` }, { path: `/api/v1/agents/${id.replace('3f', '4f')}` });
    expect(r2.status).toBe(401);
    expect(r2.body.error.code).toBe('SIGNATURE_PATH_MISMATCH');
    expect(r2.body.error.details).toMatchObject({ changed: ['path'], path: `/api/v1/agents/${id.replace('3f', '4f')}` });
    expect(r2.body.error.details.canonical_request).toContain(`/api/v1/agents/${id.replace('3f', '4f')}`);
  });

  it('refuses one changed byte of query with SIGNATURE_QUERY_MISMATCH', async () => {
    const r = await send(key, { method: 'GET', path: '/api/v1/agents', query: 'limit=5' }, { query: 'limit=6' });
    expect(r.status).toBe(401);
    expect(r.body.error.code).toBe('SIGNATURE_QUERY_MISMATCH');
    expect(r.body.error.details.canonical_request.split('\n')[4]).toBe('limit=6');
  });

  it('gives each tampering its own code: replay, stale time, body, path, query', async () => {
    const nonce = randomBytes(16).toString('hex');
    await send(key, { method: 'GET', path: '/api/v1/agents', nonce });
    const codes = [
      await send(key, { method: 'GET', path: '/api/v1/agents', nonce }),
      await send(key, { method: 'GET', path: '/api/v1/agents', timestamp: Math.floor(Date.now() / 1000) - 3600 }),
      await send(key, { method: 'POST', path: '/api/v1/enrollment-tokens', body: '{"uses":1}' }, { body: '{"uses":2}' }),
      await send(key, { method: 'GET', path: '/api/v1/agents' }, { path: '/api/v1/scopes' }),
      await send(key, { method: 'GET', path: '/api/v1/agents', query: 'limit=1' }, { query: 'limit=2' }),
    ].map((r) => r.body.error.code);
    expect(codes).toEqual(['NONCE_REUSED', 'SIGNATURE_STALE', 'BODY_HASH_MISMATCH', 'SIGNATURE_PATH_MISMATCH', 'SIGNATURE_QUERY_MISMATCH']);
  });

  it('without X-AW-Signature-Parts a changed path is SIGNATURE_INVALID, and forged part MACs let nothing through', async () => {
    const bare = await send(key, { method: 'GET', path: '/api/v1/agents' }, { path: '/api/v1/scopes', headers: { 'X-AW-Signature-Parts': '' } });
    expect(bare.body.error.code).toBe('SIGNATURE_MALFORMED');
    const headers = signRequest({ keyId: key.id, secret: key.secret, method: 'GET', path: '/api/v1/agents' });
    delete (headers as Record<string, string>)['X-AW-Signature-Parts'];
    const res = await fetch(`${t.http}/api/v1/scopes`, { headers });
    expect(((await res.json()) as any).error.code).toBe('SIGNATURE_INVALID');
    // Part MACs from the right key for this path, but a signature of another request: still refused.
    const other = signRequest({ keyId: key.id, secret: key.secret, method: 'GET', path: '/api/v1/users' });
    const mixed = signRequest({ keyId: key.id, secret: key.secret, method: 'GET', path: '/api/v1/agents' });
    const r = await fetch(`${t.http}/api/v1/agents`, { headers: { ...other, 'X-AW-Signature-Parts': mixed['X-AW-Signature-Parts'] } });
    expect(r.status).toBe(401);
    expect(((await r.json()) as any).error.code).toBe('SIGNATURE_INVALID');
  });

  it('refuses a changed method, a wrong secret, an unknown key and a missing header, each with its code', async () => {
    const headers = signRequest({ keyId: key.id, secret: key.secret, method: 'GET', path: '/api/v1/enrollment-tokens' });
    const method = await fetch(`${t.http}/api/v1/enrollment-tokens`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: '' });
    expect(((await method.json()) as any).error.code).toBe('SIGNATURE_METHOD_MISMATCH');

    const wrong = await send({ id: key.id, secret: randomBytes(32).toString('base64url') }, { method: 'GET', path: '/api/v1/agents' });
    expect(wrong.body.error.code).toBe('SIGNATURE_INVALID');
    const unknown = await send({ id: 'awk_0000000000000000', secret: key.secret }, { method: 'GET', path: '/api/v1/agents' });
    expect(unknown.body.error.code).toBe('API_KEY_INVALID');
    const missing = await send(key, { method: 'GET', path: '/api/v1/agents' }, { headers: { 'X-AW-Nonce': 'short' } });
    expect(missing.status).toBe(401);
    expect(missing.body.error).toMatchObject({ code: 'SIGNATURE_MALFORMED', details: { header: 'x-aw-nonce' } });
  });

  it('refuses expired and revoked keys once the signature proves the caller holds them', async () => {
    const expiring = await makeKey({ scopes: ['agents:read'] });
    await t.server.deps.db.query("UPDATE api_keys SET expires_at = now() - interval '1 second' WHERE id = $1", [expiring.id]);
    const expired = await send(expiring, { method: 'GET', path: '/api/v1/agents' });
    expect(expired.status).toBe(401);
    expect(expired.body.error.code).toBe('API_KEY_EXPIRED');

    const revoking = await makeKey({ scopes: ['agents:read'] });
    const del = await t.call('DELETE', `/api/v1/api-keys/${revoking.id}`, { headers: t.admin.auth });
    expect(del.status).toBe(200);
    const revoked = await send(revoking, { method: 'GET', path: '/api/v1/agents' });
    expect(revoked.body.error.code).toBe('API_KEY_REVOKED');
  });

  it('a key that requires signatures refuses the bearer form, and a signed call still needs the scope', async () => {
    const strict = await makeKey({ scopes: ['agents:read'], require_signature: true });
    const bearer = await t.call('GET', '/api/v1/agents', { headers: { authorization: `Bearer ${strict.id}.${strict.secret}` } });
    expect(bearer.body.error?.code).toBe('SIGNATURE_REQUIRED');
    expect((await send(strict, { method: 'GET', path: '/api/v1/agents' })).status).toBe(200);
    const forbidden = await send(strict, { method: 'GET', path: '/api/v1/users' });
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.error.code).toBe('FORBIDDEN');
  });

  needs('openssl', 'curl').it(
    'the documented clients (docs/examples: curl + openssl, TypeScript) sign requests the server accepts, and docs/api.md shows them as they are',
    async () => {
      const { signedFetch } = await import('../../docs/examples/sign-request.js');
      const get = await signedFetch(t.http, key.id, key.secret, 'GET', '/api/v1/agents?limit=5');
      expect(get.status, await get.clone().text()).toBe(200);
      const post = await signedFetch(t.http, key.id, key.secret, 'POST', '/api/v1/enrollment-tokens', { uses: 3 });
      expect(((await post.json()) as any).data.uses).toBe(3);
      const target = await makeKey({ scopes: ['agents:read'] });
      const keyPath = `/api/v1/api-keys/${target.id}`;
      const patched = await signedFetch(t.http, key.id, key.secret, 'PATCH', keyPath, { name: 'from ts' }, '"1"');
      expect(((await patched.json()) as any).data).toMatchObject({ name: 'from ts', version: 2 });

      const curl = async (...args: string[]) => {
        const { stdout } = await run('bash', ['docs/examples/signed-curl.sh', ...args], {
          env: { ...process.env, AW_URL: t.http, AW_KEY_ID: key.id, AW_SECRET: key.secret },
        });
        return JSON.parse(stdout);
      };
      expect((await curl('GET', '/api/v1/agents', 'limit=5&state=active')).error).toBeNull();
      expect((await curl('POST', '/api/v1/enrollment-tokens', '', '{"uses":4,"note":"from curl"}')).data.uses).toBe(4);
      expect((await curl('GET', '/api/v1/me')).data).toMatchObject({ kind: 'api_key', id: key.id });
      expect((await curl('PATCH', keyPath, '', '{"name":"from curl"}', '"2"')).data).toMatchObject({ name: 'from curl', version: 3 });

      const doc = readFileSync('docs/api.md', 'utf8');
      for (const file of ['docs/examples/signed-curl.sh', 'docs/examples/sign-request.ts']) {
        expect(doc.includes(readFileSync(file, 'utf8')), `docs/api.md must show ${file} exactly as it is`).toBe(true);
      }
    },
  );

  needs('redis').it('shares nonces between nodes through Redis: a replay on another node is refused', async () => {
    let other: TestServer | undefined;
    try {
      // A second node on the same database.
      const { startServer } = await import('../../server/app.js');
      const { loadConfig } = await import('../../server/config.js');
      const { createLogger } = await import('../../server/log.js');
      const server = await startServer(loadConfig({ PORT: '0', DATA_DIR: t.dataDir, REDIS_URL: process.env.REDIS_URL, AW_BOOTSTRAP_ADMIN: 'false' }), {
        db: t.server.deps.db,
        log: createLogger('silent'),
      });
      other = { server, testDb: t.testDb, dataDir: t.dataDir, http: `http://127.0.0.1:${server.port}`, ws: '', close: () => server.stop() };
      const nonce = randomBytes(16).toString('hex');
      expect((await send(key, { method: 'GET', path: '/api/v1/agents', nonce })).status).toBe(200);
      // The nonce is in Redis, kept for the whole window in which its timestamp could be accepted.
      const { Redis } = await import('ioredis');
      const redis = new Redis(process.env.REDIS_URL!);
      try {
        const ttl = await redis.ttl(`aw:nonce:${key.id}:${nonce}`);
        expect(ttl).toBeGreaterThan(500);
        expect(ttl).toBeLessThanOrEqual(600);
      } finally {
        redis.disconnect();
      }
      const replay = await send(key, { method: 'GET', path: '/api/v1/agents', nonce }, {}, other.http);
      expect(replay.body.error.code).toBe('NONCE_REUSED');
    } finally {
      await other?.close();
    }
  });
});
