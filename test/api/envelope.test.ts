/**
 * The router's promises, against a running server: the envelope and X-Request-Id on every answer,
 * a thrown exception answered 500 with the request id and logged with it while the process keeps
 * serving, and bad input refused with the field named (415, 400 unknown field / wrong type, 413
 * body size, 400 depth, 400 not JSON, 405 with Allow, 404 for a path no one serves).
 */
import { Writable } from 'node:stream';
import { Type } from '@sinclair/typebox';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { route } from '../../server/http/route.js';
import { startApiServer, type ApiServer } from './api-client.js';

describe('envelope, request ids, errors and limits', () => {
  let t: ApiServer;
  const lines: any[] = [];

  // Starting a server (migrations) can take over a minute on a loaded 2-core machine.
  beforeAll(async () => {
    const sink = new Writable({
      write(chunk, _enc, done) {
        for (const line of String(chunk).split('\n')) if (line) lines.push(JSON.parse(line));
        done();
      },
    });
    t = await startApiServer({}, { log: pino({ level: 'info' }, sink) });
    t.server.router.add(
      route({
        method: 'GET',
        path: '/api/v1/test/throws',
        summary: 'throws',
        tag: 'test',
        scope: 'public',
        response: Type.Null(),
        handler: () => {
          throw new Error('a bug in a handler');
        },
      }),
      route({
        method: 'POST',
        path: '/api/v1/test/rejects',
        summary: 'rejects later',
        tag: 'test',
        scope: 'public',
        response: Type.Null(),
        body: Type.Object({ n: Type.Integer() }),
        handler: async () => {
          await new Promise((r) => setTimeout(r, 5));
          throw new RangeError('a bug after an await');
        },
      }),
    );
  }, 180_000);
  afterAll(() => t?.close());

  const enrollment = (body: unknown, headers: Record<string, string> = {}) =>
    t.call('POST', '/api/v1/enrollment-tokens', { headers: { ...t.admin.auth, ...headers }, raw: typeof body === 'string' ? body : JSON.stringify(body) });

  it('echoes a well-formed X-Request-Id, makes one otherwise, and puts it in the body and the log line', async () => {
    const given = await t.call('GET', '/api/v1/health', { headers: { 'x-request-id': 'trace-42.a:b_c' } });
    expect(given.headers.get('x-request-id')).toBe('trace-42.a:b_c');
    expect(given.body.request_id).toBe('trace-42.a:b_c');
    const made = await t.call('GET', '/api/v1/health', { headers: { 'x-request-id': 'has spaces and "quotes"' } });
    expect(made.body.request_id).toMatch(/^[A-Za-z0-9_-]{12}$/);
    expect(made.headers.get('x-request-id')).toBe(made.body.request_id);
    expect(lines.find((l) => l.msg === 'request' && l.req_id === 'trace-42.a:b_c')).toMatchObject({ status: 200, route: '/api/v1/health' });
  });

  it('answers a thrown exception with 500 INTERNAL and the request id, logs it with the id, and keeps serving', async () => {
    for (const [method, path, body] of [
      ['GET', '/api/v1/test/throws', undefined],
      ['POST', '/api/v1/test/rejects', { n: 1 }],
    ] as const) {
      const res = await t.call(method, path, { body, headers: { 'x-request-id': `boom-${method}` } });
      expect(res.status).toBe(500);
      expect(res.body).toMatchObject({ data: null, error: { code: 'INTERNAL' }, request_id: `boom-${method}` });
      expect(res.body.error?.message).toContain(`boom-${method}`);
      expect(res.body.error?.message).not.toContain('a bug');
      const logged = lines.find((l) => l.req_id === `boom-${method}` && l.level === 50);
      expect(logged?.msg).toBe('unhandled error in route');
      expect(logged?.err?.message).toMatch(/a bug/);
    }
    const after = await t.call('GET', '/api/v1/health');
    expect(after.status).toBe(200);
  });

  it('refuses a body that is not application/json with 415', async () => {
    const res = await enrollment('{"uses":1}', { 'content-type': 'text/plain' });
    expect(res.status).toBe(415);
    expect(res.body.error).toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE', details: { content_type: 'text/plain' } });
    expect((await enrollment('{"uses":1}', { 'content-type': 'application/json; charset=utf-8' })).status).toBe(201);
  });

  it('names an unknown field, a field of the wrong type and a missing field in a 400', async () => {
    const unknown = await enrollment({ uses: 1, colour: 'red' }, { 'content-type': 'application/json' });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error).toMatchObject({ code: 'VALIDATION_FAILED', details: { field: 'body.colour', reason: 'additionalProperties' } });
    expect(unknown.body.error?.message).toBe('body.colour is not a known field');
    const wrongType = await enrollment({ uses: 'two' }, { 'content-type': 'application/json' });
    expect(wrongType.body.error).toMatchObject({ code: 'VALIDATION_FAILED', details: { field: 'body.uses', reason: 'type' } });
    const missing = await t.call('POST', '/api/v1/users', { headers: t.admin.auth, body: { role: 'viewer' } });
    expect(missing.body.error).toMatchObject({ code: 'VALIDATION_FAILED', details: { field: 'body.username', reason: 'required' } });
    const query = await t.call('GET', '/api/v1/users?colour=red', { headers: t.admin.auth });
    expect(query.body.error).toMatchObject({ code: 'VALIDATION_FAILED', details: { field: 'query.colour' } });
    const badQueryType = await t.call('GET', '/api/v1/users?limit=ten', { headers: t.admin.auth });
    expect(badQueryType.body.error?.details?.field).toBe('query.limit');
  });

  it('limits body size (413) and depth (400 BODY_TOO_DEEP), and refuses what is not JSON (400 BODY_NOT_JSON)', async () => {
    const json = { 'content-type': 'application/json' };
    const big = await enrollment(JSON.stringify({ note: 'x'.repeat(1024 * 1024) }), json);
    expect(big.status).toBe(413);
    expect(big.body.error?.code).toBe('BODY_TOO_LARGE');
    const deep = await enrollment('{"note":' + '['.repeat(40) + ']'.repeat(40) + '}', json);
    expect(deep.status).toBe(400);
    expect(deep.body.error?.code).toBe('BODY_TOO_DEEP');
    // 200,000 levels: parsed and measured without recursion, so no stack overflow.
    const veryDeep = await enrollment('['.repeat(200_000) + ']'.repeat(200_000), json);
    expect(veryDeep.status).toBe(400);
    expect(veryDeep.body.error?.code).toBe('BODY_TOO_DEEP');
    const notJson = await enrollment('{"uses":1,}', json);
    expect(notJson.status).toBe(400);
    expect(notJson.body.error?.code).toBe('BODY_NOT_JSON');
    const nul = await enrollment({ note: 'a\u0000b' }, json);
    expect(nul.body.error).toMatchObject({ code: 'VALIDATION_FAILED', details: { field: 'body.note', reason: 'nul' } });
    // Half a surrogate pair is not text: Postgres jsonb refuses its escape (found by the fuzz test as a 500).
    const lone = await enrollment('{"note":"a\\udfffb"}', json);
    expect(lone.body.error).toMatchObject({ code: 'VALIDATION_FAILED', details: { field: 'body.note', reason: 'lone_surrogate' } });
    const channel = await t.call('POST', '/api/v1/notification-channels', {
      headers: { ...t.admin.auth, ...json },
      raw: '{"name":"x","kind":"email","settings":{"smtp_host":"\\udfff\\ud800","smtp_port":25,"from":"a@b.c","to":["d@e.f"]}}',
    });
    expect(channel.body.error).toMatchObject({ code: 'VALIDATION_FAILED', details: { field: 'body.settings.smtp_host', reason: 'lone_surrogate' } });
    const pair = await enrollment({ note: 'a whole pair \ud83d\ude00 is text' }, json);
    expect(pair.status, JSON.stringify(pair.body)).toBe(201);
  });

  it('answers a wrong method with 405 and Allow, HEAD like GET without a body, and an unserved path with 404', async () => {
    const wrong = await t.call('PUT', '/api/v1/health', { body: {} });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('GET');
    expect(wrong.body.error?.code).toBe('METHOD_NOT_ALLOWED');
    const head = await fetch(`${t.http}/api/v1/health`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(Number(head.headers.get('content-length'))).toBeGreaterThan(10);
    expect(await head.text()).toBe('');
    const nowhere = await t.call('POST', '/not/served', { body: {} });
    expect(nowhere.status).toBe(404);
    expect(nowhere.body).toMatchObject({ data: null, error: { code: 'ROUTE_NOT_FOUND' } });
    expect(nowhere.body.request_id).toBeTruthy();
  });
});
