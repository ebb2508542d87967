/**
 * Issue 16 #2 end to end: a template item `negate /bin/sh -c 'touch …'` pushed to real agent
 * processes (agent/main.ts, Debian's plugins). An agent started as installed does not run it and the
 * server records why (`inv.refused{reason}`, `inv.status` 3); an agent whose owner allow-listed
 * negate runs it even under --refuse-remote-exec, which then refuses every other plugin.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEnrollmentToken } from '../../server/auth/enrollment.js';
import { PROJECT_ROOT } from '../../server/paths.js';
import { startApiServer, type ApiServer } from '../api/api-client.js';
import { until } from '../support/until.js';

/** Polls `probe` until it gives something. */
const found = async <T>(what: string, probe: () => Promise<T | undefined>): Promise<T> => {
  let v: T | undefined;
  await until(what, async () => (v = await probe()) !== undefined);
  return v!;
};

describe('wrapper plugins through real agents', () => {
  let t: ApiServer;
  const dir = mkdtempSync(join(tmpdir(), 'aw-wrapper-e2e-'));
  const agents: ChildProcess[] = [];
  beforeAll(async () => {
    t = await startApiServer();
  });
  afterAll(async () => {
    for (const a of agents) a.kill('SIGKILL');
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A real agent process with these extra flags and a template of these items linked to its host. */
  const agentWith = async (name: string, flags: string[], items: object[]) => {
    const token = await createEnrollmentToken(t.server.deps.db, { createdBy: 'test', autoApprove: true });
    agents.push(
      spawn(
        process.execPath,
        [
          '--import',
          'tsx',
          'agent/main.ts',
          '--server',
          t.ws,
          '--token',
          token.token,
          '--state-dir',
          join(dir, name),
          '--interval',
          '5',
          '--hostname',
          name,
          '--plugin-dir',
          '/usr/lib/nagios/plugins',
          '--log-level',
          'error',
          ...flags,
        ],
        {
          cwd: PROJECT_ROOT,
          stdio: ['ignore', 'ignore', 'inherit'],
        },
      ),
    );
    const row = await found(
      'agent enrolled',
      async () =>
        (
          await t.server.deps.db.query<{ id: string; host_id: string }>('SELECT id::text AS id, host_id::text AS host_id FROM agents WHERE hostname = $1', [
            name,
          ])
        ).rows[0],
    );
    await until('agent connected', async () => t.server.deps.gateway.isOnline(row.id), 60_000);
    const tpl = await t.call('POST', '/api/v1/templates', { headers: t.admin.auth, body: { name, items, triggers: [] } });
    expect(tpl.status, JSON.stringify(tpl.body)).toBe(201);
    expect((await t.call('PUT', `/api/v1/templates/${tpl.body.data.id}/hosts/${row.host_id}`, { headers: t.admin.auth })).status).toBe(200);
    return row.host_id;
  };
  const series = async (hostId: string, name: string) =>
    (await t.call('GET', `/api/v1/hosts/${hostId}/metrics?name=${name}&from=-5m`, { headers: t.admin.auth })).body.data.series as Array<{
      labels?: Record<string, string>;
      points: Array<{ max: number }>;
    }>;
  const negate = (marker: string) => ({
    key: 'inv',
    type: 'plugin',
    command: 'negate',
    args: ['/bin/sh', '-c', `touch ${marker}`],
    interval_s: 1,
    timeout_s: 1,
  });

  it('as installed, the agent refuses negate and the server records the reason; allow-listed, it runs', async () => {
    const refusedMarker = join(dir, 'default-ran');
    const allowedMarker = join(dir, 'allowed-ran');
    const plain = await agentWith('wrap-default', [], [negate(refusedMarker)]);
    const owner = await agentWith(
      'wrap-allowed',
      ['--refuse-remote-exec', '--allow-plugin', 'negate'],
      [negate(allowedMarker), { key: 'dummy', type: 'plugin', command: 'check_dummy', args: ['0', 'fine'], interval_s: 1, timeout_s: 1 }],
    );

    const refused = await found('inv.refused on the server', async () => (await series(plain, 'inv.refused'))[0]);
    expect(refused.labels).toMatchObject({ reason: 'wrapper_plugin' });
    expect((await series(plain, 'inv.status'))[0].points.every((p) => p.max === 3)).toBe(true);
    expect(existsSync(refusedMarker)).toBe(false);

    await until('allow-listed negate ran', async () => existsSync(allowedMarker));
    const dummy = await found('dummy.refused on the server', async () => (await series(owner, 'dummy.refused'))[0]);
    expect(dummy.labels).toMatchObject({ reason: 'remote_exec_refused' });
    expect(await series(owner, 'inv.refused')).toEqual([]);
  }, 120_000);
});
