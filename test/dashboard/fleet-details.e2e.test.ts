/**
 * What a new user trips over, walked in real headless Chromium against a real server: the host page
 * finds its inventory in an approval queue longer than a page; a network chart's axis shows its whole
 * labels; a host's trigger reads with the host's name; the problems table names the host on a phone
 * and keeps its button on one line; task history counts hosts by outcome; recent changes put what an
 * agent reported in words.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { AgentLink } from '../../agent/link.js';
import type { MetricPoint } from '../../protocol/messages.js';
import { startApiServer, type ApiServer } from '../api/api-client.js';
import { needs } from '../support/requires.js';
import { enrollAgent, type EnrolledAgent } from '../support/server.js';
import { until } from '../support/until.js';
import { DESKTOP, PHONE, ensureDashboardBuilt, launchChromium } from './browser.js';

declare const document: any;
declare const localStorage: any;

needs('chromium').describe('dashboard details a new user meets', () => {
  let t: ApiServer;
  let browser: Browser;
  let page: Page;
  let agent: EnrolledAgent;
  let link: AgentLink;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    await ensureDashboardBuilt();
    t = await startApiServer();
    // A real agent saying hello: its hostname and OS land on the host, and in the audit trail.
    agent = await enrollAgent(t, 'cache-07');
    link = new AgentLink({
      url: t.ws,
      credentials: { agentId: agent.agentId, secret: agent.secret },
      hello: { agentVersion: '0.1.0', hostname: 'cache-07', os: 'Debian GNU/Linux 12' },
    });
    await until(
      "the agent's hello recorded",
      async () => (await t.call('GET', `/api/v1/hosts/${agent.hostId}`, { headers: t.admin.auth })).body.data.os === 'Debian GNU/Linux 12',
      15_000,
    );
    browser = await launchChromium();
    page = await (await browser.newContext({ viewport: DESKTOP })).newPage();
    page.on('pageerror', (err) => pageErrors.push(err.message));
    await page.goto(t.http);
    await page.evaluate((token: string) => localStorage.setItem('aw.session', token), t.admin.token);
    await page.reload();
  }, 90_000);

  afterEach(async () => {
    expect(pageErrors).toEqual([]);
    await page.setViewportSize(DESKTOP);
  });

  afterAll(async () => {
    link?.close(1000, 'test done');
    await browser?.close();
    await t?.close();
  });

  it('the host page finds its inventory waiting for approval behind 120 older machines', async () => {
    const db = t.server.deps.db;
    await db.query(
      `WITH h AS (INSERT INTO hosts (id, hostname) SELECT gen_random_uuid(), 'queued-' || i FROM generate_series(1, 120) i RETURNING id, hostname),
       a AS (INSERT INTO agents (id, host_id, secret, state, hostname, agent_version, os) SELECT gen_random_uuid(), h.id, '\\x00'::bytea, 'active', h.hostname, '0.1.0', 'Linux' FROM h RETURNING id, host_id, hostname)
       INSERT INTO asset_approvals (id, agent_id, host_id, state, hostname, report, match_note, created_at)
       SELECT gen_random_uuid(), a.id, a.host_id, 'pending', a.hostname, '{}', 'no candidate', now() - interval '1 hour' FROM a`,
    );
    await db.query(
      `INSERT INTO asset_approvals (id, agent_id, host_id, state, hostname, report, match_note) VALUES (gen_random_uuid(), $1, $2, 'pending', 'cache-07', '{}', 'no candidate')`,
      [agent.agentId, agent.hostId],
    );
    const mine = await t.call('GET', `/api/v1/approvals?state=pending&host_id=${agent.hostId}`, { headers: t.admin.auth });
    expect(mine.body.data.map((p: any) => p.hostname)).toEqual(['cache-07']);

    await page.goto(`${t.http}/#/hosts/${agent.hostId}`);
    const note = page.locator('[data-testid=asset-approval]');
    await page
      .waitForFunction(() => document.querySelector('[data-testid=asset-approval]')?.textContent.includes('waiting for approval'), undefined, {
        timeout: 15_000,
      })
      .catch(async () => {
        throw new Error(`the host page says: ${await note.textContent()}`);
      });
  });

  it("draws the network chart with its axis labels whole, and the host's trigger with the host's name", async () => {
    const now = Date.now();
    const points: MetricPoint[] = [];
    for (let ts = now - 3_600_000; ts < now; ts += 10_000) {
      points.push({ name: 'net.rx_bytes_per_s', labels: { iface: 'eth0' }, t: ts, v: 2e5 + 1e5 * Math.sin(ts / 300_000) });
      points.push({ name: 'net.tx_bytes_per_s', labels: { iface: 'eth0' }, t: ts, v: 5e4 });
    }
    await t.server.deps.metrics.write([{ agentId: agent.agentId, hostId: agent.hostId, batch: 1e9, points }]);
    const tpl = await t.call('POST', '/api/v1/templates', {
      headers: t.admin.auth,
      body: {
        name: 'cache',
        items: [],
        triggers: [{ key: 'full', name: 'Cache full on {HOST.NAME}', severity: 'warning', expression: 'last(cache.used_pct) > 95' }],
      },
    });
    expect((await t.call('PUT', `/api/v1/templates/${tpl.body.data.id}/hosts/${agent.hostId}`, { headers: t.admin.auth })).status).toBe(200);

    // Loaded afresh: the page was open on this host before the template was linked.
    await page.goto('about:blank');
    await page.goto(`${t.http}/#/hosts/${agent.hostId}`);
    const chart = page.locator('[data-graph=network][data-iface=eth0]');
    await chart.locator('.u-over').waitFor({ timeout: 15_000 });
    // The plot starts right of the y axis; the axis must hold its widest label ("293 KiB/s") and its ticks.
    const fit = await chart.evaluate((el: any) => {
      const widest = Math.max(
        ...[...el.querySelectorAll('.legend-stats b')].map((b: any) => {
          const ctx = document.createElement('canvas').getContext('2d');
          ctx.font = '12px system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", sans-serif';
          return ctx.measureText(b.textContent).width;
        }),
      );
      return { widest, plotLeft: parseFloat(el.querySelector('.u-over').style.left) };
    });
    expect(fit.plotLeft, JSON.stringify(fit)).toBeGreaterThanOrEqual(fit.widest + 10);
    await page.locator('[data-testid=trigger-name]', { hasText: 'Cache full on cache-07' }).waitFor({ timeout: 10_000 });
  });

  it('on a phone, the problems table names the host and keeps its button on one line', async () => {
    const w = await t.call('POST', `/api/v1/write?host_id=${agent.hostId}`, {
      headers: { ...t.admin.auth, 'content-type': 'text/plain' },
      raw: 'cache used_pct=99',
    });
    expect(w.status, JSON.stringify(w.body)).toBe(204);
    await page.setViewportSize(PHONE);
    await page.goto(`${t.http}/#/monitoring`);
    const row = page.locator('[data-testid=problems-table] tr', { hasText: 'Cache full on cache-07' });
    await row.waitFor({ timeout: 20_000 });
    const host = row.locator('[data-testid=problem-host-phone]');
    expect(await host.isVisible()).toBe(true);
    expect(await host.textContent()).toBe('cache-07');
    const button = await row.locator('button', { hasText: 'Ack' }).boundingBox();
    expect(button!.height).toBeLessThan(40);
  });

  it('task history counts hosts by outcome, and recent changes say what an agent reported', async () => {
    const host = (await t.call('POST', '/api/v1/hosts', { headers: t.admin.auth, body: { hostname: 'no-agent-9' } })).body.data;
    const task = await t.call('POST', '/api/v1/tasks', {
      headers: t.admin.auth,
      body: { action: { kind: 'shell', command: 'uptime' }, targets: { host_ids: [host.id] } },
    });
    expect(task.status, JSON.stringify(task.body)).toBe(201);
    await page.goto(`${t.http}/#/tasks`);
    const counts = page.locator(`li:has(a[href="#/tasks?task=${task.body.data.id}"]) [data-testid=task-counts]`);
    await page.waitForFunction(
      (id) => document.querySelector(`li:has(a[href="#/tasks?task=${id}"]) [data-testid=task-outcome]`)?.getAttribute('data-outcome') === 'failed',
      task.body.data.id,
      { timeout: 20_000 },
    );
    expect(await counts.textContent()).toContain('1 unreachable');

    await page.goto(`${t.http}/#/`);
    const changes = page.locator('[data-testid=recent-changes]');
    await changes.locator('li', { hasText: 'reported a new hostname or OS' }).waitFor({ timeout: 15_000 });
    expect(await changes.textContent()).not.toContain('identity_changed');
    // The name is looked up after the sentence shows (the id's first 8 characters until then).
    await changes.locator('li', { hasText: 'reported a new hostname or OS' }).locator('a', { hasText: 'cache-07' }).first().waitFor({ timeout: 15_000 });
  });
});
