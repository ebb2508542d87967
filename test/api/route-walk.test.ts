/**
 * Walks every route the server registered (every engineer's) and proves each non-public one
 * refuses an anonymous call (401) and a call whose credentials lack its scope (403), and that
 * each is in the OpenAPI document. A new public route must be added to PUBLIC below on purpose.
 */
import SwaggerParser from '@apidevtools/swagger-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKeyStore } from '../../server/auth/api-keys.js';
import { SCOPES } from '../../server/auth/scopes.js';
import { openApiPath } from '../../server/http/openapi.js';
import type { RouteSpec } from '../../server/http/route.js';
import { startApiServer, type ApiServer } from './api-client.js';

const PUBLIC = new Set([
  'GET /api/v1/health',
  'POST /api/v1/agents/enroll',
  'POST /api/v1/sessions',
  'POST /api/v1/sessions/one-time',
  'GET /api/v1/openapi.json',
  'GET /api/v1/docs',
]);

/** A concrete path for a route template: a value that passes each param's schema. */
function concretePath(route: RouteSpec): string {
  const props = ((route.params as any)?.properties ?? {}) as Record<string, any>;
  return route.path.replace(/:([a-zA-Z_]+)/g, (_, name: string) => {
    const s = props[name] ?? {};
    if (s.format === 'uuid') return '3f1e5c52-8a4e-4c4b-9d55-0c1f7e4b2a10';
    if (s.type === 'integer' || s.type === 'number') return '1';
    if (typeof s.pattern === 'string' && s.pattern.includes('awk_')) return 'awk_0123456789abcdef';
    return 'x1';
  });
}

describe('every registered route', () => {
  let t: ApiServer;
  let routes: RouteSpec[];
  const keyFor = new Map<string, string>();

  beforeAll(async () => {
    t = await startApiServer();
    routes = [...t.server.router.routes];
    const keys = new ApiKeyStore(t.server.deps.db);
    // For each scope in use: a key holding every scope but that one (and admin).
    for (const scope of new Set(routes.map((r) => r.scope).filter((s) => s !== 'public'))) {
      const others = Object.keys(SCOPES).filter((s) => s !== scope && s !== 'admin');
      const { key, secret } = await keys.create({ name: `all-but-${scope}`, scopes: others, ownerId: null, expiresAt: null, createdBy: 'test' });
      keyFor.set(scope, `${key.id}.${secret}`);
    }
  });
  afterAll(() => t?.close());

  it('has routes from every module, each with a known scope', () => {
    expect(routes.length).toBeGreaterThan(20);
    for (const r of routes) {
      if (r.scope !== 'public') expect(Object.keys(SCOPES), `${r.method} ${r.path}`).toContain(r.scope);
    }
  });

  it('public routes are exactly the ones meant to be public', () => {
    const pub = routes.filter((r) => r.scope === 'public').map((r) => `${r.method} ${r.path}`);
    for (const p of pub) expect(PUBLIC.has(p), `${p} is public: add it to PUBLIC if that is meant`).toBe(true);
  });

  it('refuses an anonymous call with 401 and a call without the scope with 403', async () => {
    let checked = 0;
    for (const r of routes) {
      if (r.scope === 'public') continue;
      const path = concretePath(r);
      const body = r.method === 'GET' || r.method === 'DELETE' ? undefined : {};
      const anon = await t.call(r.method, path, { body });
      expect(anon.status, `${r.method} ${r.path} anonymous: ${JSON.stringify(anon.body)}`).toBe(401);
      expect(anon.body.error?.code).toBe('UNAUTHENTICATED');
      expect(anon.headers.get('www-authenticate')).toContain('Bearer');

      const small = await t.call(r.method, path, { body, headers: { authorization: `Bearer ${keyFor.get(r.scope)}` } });
      expect(small.status, `${r.method} ${r.path} without ${r.scope}: ${JSON.stringify(small.body)}`).toBe(403);
      expect(small.body.error?.code).toBe('FORBIDDEN');
      expect(small.body.error?.details?.needed_scope).toBe(r.scope);
      expect(small.body.request_id).toBeTruthy();
      checked++;
    }
    expect(checked).toBe(routes.filter((r) => r.scope !== 'public').length);
  });

  it('serves the OpenAPI document plain, valid for OpenAPI tools, listing every route with its scope', async () => {
    const res = await fetch(`${t.http}/api/v1/openapi.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    // Tools (Swagger UI, Redoc, openapi-generator) read the document itself: no envelope around it.
    const doc: any = await res.json();
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.data).toBeUndefined();
    // validate() dereferences in place: give it a copy, keep the original for the checks below.
    await expect(SwaggerParser.validate(structuredClone(doc))).resolves.toBeTruthy();
    // What the validator checks for Swagger 2.0 only: unique operation ids, every path template param declared.
    const ops = Object.entries<any>(doc.paths).flatMap(([path, methods]) => Object.values<any>(methods).map((op) => ({ path, op })));
    expect(new Set(ops.map(({ op }) => op.operationId)).size).toBe(ops.length);
    for (const { path, op } of ops) {
      const declared = (op.parameters ?? [])
        .filter((p: any) => p.in === 'path')
        .map((p: any) => p.name)
        .sort();
      expect(declared, path).toEqual([...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort());
    }
    const missing = routes.filter((r) => !doc.paths[openApiPath(r.path)]?.[r.method.toLowerCase()]);
    expect(missing.map((r) => `${r.method} ${r.path}`)).toEqual([]);
    for (const r of routes) expect(doc.paths[openApiPath(r.path)][r.method.toLowerCase()]['x-scope']).toBe(r.scope);
  });
});
