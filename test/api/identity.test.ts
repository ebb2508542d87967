/**
 * Identity and the collection conventions end to end: password login (scrypt) to an expiring
 * session, logout; users CRUD with ETag / If-Match (428, 412); keyset pages with cursor and total;
 * API keys with scopes no wider than their maker's, last use recorded, revocation; the audit trail
 * of changes and logins, readable by admins only; the first-start one-time admin login.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServer } from './api-client.js';

describe('identity, ETags, pages and audit', () => {
  let t: ApiServer;
  // Starting a server (migrations) can take over a minute on a loaded 2-core machine.
  beforeAll(async () => {
    // The first-start bootstrap on, as `make run` has it.
    t = await startApiServer({ AW_BOOTSTRAP_ADMIN: 'true' });
  }, 180_000);
  afterAll(() => t?.close());
  const json = (auth: Record<string, string>, extra: Record<string, string> = {}) => ({ ...auth, ...extra });

  it('first start: a one-time login link for "admin" that makes a session once, then stops working', async () => {
    const first = t.server.firstLogin!;
    expect(first.username).toBe('admin');
    const session = await t.call('POST', '/api/v1/sessions/one-time', { body: { token: first.token } });
    expect(session.status, JSON.stringify(session.body)).toBe(201);
    expect(session.body.data.user).toMatchObject({ username: 'admin', role: 'admin' });
    const me = await t.call('GET', '/api/v1/me', { headers: { authorization: `Bearer ${session.body.data.token}` } });
    expect(me.body.data).toMatchObject({ kind: 'user', name: 'admin', role: 'admin' });
    const again = await t.call('POST', '/api/v1/sessions/one-time', { body: { token: first.token } });
    expect(again.status).toBe(401);
    expect(again.body.error?.code).toBe('ONE_TIME_TOKEN_INVALID');
  });

  it('password login gives an expiring session; a wrong password is 401 LOGIN_FAILED; logout ends the session', async () => {
    const made = await t.call('POST', '/api/v1/users', {
      headers: t.admin.auth,
      body: { username: 'Carol', role: 'operator', password: 'correct horse battery' },
    });
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    expect(made.body.data.user).toMatchObject({ username: 'carol', has_password: true });
    expect(made.body.data.one_time_login).toBeNull();
    const { rows } = await t.server.deps.db.query<{ password_hash: string }>('SELECT password_hash FROM users WHERE username = $1', ['carol']);
    expect(rows[0].password_hash).toMatch(/^scrypt\$\d+\$\d+\$\d+\$/);

    const wrong = await t.call('POST', '/api/v1/sessions', { body: { username: 'carol', password: 'wrong password!' } });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error?.code).toBe('LOGIN_FAILED');
    const login = await t.call('POST', '/api/v1/sessions', { body: { username: 'CAROL', password: 'correct horse battery' } });
    expect(login.status).toBe(201);
    const expires = Date.parse(login.body.data.expires_at) - Date.now();
    expect(expires).toBeGreaterThan(11 * 3600_000);
    expect(expires).toBeLessThanOrEqual(12 * 3600_000);
    const auth = { authorization: `Bearer ${login.body.data.token}` };
    expect((await t.call('GET', '/api/v1/me', { headers: auth })).body.data.role).toBe('operator');
    // An operator is not an admin.
    expect((await t.call('GET', '/api/v1/users', { headers: auth })).status).toBe(403);
    expect((await t.call('DELETE', '/api/v1/session', { headers: auth })).status).toBe(200);
    const after = await t.call('GET', '/api/v1/me', { headers: auth });
    expect(after.status).toBe(401);
    expect(after.body.error?.code).toBe('SESSION_INVALID');
  });

  it('updates need If-Match: 428 without, 412 with a stale ETag, 200 with the current one', async () => {
    const made = await t.call('POST', '/api/v1/users', { headers: t.admin.auth, body: { username: 'dave', role: 'viewer' } });
    const id = made.body.data.user.id;
    expect(made.headers.get('location')).toBe(`/api/v1/users/${id}`);
    expect(made.body.data.one_time_login.url).toContain('#/login?one_time=awo_');
    const read = await t.call('GET', `/api/v1/users/${id}`, { headers: t.admin.auth });
    const etag = read.headers.get('etag')!;
    expect(etag).toMatch(/^"\d+"$/);

    const none = await t.call('PATCH', `/api/v1/users/${id}`, { headers: t.admin.auth, body: { role: 'operator' } });
    expect(none.status).toBe(428);
    expect(none.body.error).toMatchObject({ code: 'PRECONDITION_REQUIRED', details: { current_etag: etag } });
    const ok = await t.call('PATCH', `/api/v1/users/${id}`, { headers: json(t.admin.auth, { 'if-match': etag }), body: { role: 'operator' } });
    expect(ok.status).toBe(200);
    expect(ok.body.data.role).toBe('operator');
    const newer = ok.headers.get('etag')!;
    expect(newer).not.toBe(etag);
    const stale = await t.call('PATCH', `/api/v1/users/${id}`, { headers: json(t.admin.auth, { 'if-match': etag }), body: { role: 'viewer' } });
    expect(stale.status).toBe(412);
    expect(stale.body.error).toMatchObject({ code: 'PRECONDITION_FAILED', details: { current_etag: newer } });
    const del = await t.call('DELETE', `/api/v1/users/${id}`, { headers: json(t.admin.auth, { 'if-match': newer }) });
    expect(del.status).toBe(200);
    const gone = await t.call('GET', `/api/v1/users/${id}`, { headers: t.admin.auth });
    expect(gone.status).toBe(404);
    expect(gone.body.error?.code).toBe('USER_NOT_FOUND');
  });

  it('pages a collection by cursor: every row once, in order, with a total; a foreign cursor is 400 BAD_CURSOR', async () => {
    for (let i = 0; i < 7; i++) {
      const r = await t.call('POST', '/api/v1/users', { headers: t.admin.auth, body: { username: `page-${i}`, role: 'viewer' } });
      expect(r.status).toBe(201);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    let total = -1;
    do {
      const q: string = `role=viewer&sort=-username&limit=3${cursor ? `&cursor=${cursor}` : ''}`;
      const page = await t.call('GET', `/api/v1/users?${q}`, { headers: t.admin.auth });
      expect(page.status, JSON.stringify(page.body)).toBe(200);
      expect(page.body.meta).toMatchObject({ limit: 3, sort: '-username' });
      total = page.body.meta.total;
      seen.push(...page.body.data.map((u: any) => u.username));
      cursor = page.body.meta.next_cursor;
      pages++;
    } while (cursor && pages < 10);
    const pageUsers = seen.filter((u) => u.startsWith('page-'));
    expect(pageUsers).toEqual(['page-6', 'page-5', 'page-4', 'page-3', 'page-2', 'page-1', 'page-0']);
    expect(new Set(seen).size).toBe(seen.length);
    expect(total).toBe(seen.length);
    expect(pages).toBe(Math.ceil(seen.length / 3));

    const first = await t.call('GET', '/api/v1/users?limit=1&sort=username', { headers: t.admin.auth });
    const other = await t.call('GET', `/api/v1/users?limit=1&sort=-created_at&cursor=${first.body.meta.next_cursor}`, { headers: t.admin.auth });
    expect(other.body.error).toMatchObject({ code: 'BAD_CURSOR', details: { field: 'query.cursor' } });
    const forged = await t.call('GET', '/api/v1/users?cursor=bm90LWEtY3Vyc29y', { headers: t.admin.auth });
    expect(forged.body.error?.code).toBe('BAD_CURSOR');
  });

  it('API keys: no wider than their maker, last use recorded, refused once revoked', async () => {
    const viewer = await t.userSession('viewer');
    const wide = await t.call('POST', '/api/v1/api-keys', { headers: viewer.auth, body: { name: 'too wide', scopes: ['agents:write'] } });
    expect(wide.status).toBe(403);
    expect(wide.body.error?.code).toBe('SCOPE_NOT_HELD');
    const made = await t.call('POST', '/api/v1/api-keys', { headers: viewer.auth, body: { name: 'reader', scopes: ['agents:read'], expires_in_s: 3600 } });
    expect(made.status).toBe(201);
    const { key, bearer } = made.body.data;
    expect(key.last_used_at).toBeNull();
    const auth = { authorization: `Bearer ${bearer}` };
    expect((await t.call('GET', '/api/v1/agents', { headers: auth })).status).toBe(200);
    expect((await t.call('GET', '/api/v1/users', { headers: auth })).status).toBe(403);
    let used: any;
    for (let i = 0; i < 50 && !used?.last_used_at; i++) {
      used = (await t.call('GET', `/api/v1/api-keys/${key.id}`, { headers: viewer.auth })).body.data;
      if (!used.last_used_at) await new Promise((r) => setTimeout(r, 50));
    }
    expect(used.last_used_at).not.toBeNull();
    expect(used.last_used_from).toBe('127.0.0.1');
    const revoke = await t.call('DELETE', `/api/v1/api-keys/${key.id}`, { headers: viewer.auth });
    expect(revoke.status).toBe(200);
    const refused = await t.call('GET', '/api/v1/agents', { headers: auth });
    expect(refused.status).toBe(401);
    expect(refused.body.error?.code).toBe('API_KEY_REVOKED');
  });

  it('audits every change and login with who, what, when, request id and result; only admins read it', async () => {
    const made = await t.call('POST', '/api/v1/users', {
      headers: json(t.admin.auth, { 'x-request-id': 'audit-make-erin' }),
      body: { username: 'erin', role: 'viewer' },
    });
    await t.call('POST', '/api/v1/sessions', { headers: { 'x-request-id': 'audit-bad-login' }, body: { username: 'erin', password: 'not her password' } });
    const made2 = await t.call('POST', '/api/v1/users', {
      headers: json(t.admin.auth, { 'x-request-id': 'audit-dup-erin' }),
      body: { username: 'erin', role: 'viewer' },
    });
    expect(made2.status).toBe(409);

    const read = async (id: string) => (await t.call('GET', `/api/v1/audit?request_id=${id}`, { headers: t.admin.auth })).body.data[0];
    expect(await read('audit-make-erin')).toMatchObject({
      request_id: 'audit-make-erin',
      actor_kind: 'user',
      actor_id: t.admin.id,
      method: 'POST',
      route: '/api/v1/users',
      status: 201,
      detail: { username: 'erin', role: 'viewer', user_id: made.body.data.user.id },
    });
    expect(await read('audit-bad-login')).toMatchObject({
      actor_kind: 'anonymous',
      route: '/api/v1/sessions',
      status: 401,
      error_code: 'LOGIN_FAILED',
      detail: { username: 'erin' },
    });
    expect(await read('audit-dup-erin')).toMatchObject({ status: 409, error_code: 'USERNAME_TAKEN' });
    const entry = await read('audit-make-erin');
    expect(JSON.stringify(entry)).not.toMatch(/password|secret|aws_/);
    expect(Date.now() - Date.parse(entry.at)).toBeLessThan(120_000);

    // Reads are not changes.
    await t.call('GET', '/api/v1/users', { headers: json(t.admin.auth, { 'x-request-id': 'audit-read-only' }) });
    expect(await read('audit-read-only')).toBeUndefined();
    for (const role of ['viewer', 'operator'] as const) {
      const s = await t.userSession(role);
      expect((await t.call('GET', '/api/v1/audit', { headers: s.auth })).status).toBe(403);
    }
  });
});
