/** A real server on a random loopback port with a test database, and real enrolled agents. */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import nacl from 'tweetnacl';
import { startServer, type RunningServer, type StartOptions } from '../../server/app.js';
import { loadConfig } from '../../server/config.js';
import { createEnrollmentToken } from '../../server/auth/enrollment.js';
import { openSealedSecret } from '../../protocol/enrollment.js';
import { createLogger } from '../../server/log.js';
import type { Queryable } from '../../server/store/db.js';
import { openTestDb, type TestDb } from './test-db.js';

export interface TestServer {
  server: RunningServer;
  testDb: TestDb;
  /** The server's DATA_DIR (a fresh temporary folder, removed at close). */
  dataDir: string;
  http: string;
  ws: string;
  close(): Promise<void>;
}

/**
 * A port free right now. Servers get a concrete port rather than 0: a port the kernel picked for a
 * SO_REUSEPORT socket cannot be bound again by a restarted server, which restart tests need.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

export async function startTestServer(env: Record<string, string> = {}, opts: StartOptions = {}): Promise<TestServer> {
  const testDb = await openTestDb();
  const dataDir = mkdtempSync(join(tmpdir(), 'aw-test-'));
  // A cluster name of its own: test servers sharing the test Redis must not see each other as nodes.
  const config = loadConfig({
    PORT: String(await freePort()),
    DATA_DIR: dataDir,
    LOG_LEVEL: 'silent',
    AW_CLUSTER: `t${randomBytes(5).toString('hex')}`,
    ...env,
  });
  // AW_TEST_LOG=debug shows the server's log while a test runs.
  const server = await startServer(config, {
    db: testDb.db,
    log: createLogger(env.LOG_LEVEL ?? process.env.AW_TEST_LOG ?? 'silent'),
    validateResponses: true,
    ...opts,
  });
  return {
    server,
    testDb,
    dataDir,
    http: `http://127.0.0.1:${server.port}`,
    ws: `ws://127.0.0.1:${server.port}/agent`,
    close: async () => {
      await server.stop();
      await testDb.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface EnrolledAgent {
  agentId: string;
  hostId: string;
  secret: Buffer;
  state: 'pending' | 'active';
}

/**
 * `count` active agents, each with its host, written straight into the database (their secret is no key
 * anyone holds: they never connect): a fleet for the monitor's timer and sweeps. Hostnames are
 * `${prefix}N`; `lastSeen` is an SQL expression.
 */
export async function insertActiveAgents(db: Queryable, count: number, prefix: string, lastSeen: string): Promise<void> {
  await db.query(
    `WITH h AS (
       INSERT INTO hosts (id, hostname) SELECT gen_random_uuid(), $2 || i FROM generate_series(1, $1::int) i RETURNING id, hostname)
     INSERT INTO agents (id, host_id, secret, state, hostname, agent_version, os, last_seen_at)
     SELECT gen_random_uuid(), h.id, '\\x00'::bytea, 'active', h.hostname, '0.1.0', 'Linux', ${lastSeen} FROM h`,
    [count, prefix],
  );
}

/** Enrolls through the real HTTP route, opening the sealed key as the agent does. */
export async function enrollAgent(t: TestServer, hostname = 'test-host'): Promise<EnrolledAgent> {
  const token = await createEnrollmentToken(t.server.deps.db, { createdBy: 'test' });
  const box = nacl.box.keyPair();
  const res = await fetch(`${t.http}/api/v1/agents/enroll`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token: token.token, public_key: Buffer.from(box.publicKey).toString('base64'), hostname }),
  });
  const body = (await res.json()) as any;
  if (res.status !== 201) throw new Error(`enroll failed: ${res.status} ${JSON.stringify(body)}`);
  const d = body.data;
  const secret = openSealedSecret(
    {
      agentId: d.agent_id,
      hostId: d.host_id,
      state: d.state,
      serverBoxPublicKey: d.server_box_public_key,
      nonce: d.nonce,
      sealedSecret: d.sealed_secret,
      serverSignPublicKey: d.server_sign_public_key,
    },
    box.secretKey,
  );
  return { agentId: d.agent_id, hostId: d.host_id, secret: Buffer.from(secret), state: d.state };
}
