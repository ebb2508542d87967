/**
 * Service management reports against a real server and Postgres, from known rows: MTTA and MTTR per
 * month and priority, incidents per service, changes by outcome, release success rate; JSON, and CSV
 * by Accept or ?format=csv.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServer } from '../api/api-client.js';

const RANGE = 'from=2024-03-01T00:00:00Z&to=2024-05-01T00:00:00Z';

describe('ITIL reports', () => {
  let t: ApiServer;
  const hosts: Record<string, string> = {};
  let checkout = '';
  const get = (report: string, query = RANGE, headers: Record<string, string> = {}) =>
    t.call('GET', `/api/v1/itil/reports/${report}?${query}`, { headers: { ...t.admin.auth, ...headers } });

  beforeAll(async () => {
    t = await startApiServer();
    const db = t.server.deps.db;
    for (const name of ['web1', 'web2', 'db1'])
      hosts[name] = (await t.call('POST', '/api/v1/hosts', { headers: t.admin.auth, body: { hostname: name } })).body.data.id;
    const svc = (name: string, ids: string[]) =>
      t.call('POST', '/api/v1/services', { headers: t.admin.auth, body: { name, host_ids: ids, check_keys: ['http'], sla_target: 99.5 } });
    checkout = (await svc('checkout', [hosts.web1, hosts.web2])).body.data.id;
    await svc('=database', [hosts.db1]);
    // [host, priority, opened, acknowledged after s, resolved after s]
    const incidents: Array<[string, string, string, number | null, number | null]> = [
      ['web1', 'P1', '2024-03-02T10:00:00Z', 600, 3600],
      ['web2', 'P1', '2024-03-20T10:00:00Z', 1200, 10800],
      ['web1', 'P3', '2024-03-21T10:00:00Z', null, null],
      ['db1', 'P2', '2024-04-05T10:00:00Z', 60, null],
      ['web1', 'P1', '2024-05-01T00:00:00Z', 1, 1], // outside the range
    ];
    for (const [host, priority, opened, ack, res] of incidents) {
      const o = Date.parse(opened);
      await db.query(
        `INSERT INTO monitor_incidents (id, title, host_id, severity, state, opened_at, acknowledged_at, resolved_at, priority) VALUES ($1, 'x', $2, 'high', $3, $4, $5, $6, $7)`,
        [
          randomUUID(),
          hosts[host],
          res ? 'resolved' : 'open',
          new Date(o),
          ack ? new Date(o + ack * 1000) : null,
          res ? new Date(o + res * 1000) : null,
          priority,
        ],
      );
    }
    const changes: Array<[string, string, string | null]> = [
      ['2024-03-03T00:00:00Z', 'reviewed', 'succeeded'],
      ['2024-03-04T00:00:00Z', 'reviewed', 'succeeded'],
      ['2024-03-05T00:00:00Z', 'reviewed', 'rolled_back'],
      ['2024-04-05T00:00:00Z', 'rejected', null],
    ];
    for (const [at, state, outcome] of changes) {
      await db.query(
        `INSERT INTO itil_changes (id, title, kinds, reason, risk, window_start, window_end, state, requested_by, requester, outcome, created_at)
         VALUES ($1, 'c', '{task}', 'why', 'low', $2, $2::timestamptz + interval '1 hour', $3, 'user:a', 'user:a', $4, $2)`,
        [randomUUID(), new Date(at), state, outcome],
      );
    }
    const release = randomUUID();
    await db.query(`INSERT INTO itil_releases (id, name, version, files, commands, health, created_by) VALUES ($1, 'app', '1', '[]', '[]', '{}', 'test')`, [
      release,
    ]);
    const rollout = async (at: string, state: string, kind = 'deploy', undoes: string | null = null) => {
      const id = randomUUID();
      await db.query(
        `INSERT INTO itil_release_rollouts (id, release_id, kind, undoes, host_ids, batch_size, state, created_at, created_by) VALUES ($1, $2, $3, $4, $5, 1, $6, $7, 'test')`,
        [id, release, kind, undoes, [hosts.web1], state, new Date(at)],
      );
      return id;
    };
    await rollout('2024-03-10T00:00:00Z', 'succeeded');
    await rollout('2024-03-11T00:00:00Z', 'succeeded');
    const stopped = await rollout('2024-03-12T00:00:00Z', 'stopped');
    await rollout('2024-03-12T01:00:00Z', 'succeeded', 'rollback', stopped);
    await rollout('2024-04-01T00:00:00Z', 'failed');
    await rollout('2024-04-02T00:00:00Z', 'running');
  });
  afterAll(() => t?.close());

  it('MTTA and MTTR per month and priority', async () => {
    const r = await get('mtta-mttr');
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.data).toEqual([
      { month: '2024-03', priority: 'P1', incidents: 2, acknowledged: 2, mtta_s: 900, resolved: 2, mttr_s: 7200 },
      { month: '2024-03', priority: 'P3', incidents: 1, acknowledged: 0, mtta_s: null, resolved: 0, mttr_s: null },
      { month: '2024-04', priority: 'P2', incidents: 1, acknowledged: 1, mtta_s: 60, resolved: 0, mttr_s: null },
    ]);
  });

  it('incidents per service, changes by outcome, release success rate', async () => {
    expect((await get('incidents-per-service')).body.data).toEqual([
      { service_id: expect.any(String), service: '=database', incidents: 1, p1: 0, p2: 1, p3: 0, p4: 0 },
      { service_id: checkout, service: 'checkout', incidents: 3, p1: 2, p2: 0, p3: 1, p4: 0 },
    ]);
    expect((await get('changes-by-outcome')).body.data).toEqual([
      { month: '2024-03', outcome: 'rolled_back', changes: 1 },
      { month: '2024-03', outcome: 'succeeded', changes: 2 },
      { month: '2024-04', outcome: 'rejected', changes: 1 },
    ]);
    expect((await get('release-success')).body.data).toEqual([
      { month: '2024-03', rollouts: 3, succeeded: 2, stopped: 1, failed: 0, rolled_back: 1, success_pct: (100 * 2) / 3 },
      { month: '2024-04', rollouts: 1, succeeded: 0, stopped: 0, failed: 1, rolled_back: 0, success_pct: 0 },
    ]);
  });

  it('answers CSV for Accept: text/csv or ?format=csv, defusing formula cells', async () => {
    const byAccept = await get('mtta-mttr', RANGE, { accept: 'text/csv' });
    expect(byAccept.status).toBe(200);
    expect(byAccept.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(byAccept.body.data).toBe(
      'month,priority,incidents,acknowledged,mtta_s,resolved,mttr_s\r\n2024-03,P1,2,2,900,2,7200\r\n2024-03,P3,1,0,,0,\r\n2024-04,P2,1,1,60,0,\r\n',
    );
    const byFormat = await get('incidents-per-service', `${RANGE}&format=csv`);
    expect(byFormat.body.data.split('\r\n')[1]).toMatch(/^[0-9a-f-]{36},'=database,1,0,1,0,0$/);
    const jsonWins = await get('changes-by-outcome', `${RANGE}&format=json`, { accept: 'text/csv' });
    expect(jsonWins.headers.get('content-type')).toMatch(/^application\/json/);
    const bad = await get('mtta-mttr', 'from=2024-05-01T00:00:00Z&to=2024-03-01T00:00:00Z', { accept: 'text/csv' });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ code: 'VALIDATION_FAILED', details: { field: 'query.to' } });
  });
});
