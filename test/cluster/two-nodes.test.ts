/**
 * Two server nodes sharing Postgres and Redis, behind a failover TCP balancer (test/support/tcp-proxy):
 * agents land on node A (a child process); calls made on node B (in this process) reach them through
 * Redis; a task's live output from an agent on A reaches a watcher on B; B's overview ranks the busiest
 * hosts and graphs the ingest rate of both nodes; killing node A (SIGKILL, no goodbye) moves its agents
 * to node B within 30 s. Needs both a
 * Postgres server (DATABASE_URL; the embedded PGlite cannot be shared by two processes) and Redis.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pino } from 'pino';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { AgentLink } from '../../agent/link.js';
import { AgentRuntime } from '../../agent/runtime.js';
import { Spool } from '../../agent/spool.js';
import { SeenOrders } from '../../agent/tasks/seen-orders.js';
import { TaskAgent } from '../../agent/tasks/task-agent.js';
import { readSse } from '../../dashboard/src/sse.js';
import { startServers, type ServerFleet } from '../../bench/agents/servers.js';
import { startServer, type RunningServer } from '../../server/app.js';
import { SessionStore } from '../../server/auth/sessions.js';
import { UserDirectory } from '../../server/auth/users.js';
import { loadConfig } from '../../server/config.js';
import { createLogger } from '../../server/log.js';
import { CloseCode } from '../../protocol/close-codes.js';
import { MessageType } from '../../protocol/messages.js';
import { RELAXED } from '../api/api-client.js';
import { needs } from '../support/requires.js';
import { enrollAgent, freePort, type EnrolledAgent, type TestServer } from '../support/server.js';
import { openTestDb, type TestDb } from '../support/test-db.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';
import { until } from '../support/until.js';

const REPO_ROOT = resolve(import.meta.dirname, '../..');
const log = pino({ level: process.env.AW_TEST_LOG ?? 'silent' });

needs('postgres', 'redis').describe('two server nodes over Redis', () => {
  const cluster = `t${randomBytes(5).toString('hex')}`;
  const dataDirs: string[] = [];
  const runtimes: AgentRuntime[] = [];
  const links: AgentLink[] = [];
  let testDb: TestDb;
  let nodeA: ServerFleet;
  let nodeB: RunningServer;
  let balancer: TcpProxy;
  let redis: Redis;
  let auth: Record<string, string>;
  let b: TestServer;
  let agents: EnrolledAgent[];
  const fatal = new Map<string, number>();
  const metricsStored = new Set<string>();

  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(b.http + path, {
      method,
      headers: body === undefined ? auth : { ...auth, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as any };
  };
  const nodeIdOfA = async () =>
    ((await api('GET', '/api/v1/cluster/nodes')).body.data as Array<{ id: string; pid: number }>).find((n) => n.pid === nodeA.pids[0])?.id;
  const holder = (agentId: string) => redis.get(`aw:${cluster}:agent:${agentId}`);
  const tmp = () => {
    const d = mkdtempSync(join(tmpdir(), 'aw-cluster-test-'));
    dataDirs.push(d);
    return d;
  };

  beforeAll(async () => {
    testDb = await openTestDb();
    redis = new Redis(process.env.REDIS_URL!);
    const [portA, portB] = [await freePort(), await freePort()];
    const env = {
      ...RELAXED,
      HOST: '127.0.0.1',
      DATABASE_URL: testDb.url!,
      REDIS_URL: process.env.REDIS_URL!,
      AW_CLUSTER: cluster,
      AW_AGENT_INTERVAL_S: '1',
      AW_METRICS_CHECKPOINT_S: '1',
    };
    nodeA = await startServers({
      count: 1,
      port: portA,
      env: { ...process.env, ...env, DATA_DIR: tmp(), LOG_LEVEL: 'warn' },
      runDir: tmp(),
      repoRoot: REPO_ROOT,
    });
    nodeB = await startServer(loadConfig({ ...env, PORT: String(portB), DATA_DIR: tmp() }), {
      db: testDb.db,
      log: createLogger(process.env.AW_TEST_LOG ?? 'silent'),
    });
    b = { server: nodeB, testDb, dataDir: '', http: `http://127.0.0.1:${portB}`, ws: '', close: async () => {} };
    // The balancer sends each new connection to A while A accepts, to B otherwise.
    balancer = await startTcpProxy([
      { host: '127.0.0.1', port: portA },
      { host: '127.0.0.1', port: portB },
    ]);
    const admin = await new UserDirectory(testDb.db).create({ username: 'root', role: 'admin', createdBy: 'test' });
    auth = { authorization: `Bearer ${(await new SessionStore(testDb.db).create(admin.id, 3600)).token}` };

    agents = [await enrollAgent(b, 'cluster-0'), await enrollAgent(b, 'cluster-1'), await enrollAgent(b, 'cluster-2')];
    const url = `ws://127.0.0.1:${balancer.port}/agent`;
    for (const a of agents.slice(0, 2)) {
      const runtime = new AgentRuntime({
        server: url,
        agentId: a.agentId,
        secret: a.secret,
        hello: { agentVersion: 'test', hostname: a.agentId },
        spool: new Spool({ memoryBatches: 1000, maxFileBytes: 1e6 }),
        log,
        intervalS: 1,
        backoff: { baseMs: 200, capMs: 2000 },
        collect: async (now) => [{ name: 'test.alive', t: now, v: 1 }],
      });
      runtime.on('fatal', (code) => fatal.set(a.agentId, code));
      runtime.start();
      runtimes.push(runtime);
    }
  }, 120_000);

  afterAll(async () => {
    await Promise.all(runtimes.map((r) => r.stop()));
    links.forEach((l) => l.close(1000, 'test done'));
    await nodeA?.stop();
    await nodeB?.stop();
    await balancer?.close();
    redis?.disconnect();
    await testDb?.close();
    dataDirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
  });

  it('answers for agents held by another node, and relays approvals, revocations and messages to them', async () => {
    const nodes = (await api('GET', '/api/v1/cluster/nodes')).body.data as Array<{ id: string; pid: number; self: boolean }>;
    const idA = nodes.find((n) => n.pid === nodeA.pids[0])?.id;
    const idB = nodes.find((n) => n.self)?.id;
    expect(idA).toBeTruthy();
    expect(idB).toBe(nodeB.deps.cluster.nodeId);
    await until('both agents held by node A', async () => (await holder(agents[0].agentId)) === idA && (await holder(agents[1].agentId)) === idA);
    expect(nodeB.deps.gateway.isOnline(agents[0].agentId)).toBe(false);

    // Node B reports them online although it holds neither.
    const listed = (await api('GET', '/api/v1/agents')).body.data as Array<{ id: string; online: boolean; state: string }>;
    expect(listed.filter((a) => a.id !== agents[2].agentId).map((a) => [a.online, a.state])).toEqual([
      [true, 'pending'],
      [true, 'pending'],
    ]);

    // Approved through B: the agent on A is told, starts sending, and its points are stored.
    expect((await api('POST', `/api/v1/agents/${agents[0].agentId}/approve`)).status).toBe(200);
    await until('metrics from the approved agent stored', async () => {
      const res = await api('GET', `/api/v1/hosts/${agents[0].hostId}/metrics?name=test.alive&from=${Date.now() - 60_000}`);
      return (res.body.data?.series?.[0]?.points?.length ?? 0) > 0;
    });
    metricsStored.add(agents[0].agentId);

    // Revoked through B: node A closes the agent with REVOKED, and it stops for good.
    expect((await api('POST', `/api/v1/agents/${agents[1].agentId}/revoke`)).status).toBe(200);
    await until('the revoked agent closed by node A', () => fatal.get(agents[1].agentId) === CloseCode.AGENT_REVOKED);

    // A message for an agent on A, sent by B (what a task or a config push does): relayed through Redis.
    const link = new AgentLink({
      url: `ws://127.0.0.1:${balancer.port}/agent`,
      credentials: { agentId: agents[2].agentId, secret: agents[2].secret },
      hello: { agentVersion: 'test', hostname: 'cluster-2' },
    });
    links.push(link);
    const configs: Array<{ intervalS: number }> = [];
    link.on('config', (c) => configs.push(c));
    await until('the bare agent held by node A', async () => configs.length > 0 && (await holder(agents[2].agentId)) === idA);
    expect(await nodeB.deps.cluster.sendToAgent(agents[2].agentId, MessageType.config, { intervalS: 7, heartbeatS: 30, state: 'pending' })).toBe('relayed');
    await until('the relayed message received', () => configs.some((c) => c.intervalS === 7), 10_000);
  }, 60_000);

  it("streams a task's live output from an agent on node A to a watcher on node B", async () => {
    const enrolled = await enrollAgent(b, 'cluster-tasks');
    const tasks = new TaskAgent({
      agentId: enrolled.agentId,
      serverPublicKey: nodeB.deps.identity.signPublicKey,
      policy: {},
      seen: new SeenOrders(join(tmp(), 'tasks-seen.json')),
      httpBase: `http://127.0.0.1:${balancer.port}`,
      log,
      outputFlushMs: 20,
    });
    const runtime = new AgentRuntime({
      server: `ws://127.0.0.1:${balancer.port}/agent`,
      agentId: enrolled.agentId,
      secret: enrolled.secret,
      hello: { agentVersion: 'test', hostname: 'cluster-tasks' },
      spool: new Spool({ memoryBatches: 100, maxFileBytes: 1e6 }),
      log,
      intervalS: 60,
      backoff: { baseMs: 200, capMs: 2000 },
      collect: async () => [],
      tasks,
    });
    runtime.start();
    runtimes.push(runtime);
    expect((await api('POST', `/api/v1/agents/${enrolled.agentId}/approve`)).status).toBe(200);
    const idA = await nodeIdOfA();
    await until('the task agent held by node A', async () => runtime.connected && (await holder(enrolled.agentId)) === idA);
    expect(nodeB.deps.gateway.isOnline(enrolled.agentId)).toBe(false);

    // Asked on B, run by the agent on A: lines over about 2 s.
    const made = await api('POST', '/api/v1/tasks', {
      action: { kind: 'shell', command: 'for i in 1 2 3 4 5; do echo line-$i; sleep 0.4; done' },
      targets: { host_ids: [enrolled.hostId] },
    });
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    const taskId = made.body.data.id as string;
    // Bounded, so a relay that drops events fails on what is missing rather than on the test's timeout.
    const stream = await fetch(`${b.http}/api/v1/tasks/${taskId}/output/stream`, { headers: auth, signal: AbortSignal.timeout(30_000) });
    expect(stream.status).toBe(200);
    const events: Array<{ event: string; data: any }> = [];
    // Where the task stood, read on B the moment B's watcher had the first chunk.
    let atFirstChunk: Promise<{ task: string; host: string }> | undefined;
    await readSse(stream, (e) => {
      events.push({ event: e.event, data: JSON.parse(e.data) });
      if (e.event === 'output' && !atFirstChunk) {
        atFirstChunk = Promise.all([api('GET', `/api/v1/tasks/${taskId}`), api('GET', `/api/v1/tasks/${taskId}/hosts`)]).then(([t, h]) => ({
          task: t.body.data.state,
          host: h.body.data[0].state,
        }));
      }
    }).catch((err) => {
      if (err.name !== 'TimeoutError') throw err;
    });
    const kinds = events.map((e) => e.event);
    expect(atFirstChunk, `no output event reached node B: ${JSON.stringify(kinds)}`).toBeDefined();
    // The first chunk came while the command still ran: nothing was finished yet.
    expect(await atFirstChunk).toEqual({ task: 'running', host: expect.stringMatching(/^(sent|running)$/) });
    expect(kinds.indexOf('output')).toBeLessThan(kinds.indexOf('result'));
    const outputs = events.filter((e) => e.event === 'output');
    expect(outputs.length).toBeGreaterThan(1);
    // Live chunks are not stored: one printed before the watcher was in place is in the result only.
    const all = 'line-1\nline-2\nline-3\nline-4\nline-5\n';
    const live = outputs.map((e) => e.data.data).join('');
    expect(all.endsWith(live) && live.includes('line-4\nline-5\n'), live).toBe(true);
    expect(events.find((e) => e.event === 'result')?.data).toMatchObject({ host_id: enrolled.hostId, state: 'ok', exit_code: 0, stdout: all });
    expect(events.at(-1)).toEqual({ event: 'end', data: { state: 'done' } });
  }, 60_000);

  it('answers the overview for both nodes: busiest hosts and the ingest rate of what node A took in', async () => {
    for (const name of ['busy-on-a', 'calm-on-b']) expect((await api('POST', '/api/v1/hosts', { hostname: name })).status).toBe(201);
    const write = (base: string, lines: string[]) =>
      fetch(`${base}/api/v1/write`, { method: 'POST', headers: { ...auth, 'content-type': 'text/plain' }, body: lines.join('\n') });
    // 600 points through node A in one go: at least 60 points/s over A's 10 s sample, which node B alone never takes in here.
    const onA = [`cpu,host=busy-on-a,cpu=total usage_pct=97`, ...Array.from({ length: 599 }, (_, i) => `burst,host=busy-on-a,n=${i} v=1`)];
    expect((await write(nodeA.http, onA)).status).toBe(204);
    expect((await write(b.http, ['cpu,host=calm-on-b,cpu=total usage_pct=12'])).status).toBe(204);
    let o: any;
    await until(
      "node B's overview to show node A's host and rate",
      async () => {
        o = (await api('GET', '/api/v1/overview')).body.data;
        return o.busiest.cpu.length === 2 && o.ingest.history.some((p: { points_per_s: number }) => p.points_per_s >= 60);
      },
      30_000,
    ).catch((err) => {
      throw new Error(`${err.message}: ${JSON.stringify({ busiest: o?.busiest.cpu, history: o?.ingest.history })}`);
    });
    expect(o.busiest.cpu.map((e: any) => `${e.hostname}:${e.value}`)).toEqual(['busy-on-a:97', 'calm-on-b:12']);
  }, 60_000);

  it("moves node A's agents to node B within 30 s when node A is killed", async () => {
    const moved = agents[0].agentId;
    expect(metricsStored.has(moved)).toBe(true);
    const killedAt = Date.now();
    process.kill(nodeA.pids[0], 'SIGKILL');
    await until('the agent held by node B', async () => nodeB.deps.gateway.isOnline(moved) && (await holder(moved)) === nodeB.deps.cluster.nodeId, 30_000);
    const movedInMs = Date.now() - killedAt;
    // It keeps sending through B.
    const since = Date.now();
    await until('new points through node B', async () => {
      const res = await api('GET', `/api/v1/hosts/${agents[0].hostId}/metrics?name=test.alive&from=${since}`);
      return (res.body.data?.series?.[0]?.points?.length ?? 0) > 0;
    });
    // Node A is gone from the registry once its entry expires; until then the agents it held are not
    // counted online on its word (the listing checks the holder is alive).
    const listed = (await api('GET', '/api/v1/agents')).body.data as Array<{ id: string; online: boolean }>;
    expect(listed.find((a) => a.id === moved)?.online).toBe(true);
    console.log(`cluster: agent moved from killed node A to node B in ${movedInMs} ms`);
  }, 60_000);
});
