/**
 * Service management screens in real headless Chromium against a real server: a change request made
 * in the form by one user cannot be approved by them (the API's error and request id show) and is
 * approved by another; an incident shows its priority and is escalated; a service shows its
 * availability per day against the SLA line; a release is made in the form (files uploaded), rolled
 * out in waves to real agents, under the change a policy requires, shows each host's version and is
 * rolled back; the priority matrix, targets and escalation rules are edited on their tab; template
 * and asset edits are made under a change picked on their screens, which say when a policy requires one.
 */
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../server/paths.js';
import { startApiServer, type ApiServer } from '../api/api-client.js';
import { needs } from '../support/requires.js';
import { connectedAgent, type TestAgent } from '../tasks/support.js';
import { DESKTOP, ensureDashboardBuilt, launchChromium } from './browser.js';

declare const localStorage: any;

const SHOTS = process.env.AW_SCREENSHOTS_DIR ? resolve(PROJECT_ROOT, process.env.AW_SCREENSHOTS_DIR) : mkdtempSync(join(tmpdir(), 'aw-shots-'));
const DAY = 86_400_000;

needs('chromium').describe('dashboard: service management', () => {
  let t: ApiServer;
  let browser: Browser;
  let page: Page;
  let alice: { token: string; auth: Record<string, string> };
  let bob: { token: string; auth: Record<string, string> };
  const agents: TestAgent[] = [];
  const pageErrors: string[] = [];
  const signIn = async (token: string, path: string) => {
    await page.evaluate((tk: string) => localStorage.setItem('aw.session', tk), token);
    await page.goto(`${t.http}/#${path}`);
    await page.reload();
  };

  beforeAll(async () => {
    await ensureDashboardBuilt();
    // Agents enroll without an approval step; webhooks may point at this machine.
    t = await startApiServer({ AW_AUTO_APPROVE: 'true', AW_NOTIFY_ALLOW_NETWORKS: '127.0.0.0/8' });
    alice = await t.userSession('admin', 'alice');
    bob = await t.userSession('admin', 'bob');
    browser = await launchChromium();
    page = await (await browser.newContext({ viewport: DESKTOP })).newPage();
    page.on('pageerror', (err) => pageErrors.push(err.message));
    await page.goto(t.http);
  }, 120_000);
  afterAll(async () => {
    for (const a of agents) await a.runtime.stop();
    await browser?.close();
    await t?.close();
  }, 60_000);

  it('a change requested in the form is refused to its requester and approved by another user', { timeout: 90_000 }, async () => {
    await signIn(alice.token, '/itil?tab=changes');
    const form = page.locator('[data-testid=change-form]');
    await form.waitFor({ timeout: 20_000 });
    await form.getByLabel('Title').fill('Rotate the TLS certificates');
    await form.getByLabel('Reason').fill('the certificates expire next week');
    // Checked as the API checks it, before anything is sent: a window that ends before it starts.
    const start = await form.getByLabel('Window start').inputValue();
    await form.getByLabel('Window end').fill(start.replace(/T\d\d/, 'T00'));
    await form.getByLabel('Window start').fill(start.replace(/T\d\d/, 'T01'));
    await form.getByRole('button', { name: 'Request' }).click();
    expect(await page.locator('[data-testid=form-problem]').textContent()).toContain('must end after it starts');
    expect((await t.call('GET', '/api/v1/changes', { headers: t.admin.auth })).body.data).toEqual([]);
    await form.getByLabel('Window end').fill(start.replace(/T\d\d/, 'T23'));
    await form.getByRole('button', { name: 'Request' }).click();
    const card = page.locator('[data-testid=change-card]');
    await card.locator('[data-testid=approve]').waitFor({ timeout: 15_000 });
    const changes = (await t.call('GET', '/api/v1/changes', { headers: t.admin.auth })).body.data;
    expect(changes.map((c: any) => [c.title, c.requested_by, c.state])).toEqual([['Rotate the TLS certificates', 'user:alice', 'requested']]);

    await card.locator('[data-testid=approve]').click();
    const note = card.locator('.state.error');
    await note.waitFor({ timeout: 10_000 });
    expect(await note.textContent()).toContain('APPROVER_IS_REQUESTER');
    expect(await note.locator('.request-id').textContent()).toMatch(/\S{8,}/);

    await signIn(bob.token, `/itil?tab=changes&id=${changes[0].id}`);
    await card.locator('[data-testid=approve]').click();
    await page.waitForFunction(() => (globalThis as any).document.querySelector('[data-testid=change-card-state]')?.textContent === 'approved', undefined, {
      timeout: 10_000,
    });
    expect(await card.locator('[data-testid=decisions]').textContent()).toContain('approved by user:bob');
    await page.screenshot({ path: join(SHOTS, 'itil-change-desktop.png'), fullPage: true });
  });

  it('an incident shows its priority and is escalated one step', async () => {
    const host = (await t.call('POST', '/api/v1/hosts', { headers: t.admin.auth, body: { hostname: 'pay-1' } })).body.data;
    const id = randomUUID();
    await t.server.deps.db.query(
      `INSERT INTO monitor_incidents (id, title, host_id, severity, state, impact, urgency, priority) VALUES ($1, 'Payments slow on pay-1', $2, 'average', 'open', 'medium', 'medium', 'P3')`,
      [id, host.id],
    );
    await signIn(alice.token, `/itil?tab=incidents&id=${id}`);
    const card = page.locator('[data-testid=incident-card]');
    await card.locator('[data-testid=priority]').waitFor({ timeout: 15_000 });
    expect(await card.locator('[data-testid=priority]').textContent()).toBe('P3');
    expect(await card.locator('[data-testid=target-time-to-acknowledge]').getAttribute('data-met')).toBe('null');
    await card.locator('[data-testid=escalate]').click();
    await page.waitForFunction(
      () => (globalThis as any).document.querySelector('[data-testid=incident-card] [data-testid=priority]')?.textContent === 'P2',
      undefined,
      { timeout: 10_000 },
    );
    expect(await card.locator('[data-testid=incident-timeline]').textContent()).toContain('escalated from the dashboard');
    const row = page.locator(`[data-testid=itil-incidents] tr[data-id="${id}"] [data-testid=priority]`);
    await page.waitForFunction(
      (i) => (globalThis as any).document.querySelector(`[data-testid=itil-incidents] tr[data-id="${i}"] [data-testid=priority]`)?.textContent === 'P2',
      id,
      { timeout: 10_000 },
    );
    expect(await row.getAttribute('data-priority')).toBe('P2');
    await page.screenshot({ path: join(SHOTS, 'itil-incident-desktop.png'), fullPage: true });
  });

  it('a service shows its availability per day against the SLA line', { timeout: 60_000 }, async () => {
    const host = (await t.call('POST', '/api/v1/hosts', { headers: t.admin.auth, body: { hostname: 'shop-1' } })).body.data;
    const day = Math.floor(Date.now() / DAY) * DAY - DAY;
    const lines: string[] = [];
    for (let ts = day; ts < day + DAY; ts += 60_000) lines.push(`http_shop status=${ts >= day + 36_000_000 && ts < day + 37_800_000 ? 2 : 0} ${ts / 1000}`);
    expect((await t.call('POST', `/api/v1/write?host_id=${host.id}&precision=s`, { headers: t.admin.auth, raw: lines.join('\n') })).status).toBe(204);
    const svc = await t.call('POST', '/api/v1/services', {
      headers: t.admin.auth,
      body: { name: 'shop', host_ids: [host.id], check_keys: ['http_shop'], sla_target: 99.5 },
    });
    await signIn(alice.token, `/itil?tab=services&id=${svc.body.data.id}`);
    const chart = page.locator('[data-testid=availability-chart]');
    await chart.waitFor({ timeout: 15_000 });
    expect(await chart.getAttribute('data-bars')).toBe('30');
    expect(await chart.getAttribute('data-target')).toBe('99.5');
    const values = JSON.parse((await chart.getAttribute('data-values'))!)[0];
    expect(values[28]).toBe((100 * 1410) / 1440); // yesterday: the 30-minute outage
    expect(await page.locator('[data-testid=availability-card] canvas').count()).toBeGreaterThan(0);
    await page.screenshot({ path: join(SHOTS, 'itil-availability-desktop.png'), fullPage: true });
    await page.goto(`${t.http}/#/itil?tab=reports`);
    await page.locator('[data-testid=report-changes]').waitFor({ timeout: 15_000 });
    expect(JSON.parse((await page.locator('[data-testid=report-changes]').getAttribute('data-values'))!)).toEqual([[1]]);
    await page.screenshot({ path: join(SHOTS, 'itil-reports-desktop.png'), fullPage: true });
    expect(pageErrors).toEqual([]);
  });

  it("a release made in the form rolls out in waves to real agents under the change a policy requires, shows each host's version and rolls back", {
    timeout: 150_000,
  }, async () => {
    for (const name of ['rel-a', 'rel-b']) agents.push(await connectedAgent(t, {}, name));
    const dir = mkdtempSync(join(tmpdir(), 'aw-e2e-release-'));
    for (const a of agents) mkdirSync(join(dir, a.hostId));
    const conf = (a: TestAgent) => readFileSync(join(dir, a.hostId, 'app.conf'), 'utf8');
    const release = async (version: string) => {
      await page.goto(`${t.http}/#/itil?tab=releases`);
      const form = page.locator('[data-testid=release-form]');
      await form.waitFor({ timeout: 15_000 });
      await form.getByLabel('Release name').fill('web');
      await form.getByLabel('Version').fill(version);
      await form.getByLabel('File 1').setInputFiles({ name: 'app.conf', mimeType: 'text/plain', buffer: Buffer.from(`version=${version}\n`) });
      await form.getByLabel('Path 1').fill(`${dir}/{host_id}/app.conf`);
      await form.getByLabel('Mode 1').fill('640');
      await form.getByLabel('Commands').fill(`echo ${version} > ${dir}/{host_id}/ver`);
      await form.getByLabel('Health checks').fill(`grep -q version= ${dir}/{host_id}/app.conf`);
      await form.getByLabel('Max severity open').selectOption('');
      await form.getByRole('button', { name: 'Create release' }).click();
      return form;
    };
    const rollOut = async (change?: string) => {
      const form = page.locator('[data-testid=rollout-form]');
      await form.waitFor({ timeout: 15_000 });
      await form.getByLabel('Find hosts').fill('rel-');
      for (const h of ['rel-a', 'rel-b']) await form.locator(`[data-host="${h}"]`).check();
      await form.getByLabel('Hosts a wave').fill('1');
      if (change) await form.getByLabel('Change request').selectOption(change);
      await form.getByRole('button', { name: 'Start rollout' }).click();
      return form;
    };
    const stateOfFirstRollout = (want: string) =>
      page.waitForFunction((w) => (globalThis as any).document.querySelector('[data-testid=rollout] [data-testid=rollout-state]')?.textContent === w, want, {
        timeout: 60_000,
      });

    await signIn(alice.token, '/itil?tab=releases');
    // Checked before sending: a version the API would refuse.
    await page.locator('[data-testid=release-form]').waitFor({ timeout: 15_000 });
    await page.locator('[data-testid=release-form]').getByLabel('Version').fill('-1');
    await page.locator('[data-testid=release-form]').getByLabel('Release name').fill('web');
    await page.locator('[data-testid=release-form]').getByRole('button', { name: 'Create release' }).click();
    expect(await page.locator('[data-testid=form-problem]').textContent()).toContain('Version');
    expect((await t.call('GET', '/api/v1/releases', { headers: t.admin.auth })).body.data).toEqual([]);

    await release('1.0');
    await page.locator('[data-testid=release-card]').waitFor({ timeout: 15_000 });
    const [v1] = (await t.call('GET', '/api/v1/releases', { headers: t.admin.auth })).body.data;
    expect(v1).toMatchObject({ name: 'web', version: '1.0', commands: [`echo 1.0 > ${dir}/{host_id}/ver`], health: { max_severity_open: null } });
    expect(v1.files).toEqual([{ sha256: expect.stringMatching(/^[0-9a-f]{64}$/), path: `${dir}/{host_id}/app.conf`, mode: 0o640 }]);
    await rollOut();
    await stateOfFirstRollout('succeeded');
    expect(await page.locator('[data-testid=rollout] .itil-waves li').count()).toBe(2); // one host a wave
    expect(agents.map(conf)).toEqual(['version=1.0\n', 'version=1.0\n']);

    // The same version again: the API's code and request id show.
    const again = await release('1.0');
    const note = page.locator('[data-testid=release-form] ~ .state.error');
    await note.waitFor({ timeout: 10_000 });
    expect(await note.textContent()).toContain('RELEASE_EXISTS');
    expect(await note.locator('.request-id').textContent()).toMatch(/\S{8,}/);
    await again.getByLabel('Version').fill('2.0');
    await again.getByLabel('File 1').setInputFiles({ name: 'app.conf', mimeType: 'text/plain', buffer: Buffer.from('version=2.0\n') });
    await again.getByRole('button', { name: 'Create release' }).click();
    await page.locator('[data-testid=release-card]').waitFor({ timeout: 15_000 });

    // Change control now requires an approved change for releases on these hosts.
    const policy = await t.call('POST', '/api/v1/task-policies', {
      headers: t.admin.auth,
      body: { name: 'web releases', host_ids: agents.map((a) => a.hostId), require_change: ['release'] },
    });
    expect(policy.status).toBe(201);
    const refused = await rollOut();
    const refusal = refused.locator('.state.error');
    await refusal.waitFor({ timeout: 10_000 });
    expect(await refusal.textContent()).toContain('APPROVED_CHANGE_REQUIRED');
    expect(await refusal.locator('.request-id').textContent()).toMatch(/\S{8,}/);
    const change = await t.call('POST', '/api/v1/changes', {
      headers: alice.auth,
      body: {
        title: 'web 2.0',
        kinds: ['release'],
        reason: 'new build',
        risk: 'low',
        window_start: new Date(Date.now() - 60_000).toISOString(),
        window_end: new Date(Date.now() + 3_600_000).toISOString(),
      },
    });
    await t.call('POST', `/api/v1/changes/${change.body.data.id}/approve`, { headers: bob.auth, body: {} });
    await page.reload();
    await rollOut(change.body.data.id);
    await stateOfFirstRollout('succeeded');
    expect(agents.map(conf)).toEqual(['version=2.0\n', 'version=2.0\n']);
    const versions = page.locator('[data-testid=release-versions]');
    await page.waitForFunction(
      () =>
        [...(globalThis as any).document.querySelectorAll('[data-testid=release-versions] [data-testid=host-version]')]
          .map((e: any) => e.textContent)
          .join() === '2.0,2.0',
      undefined,
      { timeout: 15_000 },
    );
    expect(await versions.locator('tr[data-host="rel-a"]').textContent()).toContain('1.0'); // the version before
    await page.screenshot({ path: join(SHOTS, 'itil-release-desktop.png'), fullPage: true });

    // Roll back under the same change: 1.0 again on both hosts.
    await page.locator('[data-testid=release-card]').getByLabel('Change for a rollback').selectOption(change.body.data.id);
    await page.locator('[data-testid=rollout] [data-testid=rollback]').first().click();
    await page.waitForFunction(
      () =>
        [...(globalThis as any).document.querySelectorAll('[data-testid=release-versions] [data-testid=host-version]')]
          .map((e: any) => e.textContent)
          .join() === '1.0,1.0',
      undefined,
      { timeout: 60_000 },
    );
    expect(agents.map(conf)).toEqual(['version=1.0\n', 'version=1.0\n']);
    const links = (await t.call('GET', `/api/v1/changes/${change.body.data.id}`, { headers: t.admin.auth })).body.data.links;
    expect(links.map((l: any) => [l.kind, l.note])).toEqual([
      ['release', 'deploy web 2.0 to 2 host(s)'],
      ['release', 'rollback web 1.0 to 2 host(s)'],
    ]);
    expect(pageErrors).toEqual([]);
  });

  it('the priority matrix, targets and escalation rules are edited on their tab', { timeout: 90_000 }, async () => {
    const channel = await t.call('POST', '/api/v1/notification-channels', {
      headers: t.admin.auth,
      body: { name: 'duty manager', kind: 'webhook', settings: { url: 'http://127.0.0.1:9/duty' } },
    });
    expect(channel.status, JSON.stringify(channel.body)).toBe(201);
    await signIn(alice.token, '/itil?tab=escalation');
    const settings = page.locator('[data-testid=settings-form]');
    await settings.waitFor({ timeout: 15_000 });
    expect(await settings.getByLabel('Priority for impact high, urgency medium').inputValue()).toBe('P2');
    await settings.getByLabel('Priority for impact high, urgency medium').selectOption('P1');
    expect(await page.locator('[data-testid=severity-priority-high]').textContent()).toBe('P1'); // the severity default follows the matrix
    await settings.getByLabel('P1 acknowledge target, minutes').fill('10');
    await settings.getByRole('button', { name: 'Save' }).click();
    await page.locator('[data-testid=settings-saved]').waitFor({ timeout: 10_000 });
    const saved = (await t.call('GET', '/api/v1/itil/settings', { headers: t.admin.auth })).body.data;
    expect(saved.matrix.high.medium).toBe('P1');
    expect(saved.targets.P1.acknowledge_s).toBe(600);

    // Someone else changed them meanwhile: saving again is refused (If-Match), with the code and request id.
    expect(
      (
        await t.call('PUT', '/api/v1/itil/settings', {
          headers: t.admin.auth,
          body: { ...saved, matrix: { ...saved.matrix, low: { ...saved.matrix.low, low: 'P3' } } },
        })
      ).status,
    ).toBe(200);
    await settings.getByLabel('Priority for impact medium, urgency low').selectOption('P3');
    await settings.getByRole('button', { name: 'Save' }).click();
    const conflict = page.locator('[data-testid=settings-form] ~ .state.error');
    await conflict.waitFor({ timeout: 10_000 });
    expect(await conflict.textContent()).toContain('PRECONDITION_FAILED');
    expect(await conflict.locator('.request-id').textContent()).toMatch(/\S{8,}/);
    expect((await t.call('GET', '/api/v1/itil/settings', { headers: t.admin.auth })).body.data.matrix.medium.low).toBe('P4');

    const form = page.locator('[data-testid=rule-form]');
    await form.getByLabel('Priority', { exact: true }).selectOption('P2');
    await form.getByLabel('After, minutes').fill('0');
    await form.getByRole('button', { name: 'Add' }).click();
    expect(await form.locator('[data-testid=form-problem]').textContent()).toContain('minutes');
    await form.getByLabel('After, minutes').fill('30');
    await form.getByLabel('Channel').selectOption(channel.body.data.channel.id);
    await form.getByLabel('Raise priority').check();
    await form.getByRole('button', { name: 'Add' }).click();
    const rows = page.locator('[data-testid=escalation-rules] tbody tr');
    await rows.first().waitFor({ timeout: 10_000 });
    expect(await rows.first().locator('[data-testid=rule-after]').textContent()).toBe('30 min');
    expect(await rows.first().locator('[data-testid=rule-channel]').textContent()).toBe('duty manager');
    const [rule] = (await t.call('GET', '/api/v1/escalation-rules', { headers: t.admin.auth })).body.data;
    expect(rule).toMatchObject({ priority: 'P2', kind: 'acknowledge', after_s: 1800, channel_id: channel.body.data.channel.id, raise_priority: true });

    await rows.first().getByRole('button', { name: 'Edit' }).click();
    const edit = page.locator('[data-testid=rule-edit-form]');
    await edit.getByLabel('After, minutes').fill('45');
    await edit.getByLabel('When').selectOption('resolve');
    await edit.getByRole('button', { name: 'Save' }).click();
    await page.waitForFunction(
      () => (globalThis as any).document.querySelector('[data-testid=escalation-rules] [data-testid=rule-after]')?.textContent === '45 min',
      undefined,
      { timeout: 10_000 },
    );
    expect((await t.call('GET', '/api/v1/escalation-rules', { headers: t.admin.auth })).body.data).toEqual([
      expect.objectContaining({ id: rule.id, kind: 'resolve', after_s: 2700 }),
    ]);
    await page.screenshot({ path: join(SHOTS, 'itil-escalation-desktop.png'), fullPage: true });

    await rows.first().getByRole('button', { name: 'Remove' }).click();
    await page.locator('[data-testid=escalation-rules]').waitFor({ state: 'detached', timeout: 10_000 });
    expect((await t.call('GET', '/api/v1/escalation-rules', { headers: t.admin.auth })).body.data).toEqual([]);
    expect(pageErrors).toEqual([]);
  });

  it('template and asset edits are made under a change picked on their screens, which say when a policy requires one', { timeout: 90_000 }, async () => {
    const tpl = (
      await t.call('POST', '/api/v1/templates', {
        headers: t.admin.auth,
        body: { name: 'web checks', items: [{ key: 'cpu', type: 'collector', collector: 'cpu', interval_s: 30 }], triggers: [] },
      })
    ).body.data;
    const asset = (await t.call('POST', '/api/v1/assets', { headers: t.admin.auth, body: { type: 'server', name: 'rack7-web', state: 'online' } })).body.data;
    const policy = await t.call('POST', '/api/v1/task-policies', {
      headers: t.admin.auth,
      body: { name: 'cmdb and templates', require_change: ['template', 'asset'] },
    });
    expect(policy.status, JSON.stringify(policy.body)).toBe(201);
    const made = await t.call('POST', '/api/v1/changes', {
      headers: alice.auth,
      body: {
        title: 'Rack 7 rework',
        kinds: ['template', 'asset'],
        reason: 'new web rack',
        risk: 'low',
        window_start: new Date(Date.now() - 3_600_000).toISOString(),
        window_end: new Date(Date.now() + 3_600_000).toISOString(),
      },
    });
    const changeId = made.body.data.id as string;
    expect((await t.call('POST', `/api/v1/changes/${changeId}/approve`, { headers: bob.auth, body: {} })).body.data.change.state).toBe('approved');
    const pick = async (label: string) => {
      const select = page.getByLabel(label);
      await select.locator(`option[value="${changeId}"]`).waitFor({ state: 'attached', timeout: 10_000 });
      await select.selectOption(changeId);
    };

    await signIn(alice.token, '/monitoring');
    await page.locator('[data-tab=templates]').click();
    const required = page.locator('[data-testid=template-change] [data-testid=change-required]');
    await required.waitFor({ timeout: 15_000 });
    expect(await required.textContent()).toContain(
      'Change control (cmdb and templates) requires an approved change request for every template edit: pick one above',
    );
    // Without a change the API refuses, and the form shows why.
    const create = page.locator('[data-testid=template-create]');
    await create.getByLabel('New template name').fill('web extras');
    await create.getByRole('button', { name: 'Create template' }).click();
    await page.locator('.card .state.error').waitFor({ timeout: 10_000 });
    expect(await page.locator('.card .state.error').textContent()).toContain('APPROVED_CHANGE_REQUIRED');
    await pick('Change request for template edits');
    expect(await required.textContent()).not.toContain('pick one above');
    await create.getByRole('button', { name: 'Create template' }).click();
    await page.locator('[data-testid=template-created]').waitFor({ timeout: 10_000 });
    await page.locator('[data-template="web checks"]').getByRole('button', { name: 'Remove item cpu' }).click();
    await page.waitForFunction(() => !(globalThis as any).document.querySelector('[data-template="web checks"] [data-item=cpu]'), undefined, {
      timeout: 10_000,
    });
    await page.screenshot({ path: join(SHOTS, 'itil-template-change-desktop.png'), fullPage: true });

    await signIn(alice.token, `/cmdb/${asset.id}`);
    await page.locator('[data-testid=asset-change] [data-testid=change-required]').waitFor({ timeout: 15_000 });
    const move = async () => {
      await page.getByLabel('Move to').selectOption('maintenance');
      await page.getByLabel('Reason').fill('rack move');
      await page.getByRole('button', { name: 'Move' }).click();
    };
    await move();
    await page.locator('.state.error').waitFor({ timeout: 10_000 });
    expect(await page.locator('.state.error').textContent()).toContain('APPROVED_CHANGE_REQUIRED');
    await pick('Change request for asset edits');
    await move();
    await page.waitForFunction(() => (globalThis as any).document.querySelector('[data-testid=asset-state]')?.textContent === 'maintenance', undefined, {
      timeout: 10_000,
    });
    // The asset's change requests now list the change it was edited under.
    await page.locator(`[data-testid=asset-change-requests] li[data-id="${changeId}"]`).waitFor({ timeout: 10_000 });
    await page.screenshot({ path: join(SHOTS, 'itil-asset-change-desktop.png'), fullPage: true });

    const extras = (await t.call('GET', '/api/v1/templates', { headers: t.admin.auth })).body.data.find((x: any) => x.name === 'web extras');
    const links = (await t.call('GET', `/api/v1/changes/${changeId}`, { headers: t.admin.auth })).body.data.links.map((l: any) => [
      l.kind,
      l.object_id,
      l.note,
    ]);
    expect(links).toEqual([
      ['template', extras.id, 'web extras: created'],
      ['template', tpl.id, 'web checks: edited'],
      ['asset', asset.id, 'transition online -> maintenance'],
    ]);
    expect(pageErrors).toEqual([]);
    await t.call('DELETE', `/api/v1/task-policies/${policy.body.data.id}`, { headers: t.admin.auth });
  });
});
