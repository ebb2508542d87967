/**
 * Release management with real agents: v1 is deployed to three hosts in waves of one; v2's health
 * check fails on the second host, so its rollout stops after wave 2 (the third host keeps v1), and
 * rolling it back puts v1's files back on the hosts of waves 1 and 2. Every step ran as a signed task.
 * Where change control requires an approved change for releases, a rollout (and its rollback) is
 * refused without one and runs under one covering releases, which lists it as its implementation.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServer } from '../api/api-client.js';
import { connectedAgent, until, type TestAgent } from '../tasks/support.js';

describe('release management', () => {
  let t: ApiServer;
  const agents: TestAgent[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'aw-release-'));
  const releases: Record<string, string> = {};

  const upload = async (text: string) =>
    (await t.call('POST', '/api/v1/files?name=app.conf', { headers: { ...t.admin.auth, 'content-type': 'application/octet-stream' }, raw: Buffer.from(text) }))
      .body.data.file.sha256 as string;
  const define = async (version: string, content: string) => {
    const r = await t.call('POST', '/api/v1/releases', {
      headers: t.admin.auth,
      body: {
        name: 'shop',
        version,
        files: [{ sha256: await upload(content), path: `${dir}/{host_id}/app.conf`, mode: 0o644 }],
        commands: [`echo ${version} > ${dir}/{host_id}/restarted`],
        health: { checks: [`grep -q ok ${dir}/{host_id}/health`], max_severity_open: 'average', settle_s: 0 },
      },
    });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    releases[version] = r.body.data.id;
  };
  const settled = async (id: string) => {
    let r: any;
    await until(
      `rollout ${id}`,
      async () => (r = (await t.call('GET', `/api/v1/release-rollouts/${id}`, { headers: t.admin.auth })).body.data).state !== 'running',
      60_000,
    );
    return r;
  };
  const conf = (a: TestAgent) => readFileSync(join(dir, a.hostId, 'app.conf'), 'utf8');

  beforeAll(async () => {
    t = await startApiServer({ AW_AUTO_APPROVE: 'true' });
    for (const name of ['shop1', 'shop2', 'shop3']) agents.push(await connectedAgent(t, {}, name));
    for (const a of agents) {
      mkdirSync(join(dir, a.hostId));
      writeFileSync(join(dir, a.hostId, 'health'), 'ok\n');
    }
  }, 180_000);
  afterAll(async () => {
    for (const a of agents) await a.runtime.stop();
    await t?.close();
  });

  it('refuses a release of files never uploaded, and the same version twice', async () => {
    const ghost = await t.call('POST', '/api/v1/releases', {
      headers: t.admin.auth,
      body: {
        name: 'shop',
        version: '0.1',
        files: [{ sha256: 'a'.repeat(64), path: '/tmp/x', mode: 0o644 }],
        commands: [],
        health: { checks: [], max_severity_open: null, settle_s: 0 },
      },
    });
    expect(ghost.body.error).toMatchObject({ code: 'FILE_NOT_FOUND', details: { field: 'body.files[0].sha256' } });
    await define('1.0', 'version=1\n');
    const again = await t.call('POST', '/api/v1/releases', {
      headers: t.admin.auth,
      body: { name: 'shop', version: '1.0', files: [], commands: [], health: { checks: [], max_severity_open: null, settle_s: 0 } },
    });
    expect(again.body.error?.code).toBe('RELEASE_EXISTS');
  });

  it('deploys v1 in waves and records the version each host runs', async () => {
    const r = await t.call('POST', `/api/v1/releases/${releases['1.0']}/rollouts`, {
      headers: t.admin.auth,
      body: { host_ids: agents.map((a) => a.hostId), batch_size: 1 },
    });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    const done = await settled(r.body.data.id);
    expect(done.state, done.stop_reason).toBe('succeeded');
    expect(done.waves.map((w: any) => [w.host_ids, w.gate.passed])).toEqual(agents.map((a) => [[a.hostId], true]));
    for (const a of agents) expect(conf(a)).toBe('version=1\n');
    // Every step was a task: file push, command, health check per host.
    const tasks = done.waves.flatMap((w: any) => w.tasks);
    expect(tasks.length).toBe(9);
    const kinds = await Promise.all(tasks.map(async (id: string) => (await t.call('GET', `/api/v1/tasks/${id}`, { headers: t.admin.auth })).body.data.kind));
    expect(kinds.filter((k) => k === 'file').length).toBe(3);
    const versions = (await t.call('GET', '/api/v1/release-versions', { headers: t.admin.auth })).body.data;
    expect(versions.map((v: any) => [v.host_id, v.version]).sort()).toEqual(agents.map((a) => [a.hostId, '1.0']).sort());
  });

  it('stops v2 at the wave whose health gate fails, and rollback restores v1 on the hosts of waves 1-2', async () => {
    await define('2.0', 'version=2\n');
    writeFileSync(join(dir, agents[1].hostId, 'health'), 'failing\n');
    const r = await t.call('POST', `/api/v1/releases/${releases['2.0']}/rollouts`, {
      headers: t.admin.auth,
      body: { host_ids: agents.map((a) => a.hostId), batch_size: 1 },
    });
    const stopped = await settled(r.body.data.id);
    expect(stopped.state).toBe('stopped');
    expect(stopped.stop_reason).toMatch(/^wave 2 failed its health gate: checks failed/);
    expect(stopped.waves.map((w: any) => w.gate.passed)).toEqual([true, false]);
    expect([conf(agents[0]), conf(agents[1]), conf(agents[2])]).toEqual(['version=2\n', 'version=2\n', 'version=1\n']);
    expect(readFileSync(join(dir, agents[2].hostId, 'restarted'), 'utf8')).toBe('1.0\n');
    const v = async (a: TestAgent) => (await t.call('GET', `/api/v1/release-versions?host_id=${a.hostId}`, { headers: t.admin.auth })).body.data[0].version;
    expect([await v(agents[0]), await v(agents[1]), await v(agents[2])]).toEqual(['2.0', '2.0', '1.0']);

    const back = await t.call('POST', `/api/v1/release-rollouts/${r.body.data.id}/rollback`, { headers: t.admin.auth });
    expect(back.status, JSON.stringify(back.body)).toBe(201);
    expect(back.body.data).toHaveLength(1);
    expect(back.body.data[0]).toMatchObject({ kind: 'rollback', undoes: r.body.data.id, release_id: releases['1.0'] });
    expect([...back.body.data[0].host_ids].sort()).toEqual([agents[0].hostId, agents[1].hostId].sort());
    const rolled = await settled(back.body.data[0].id);
    expect(rolled.state, rolled.stop_reason).toBe('succeeded');
    expect(agents.map(conf)).toEqual(['version=1\n', 'version=1\n', 'version=1\n']);
    expect(existsSync(join(dir, agents[0].hostId, 'restarted')) && readFileSync(join(dir, agents[0].hostId, 'restarted'), 'utf8')).toBe('1.0\n');
    expect([await v(agents[0]), await v(agents[1]), await v(agents[2])]).toEqual(['1.0', '1.0', '1.0']);
  });

  it('a policy requiring a change for releases refuses a rollout without one; under one it runs and is linked, and so is its rollback', async () => {
    const alice = await t.userSession('admin', 'alice');
    const bob = await t.userSession('admin', 'bob');
    const host = agents[0].hostId;
    await define('3.0', 'version=3\n');
    const policy = await t.call('POST', '/api/v1/task-policies', {
      headers: t.admin.auth,
      body: { name: 'shop releases', host_ids: [host], require_change: ['release'] },
    });
    expect(policy.status, JSON.stringify(policy.body)).toBe(201);
    const deploy = (extra: Record<string, unknown> = {}) =>
      t.call('POST', `/api/v1/releases/${releases['3.0']}/rollouts`, { headers: alice.auth, body: { host_ids: [host], batch_size: 1, ...extra } });
    const refused = await deploy();
    expect(refused.status).toBe(400);
    expect(refused.body.error).toMatchObject({ code: 'APPROVED_CHANGE_REQUIRED', details: { policies: [policy.body.data.id] } });

    const change = await t.call('POST', '/api/v1/changes', {
      headers: alice.auth,
      body: {
        title: 'shop 3.0',
        kinds: ['release'],
        reason: 'new checkout',
        risk: 'medium',
        host_ids: [host],
        window_start: new Date(Date.now() - 60_000).toISOString(),
        window_end: new Date(Date.now() + 3_600_000).toISOString(),
      },
    });
    const changeId = change.body.data.id;
    expect((await deploy({ change_id: changeId })).body.error?.code).toBe('CHANGE_NOT_USABLE'); // not approved yet
    expect((await t.call('POST', `/api/v1/changes/${changeId}/approve`, { headers: bob.auth, body: {} })).body.data.change.state).toBe('approved');
    const r = await deploy({ change_id: changeId });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(r.body.data.change_id).toBe(changeId);
    const done = await settled(r.body.data.id);
    expect(done.state, done.stop_reason).toBe('succeeded');
    expect(conf(agents[0])).toBe('version=3\n');

    expect((await t.call('POST', `/api/v1/release-rollouts/${r.body.data.id}/rollback`, { headers: alice.auth })).body.error?.code).toBe(
      'APPROVED_CHANGE_REQUIRED',
    );
    const back = await t.call('POST', `/api/v1/release-rollouts/${r.body.data.id}/rollback`, { headers: alice.auth, body: { change_id: changeId } });
    expect(back.status, JSON.stringify(back.body)).toBe(201);
    expect((await settled(back.body.data[0].id)).state).toBe('succeeded');
    expect(conf(agents[0])).toBe('version=1\n');

    const links = (await t.call('GET', `/api/v1/changes/${changeId}`, { headers: t.admin.auth })).body.data.links;
    expect(links.map((l: any) => [l.kind, l.object_id, l.note])).toEqual([
      ['release', r.body.data.id, 'deploy shop 3.0 to 1 host(s)'],
      ['release', back.body.data[0].id, 'rollback shop 1.0 to 1 host(s)'],
    ]);
  });
});
