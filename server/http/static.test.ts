import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import uWS from 'uWebSockets.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveDashboard } from './static.js';

describe('serveDashboard', () => {
  let dir: string;
  let socket: uWS.us_listen_socket;
  let base: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'aw-static-'));
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><p>dashboard</p>');
    writeFileSync(join(dir, 'assets', 'app-1a2b.js'), 'console.log(1)');
    const app = uWS.App();
    serveDashboard(app, dir);
    socket = await new Promise((resolve) => app.listen('127.0.0.1', 0, (s) => resolve(s)));
    base = `http://127.0.0.1:${uWS.us_socket_local_port(socket)}`;
  });
  afterAll(() => {
    uWS.us_listen_socket_close(socket);
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves files with an ETag, and 304 without a body when If-None-Match matches', async () => {
    const first = await fetch(`${base}/`);
    expect(first.status).toBe(200);
    expect(await first.text()).toContain('dashboard');
    const etag = first.headers.get('etag')!;
    expect(first.headers.get('cache-control')).toBe('no-cache');
    const again = await fetch(`${base}/`, { headers: { 'if-none-match': etag } });
    expect(again.status).toBe(304);
    expect(again.headers.get('etag')).toBe(etag);
    expect(await again.text()).toBe('');
    const asset = await fetch(`${base}/assets/app-1a2b.js`);
    expect(asset.headers.get('cache-control')).toContain('immutable');
    expect(asset.headers.get('content-type')).toContain('javascript');
  });

  it('answers client-side routes with index.html, and unknown assets and API paths with 404', async () => {
    expect(await (await fetch(`${base}/hosts/42`)).text()).toContain('dashboard');
    expect((await fetch(`${base}/assets/missing.js`)).status).toBe(404);
    expect((await fetch(`${base}/api/v1/nothing`)).status).toBe(404);
    expect((await fetch(`${base}/../../etc/passwd`)).status).toBe(200);
    expect(await (await fetch(`${base}/%2e%2e/%2e%2e/etc/passwd`)).text()).toContain('dashboard');
  });
});
