/**
 * File pushes end to end: streamed upload stored once by sha256, download with the order's token,
 * resume with Range, sha256 checked before the atomic rename; a wrong hash leaves the old file.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { partPath } from '../../agent/tasks/file-fetch.js';
import { startApiServer, type ApiServer } from '../api/api-client.js';
import { enrollAgent } from '../support/server.js';
import { connectedAgent, finishedHosts, runTask, startAgent, type TestAgent } from './support.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('tasks: file pushes', () => {
  let t: ApiServer;
  let agent: TestAgent;
  const agents: TestAgent[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'aw-push-'));
  const content = randomBytes(3 * 1024 * 1024 + 17);
  let stored: string;

  const upload = (body: Buffer, name = 'payload.bin') =>
    t.call('POST', `/api/v1/files?name=${name}`, { headers: { ...t.admin.auth, 'content-type': 'application/octet-stream' }, raw: body });

  beforeAll(async () => {
    t = await startApiServer({ AW_AUTO_APPROVE: 'true', AW_TASK_FILE_MAX_MB: '8' });
    agent = await connectedAgent(t);
    agents.push(agent);
  });
  afterAll(async () => {
    for (const a of agents) await a.runtime.stop();
    await t?.close();
  });

  it('stores an upload once by its sha256 and refuses one past the size limit', async () => {
    const first = await upload(content);
    expect(first.status).toBe(201);
    expect(first.body.data).toMatchObject({ created: true, file: { sha256: sha(content), size: content.length, name: 'payload.bin' } });
    stored = first.body.data.file.sha256;
    const again = await upload(content, 'same.bin');
    expect(again.status).toBe(200);
    expect(again.body.data.created).toBe(false);
    expect(readdirSync(join(t.dataDir, 'files')).filter((f) => f.length === 64)).toEqual([stored]);
    const big = await upload(Buffer.alloc(8 * 1024 * 1024 + 1));
    expect(big.status).toBe(413);
    expect(readdirSync(join(t.dataDir, 'files', 'incoming'))).toEqual([]);
  });

  it('pushes a file: mode set, content verified, renamed into place', async () => {
    const target = join(dir, 'app.conf');
    const task = await runTask(t, { action: { kind: 'file', sha256: stored, path: target, mode: 0o640 }, targets: { host_ids: [agent.hostId] } });
    const [h] = await finishedHosts(t, task.id);
    expect(h).toMatchObject({ state: 'ok', exit_code: 0 });
    expect(h.message).toContain(`sha256 ${stored}`);
    expect(readFileSync(target).equals(content)).toBe(true);
    expect(statSync(target).mode & 0o777).toBe(0o640);
  });

  it('resumes a broken download with Range', async () => {
    const enrolled = await enrollAgent(t, 'resumer');
    const target = join(dir, 'resumed.bin');
    const task = await runTask(t, { action: { kind: 'file', sha256: stored, path: target, mode: 0o600 }, targets: { host_ids: [enrolled.hostId] } });
    // What an earlier, broken download left behind: the first MiB.
    writeFileSync(partPath(target, task.id), content.subarray(0, 1024 * 1024));
    const before = t.server.deps.taskDownloads!.bytes;
    const resumer = startAgent(t, enrolled);
    agents.push(resumer);
    const [h] = await finishedHosts(t, task.id);
    expect(h.state).toBe('ok');
    expect(readFileSync(target).equals(content)).toBe(true);
    expect(t.server.deps.taskDownloads!.bytes - before).toBe(content.length - 1024 * 1024);
  });

  it('refuses a file whose hash is wrong and leaves the old file in place', async () => {
    const target = join(dir, 'keep.conf');
    writeFileSync(target, 'OLD CONTENT\n');
    // The stored copy went bad (disk, tampering): same size, other bytes.
    writeFileSync(join(t.dataDir, 'files', stored), randomBytes(content.length));
    const task = await runTask(t, { action: { kind: 'file', sha256: stored, path: target, mode: 0o644 }, targets: { host_ids: [agent.hostId] } });
    const [h] = await finishedHosts(t, task.id);
    expect(h.state).toBe('failed');
    expect(h.message).toMatch(/FILE_HASH_MISMATCH/);
    expect(readFileSync(target, 'utf8')).toBe('OLD CONTENT\n');
    expect(existsSync(partPath(target, task.id))).toBe(false);
    writeFileSync(join(t.dataDir, 'files', stored), content);
  });

  it("serves downloads only with the order's token, and refuses unknown files in a task", async () => {
    const denied = await fetch(`${t.http}/agent-files/${'0'.repeat(8)}-0000-4000-8000-${'0'.repeat(12)}/${agent.agentId}`, {
      headers: { authorization: 'Bearer nope' },
    });
    expect(denied.status).toBe(401);
    const res = await t.call('POST', '/api/v1/tasks', {
      headers: t.admin.auth,
      body: { action: { kind: 'file', sha256: 'a'.repeat(64), path: '/tmp/x', mode: 420 }, targets: { host_ids: [agent.hostId] } },
    });
    expect(res.status).toBe(400);
    expect(res.body.error?.code).toBe('FILE_NOT_FOUND');
  });
});
