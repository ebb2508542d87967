/**
 * Commands end to end with real processes: a real server, a real agent over the real WebSocket,
 * orders signed by the server and checked by the agent against its pinned key.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MessageType } from '../../protocol/messages.js';
import type { TaskMessage } from '../../protocol/task-order.js';
import { startApiServer, type ApiServer } from '../api/api-client.js';
import { connectedAgent, finishedHosts, runTask, until, type TestAgent } from './support.js';

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('tasks: commands on a real agent', () => {
  let t: ApiServer;
  let agent: TestAgent;
  beforeAll(async () => {
    t = await startApiServer({ AW_AUTO_APPROVE: 'true' });
    agent = await connectedAgent(t);
  });
  afterAll(async () => {
    await agent?.runtime.stop();
    await t?.close();
  });

  it('brings back stdout, stderr and the exit code', async () => {
    const task = await runTask(t, { action: { kind: 'shell', command: 'echo hello; echo oops >&2; exit 3' }, targets: { host_ids: [agent.hostId] } });
    const [h] = await finishedHosts(t, task.id);
    expect(h).toMatchObject({ state: 'failed', exit_code: 3, stdout: 'hello\n', stderr: 'oops\n', stdout_cut: false });
    expect(h.duration_ms).toBeGreaterThanOrEqual(0);
    const ok = await runTask(t, { action: { kind: 'argv', argv: ['printf', '%s-%s', 'a b', 'c'] }, targets: { host_ids: [agent.hostId] }, env: { X: '1' } });
    expect((await finishedHosts(t, ok.id))[0]).toMatchObject({ state: 'ok', exit_code: 0, stdout: 'a b-c' });
    const script = await runTask(t, {
      action: { kind: 'script', script: 'echo "$FOO from $(pwd)"\n', interpreter: '/bin/sh' },
      targets: { host_ids: [agent.hostId] },
      env: { FOO: 'bar' },
      cwd: '/tmp',
    });
    expect((await finishedHosts(t, script.id))[0]).toMatchObject({ state: 'ok', stdout: 'bar from /tmp\n' });
    const done = await t.call('GET', `/api/v1/tasks/${script.id}`, { headers: t.admin.auth });
    expect(done.body.data).toMatchObject({ state: 'done', hosts: { ok: 1 } });
  });

  it('kills the whole process group on timeout', async () => {
    const task = await runTask(t, {
      action: { kind: 'shell', command: 'sleep 300 & echo $!; (sleep 301; echo never) & echo $!; wait' },
      targets: { host_ids: [agent.hostId] },
      timeout_s: 1,
    });
    const [h] = await finishedHosts(t, task.id);
    expect(h.state).toBe('timed_out');
    expect(h.message).toMatch(/timeout/);
    const pids = h.stdout.trim().split('\n').map(Number);
    expect(pids).toHaveLength(2);
    await until('background children gone', () => pids.every((p: number) => !alive(p)), 5000);
  });

  it('cuts output past the cap and marks the cut', async () => {
    const task = await runTask(t, {
      action: { kind: 'shell', command: "head -c 5000 /dev/zero | tr '\\0' a; echo done >&2" },
      targets: { host_ids: [agent.hostId] },
      output_cap_bytes: 1000,
    });
    const [h] = await finishedHosts(t, task.id);
    expect(h.state).toBe('ok');
    expect(h.stdout_cut).toBe(true);
    expect(h.stdout.startsWith('a'.repeat(1000) + '\n[autowatch: output cut at 1000 bytes; 4000 more bytes not kept]')).toBe(true);
    expect(h.stderr).toBe('done\n');
    expect(h.stderr_cut).toBe(false);
  });

  it('refuses an order whose signature has one flipped byte, and reports it', async () => {
    const gw = t.server.deps.gateway;
    const send = gw.sendTo.bind(gw);
    gw.sendTo = (id, type, message) => {
      if (type === MessageType.task) {
        const m = message as TaskMessage;
        const signature = Buffer.from(m.signature, 'base64');
        signature[17] ^= 0x01;
        return send(id, type, { ...m, signature: signature.toString('base64') });
      }
      return send(id, type, message);
    };
    try {
      const task = await runTask(t, { action: { kind: 'shell', command: 'touch /tmp/aw-must-not-exist' }, targets: { host_ids: [agent.hostId] } });
      const [h] = await finishedHosts(t, task.id);
      expect(h.state).toBe('refused');
      expect(h.message).toMatch(/^TASK_BAD_SIGNATURE/);
      expect(h.exit_code).toBeNull();
    } finally {
      gw.sendTo = send;
    }
  });

  it('cancels a running task by killing its process group', async () => {
    const task = await runTask(t, { action: { kind: 'shell', command: 'echo $$; sleep 300' }, targets: { host_ids: [agent.hostId] }, timeout_s: 600 });
    await until('running', async () => (await t.call('GET', `/api/v1/tasks/${task.id}/hosts`, { headers: t.admin.auth })).body.data[0].state === 'running');
    await new Promise((r) => setTimeout(r, 200));
    const res = await t.call('POST', `/api/v1/tasks/${task.id}/cancel`, { headers: t.admin.auth });
    expect(res.status).toBe(200);
    const [h] = await finishedHosts(t, task.id);
    expect(h.state).toBe('cancelled');
    const pid = Number(h.stdout.trim());
    expect(alive(pid)).toBe(false);
    const again = await t.call('POST', `/api/v1/tasks/${task.id}/cancel`, { headers: t.admin.auth });
    expect(again.body.error?.code).toBe('TASK_FINISHED');
  });

  it('streams live output as server-sent events, then the result, then end', async () => {
    const task = await runTask(t, {
      action: { kind: 'shell', command: 'for i in 1 2 3; do echo line$i; sleep 0.4; done; echo bye >&2' },
      targets: { host_ids: [agent.hostId] },
    });
    const res = await fetch(`${t.http}/api/v1/tasks/${task.id}/output/stream`, { headers: t.admin.auth });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const events: Array<{ event: string; data: any; at: number }> = [];
    const decoder = new TextDecoder();
    let text = '';
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      text += decoder.decode(chunk, { stream: true });
      let cut: number;
      while ((cut = text.indexOf('\n\n')) >= 0) {
        const block = text.slice(0, cut);
        text = text.slice(cut + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (event) events.push({ event, data: data && JSON.parse(data), at: Date.now() });
      }
    }
    const outputs = events.filter((e) => e.event === 'output');
    expect(
      outputs
        .filter((e) => e.data.stream === 'stdout')
        .map((e) => e.data.data)
        .join(''),
    ).toBe('line1\nline2\nline3\n');
    // Live: the first line came well before the run ended.
    const result = events.find((e) => e.event === 'result')!;
    expect(result.data).toMatchObject({ host_id: agent.hostId, state: 'ok', exit_code: 0, stdout: 'line1\nline2\nline3\n', stderr: 'bye\n' });
    expect(result.at - outputs[0].at).toBeGreaterThan(500);
    expect(events.at(-1)).toMatchObject({ event: 'end', data: { state: 'done' } });
    // A late watcher gets the stored result and the end at once.
    const late = await (await fetch(`${t.http}/api/v1/tasks/${task.id}/output/stream`, { headers: t.admin.auth })).text();
    expect(late).toContain('event: result');
    expect(late).toContain('event: end');
  });

  it('finds past tasks by text in the command or the output', async () => {
    const task = await runTask(t, { action: { kind: 'shell', command: 'echo needle-in-output-42' }, targets: { host_ids: [agent.hostId] } });
    await finishedHosts(t, task.id);
    const byOutput = await t.call('GET', '/api/v1/tasks?q=needle-in-output', { headers: t.admin.auth });
    expect(byOutput.body.data.map((x: any) => x.id)).toContain(task.id);
    const none = await t.call('GET', '/api/v1/tasks?q=nothing-like-this', { headers: t.admin.auth });
    expect(none.body.data).toEqual([]);
  });

  it('refuses bad input with a clear error and changes nothing', async () => {
    const unknown = await t.call('POST', '/api/v1/tasks', {
      headers: t.admin.auth,
      body: { action: { kind: 'shell', command: 'true' }, targets: { host_ids: ['00000000-0000-4000-8000-000000000000'] } },
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error?.code).toBe('HOST_NOT_FOUND');
    const groups = await t.call('POST', '/api/v1/tasks', {
      headers: t.admin.auth,
      body: { action: { kind: 'shell', command: 'true' }, targets: { groups: ['prod'] } },
    });
    expect(groups.status).toBe(400);
    expect(groups.body.error?.message).toMatch(/host group ids/);
    const emptyGroup = await t.call('POST', '/api/v1/tasks', {
      headers: t.admin.auth,
      body: { action: { kind: 'shell', command: 'true' }, targets: { groups: ['00000000-0000-4000-8000-000000000000'] } },
    });
    expect(emptyGroup.body.error?.code).toBe('TARGETS_EMPTY');
    const selector = await t.call('POST', '/api/v1/tasks', {
      headers: t.admin.auth,
      body: { action: { kind: 'shell', command: 'true' }, targets: { selector: 'os=linux' } },
    });
    expect(selector.body.error?.code).toBe('TARGETS_UNSUPPORTED');
    const batch = await t.call('POST', '/api/v1/tasks', {
      headers: t.admin.auth,
      body: { action: { kind: 'shell', command: 'true' }, targets: { host_ids: [agent.hostId] }, batch_size: '200%' },
    });
    expect(batch.status).toBe(400);
    const viewer = await t.userSession('viewer');
    const denied = await t.call('POST', '/api/v1/tasks', {
      headers: viewer.auth,
      body: { action: { kind: 'shell', command: 'true' }, targets: { host_ids: [agent.hostId] } },
    });
    expect(denied.status).toBe(403);
  });
});
