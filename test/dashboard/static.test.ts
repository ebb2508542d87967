/** The built dashboard as the server serves it: caching headers, revalidation, client-side routes. */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DASHBOARD_DIR } from '../../server/paths.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { ensureDashboardBuilt } from './browser.js';

describe('dashboard files', () => {
  let t: TestServer;
  beforeAll(async () => {
    await ensureDashboardBuilt();
    t = await startTestServer({ AW_BOOTSTRAP_ADMIN: 'false' });
  }, 60_000);
  afterAll(() => t?.close());

  it('serves index.html revalidated on every load, with a 304 that keeps its status', async () => {
    const first = await fetch(`${t.http}/`);
    expect(first.status).toBe(200);
    expect(first.headers.get('cache-control')).toBe('no-cache');
    expect(first.headers.get('content-security-policy')).toContain("default-src 'self'");
    const html = await first.text();
    expect(html).toContain('<div id="app">');
    const etag = first.headers.get('etag')!;
    const again = await fetch(`${t.http}/`, { headers: { 'if-none-match': etag } });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe('');
  });

  it('serves hashed assets as immutable for a year', async () => {
    const js = readdirSync(join(DASHBOARD_DIR, 'assets')).find((f) => f.endsWith('.js'))!;
    const res = await fetch(`${t.http}/assets/${js}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/javascript');
    expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect((await fetch(`${t.http}/assets/missing-0000.js`)).status).toBe(404);
  });

  it('answers app paths with index.html and leaves /api/ to the API', async () => {
    const page = await fetch(`${t.http}/hosts/abc`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<div id="app">');
    const api = await fetch(`${t.http}/api/v1/nothing-here`);
    expect(api.status).toBe(404);
    expect(((await api.json()) as any).error.code).toBe('ROUTE_NOT_FOUND');
  });
});
