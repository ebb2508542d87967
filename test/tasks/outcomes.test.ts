/**
 * A task says what happened: its outcome and host counts come from its hosts' results (two real
 * agents, real processes). File pushes into a missing folder fail at once with that reason, or
 * create it when asked; the mode may be octal text, and a bad one is refused naming its field.
 */
import { existsSync, mkdtempSync, statSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServer } from '../api/api-client.js';
import { connectedAgent, finishedHosts, runTask, until, type TestAgent } from './support.js';

describe('tasks: outcomes, missing folders, octal modes', () => {
  let t: ApiServer;
  const agents: TestAgent[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'aw-outcome-'));
  let hostIds: string[] = [];

  const finished = async (body: Record<string, unknown>) => {
    const task = await runTask(t, { targets: { host_ids: hostIds }, ...body });
    const hosts = await finishedHosts(t, task.id);
    let view: any;
    await until('task ended', async () => {
      view = (await t.call('GET', `/api/v1/tasks/${task.id}`, { headers: t.admin.auth })).body.data;
      return view.state !== 'running';
    });
    return { view, hosts };
  };
  const zeros = { queued: 0, sent: 0, running: 0, ok: 0, failed: 0, timed_out: 0, cancelled: 0, unreachable: 0, refused: 0 };

  beforeAll(async () => {
    t = await startApiServer({ AW_AUTO_APPROVE: 'true' });
    agents.push(await connectedAgent(t, {}, 'outcome-a'), await connectedAgent(t, {}, 'outcome-b'));
    hostIds = agents.map((a) => a.hostId);
  });
  afterAll(async () => {
    for (const a of agents) await a.runtime.stop();
    await t?.close();
  });

  it('ok, partly failed, failed and timed out read as such, with counts per host state', async () => {
    const ok = await finished({ action: { kind: 'shell', command: 'true' } });
    expect(ok.view).toMatchObject({ state: 'done', outcome: 'ok', host_counts: { ...zeros, ok: 2 } });

    const failed = await finished({ action: { kind: 'shell', command: 'exit 3' } });
    expect(failed.hosts.map((h) => h.exit_code)).toEqual([3, 3]);
    expect(failed.view).toMatchObject({ state: 'done', outcome: 'failed', host_counts: { ...zeros, failed: 2 } });

    // Only the first host to make the folder succeeds.
    const lock = join(dir, 'lock');
    const partly = await finished({ action: { kind: 'shell', command: `mkdir ${lock} || exit 3` } });
    expect(partly.view).toMatchObject({ state: 'done', outcome: 'partly_failed', host_counts: { ...zeros, ok: 1, failed: 1 } });

    const slow = await finished({ action: { kind: 'shell', command: 'sleep 30' }, timeout_s: 1 });
    expect(slow.view).toMatchObject({ state: 'done', outcome: 'timed_out', host_counts: { ...zeros, timed_out: 2 } });

    // History carries them too, newest first.
    const list = await t.call('GET', '/api/v1/tasks?limit=4', { headers: t.admin.auth });
    expect(list.body.data.map((x: any) => [x.id, x.outcome])).toEqual([
      [slow.view.id, 'timed_out'],
      [partly.view.id, 'partly_failed'],
      [failed.view.id, 'failed'],
      [ok.view.id, 'ok'],
    ]);
    expect(list.body.data[1].host_counts).toEqual({ ...zeros, ok: 1, failed: 1 });
  });

  it('a cancelled task says cancelled; a running one says running', async () => {
    const task = await runTask(t, { action: { kind: 'shell', command: 'sleep 300' }, targets: { host_ids: hostIds }, timeout_s: 600 });
    await until('running', async () => (await t.call('GET', `/api/v1/tasks/${task.id}`, { headers: t.admin.auth })).body.data.host_counts.running === 2);
    expect((await t.call('GET', `/api/v1/tasks/${task.id}`, { headers: t.admin.auth })).body.data.outcome).toBe('running');
    await t.call('POST', `/api/v1/tasks/${task.id}/cancel`, { headers: t.admin.auth });
    await finishedHosts(t, task.id);
    const view = (await t.call('GET', `/api/v1/tasks/${task.id}`, { headers: t.admin.auth })).body.data;
    expect(view).toMatchObject({ state: 'cancelled', outcome: 'cancelled', host_counts: { ...zeros, cancelled: 2 } });
  });

  describe('file pushes', () => {
    let sha256 = '';
    beforeAll(async () => {
      const up = await t.call('POST', '/api/v1/files?name=app.conf', {
        headers: { ...t.admin.auth, 'content-type': 'application/octet-stream' },
        raw: Buffer.from('listen 8080\n'),
      });
      sha256 = up.body.data.file.sha256;
    });

    it('into a missing folder fails at once, saying so, on every host', async () => {
      const target = join(dir, 'missing', 'app.conf');
      const { view, hosts } = await finished({ action: { kind: 'file', sha256, path: target, mode: 0o644 } });
      expect(view).toMatchObject({ outcome: 'failed', host_counts: { ...zeros, failed: 2 } });
      for (const h of hosts) {
        expect(h.message).toBe(`target folder ${join(dir, 'missing')} does not exist (set create_dirs to create it)`);
        // No retries: the old code spent 200+400+800 ms backing off before giving up. (Measured by the agent
        // per host; a wall-clock bound on the whole task, creation and polling included, failed under CI's load.)
        expect(h.duration_ms).toBeLessThan(1000);
      }
      expect(existsSync(join(dir, 'missing'))).toBe(false);
    });

    it('creates the folder when the order says create_dirs, with the mode given as octal text', async () => {
      const target = join(dir, 'made', 'deep', 'app.conf');
      const task = await runTask(t, { action: { kind: 'file', sha256, path: target, mode: '0640', create_dirs: true }, targets: { host_ids: [hostIds[0]] } });
      expect(task.action).toMatchObject({ mode: 0o640, create_dirs: true });
      const [h] = await finishedHosts(t, task.id);
      expect(h.state, h.message).toBe('ok');
      expect(readFileSync(target, 'utf8')).toBe('listen 8080\n');
      expect(statSync(target).mode & 0o777).toBe(0o640);
      expect(statSync(join(dir, 'made', 'deep')).isDirectory()).toBe(true);
    });

    it('takes "640" and "0o640"; a mode that is not one is refused naming the mode field, and no task is made', async () => {
      for (const mode of ['640', '0o640']) {
        const r = await t.call('POST', '/api/v1/tasks', {
          headers: t.admin.auth,
          body: { action: { kind: 'file', sha256, path: join(dir, `m${mode}`), mode }, targets: { host_ids: [hostIds[0]] } },
        });
        expect(r.status, JSON.stringify(r.body)).toBe(201);
        expect(r.body.data.action.mode).toBe(0o640);
        await finishedHosts(t, r.body.data.id);
      }
      const plain = await t.call('POST', '/api/v1/tasks', {
        headers: t.admin.auth,
        body: { action: { kind: 'file', sha256, path: join(dir, 'plain') }, targets: { host_ids: [hostIds[0]] } },
      });
      expect(plain.status, JSON.stringify(plain.body)).toBe(201);
      expect(plain.body.data.action.mode).toBe(0o644);
      const [p] = await finishedHosts(t, plain.body.data.id);
      expect(p.state, p.message).toBe('ok');
      expect(statSync(join(dir, 'plain')).mode & 0o777).toBe(0o644);
      const before = (await t.call('GET', '/api/v1/tasks?limit=100', { headers: t.admin.auth })).body.data.length;
      for (const mode of ['0999', 'rw-r-----', 70000]) {
        const r = await t.call('POST', '/api/v1/tasks', {
          headers: t.admin.auth,
          body: { action: { kind: 'file', sha256, path: join(dir, 'bad'), mode }, targets: { host_ids: hostIds } },
        });
        expect(r.status).toBe(400);
        expect(r.body.error).toMatchObject({ code: 'VALIDATION_FAILED', details: { field: 'body.action.mode' } });
        expect(r.body.error?.message).toMatch(/^body\.action\.mode: .* is not a file mode: give octal text/);
      }
      expect((await t.call('GET', '/api/v1/tasks?limit=100', { headers: t.admin.auth })).body.data.length).toBe(before);
    });
  });
});
