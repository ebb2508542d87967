/**
 * AutoWatch in the benchmark's own process: a database of its own and a server on it, rate limits
 * off, and hosts enrolled through the real route. Benchmarks keep this beside them rather than
 * borrowing the test harness: bench/ never imports test/.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import nacl from 'tweetnacl';
import pg from 'pg';
import { startServer, type RunningServer, type StartOptions } from '../server/app.js';
import { createEnrollmentToken } from '../server/auth/enrollment.js';
import { loadConfig } from '../server/config.js';
import { createLogger } from '../server/log.js';
import { openDb, type Db } from '../server/store/db.js';
import { freePort } from './agents/servers.js';

export interface BenchDatabase {
  db: Db;
  /** Its address, when it is on a Postgres server (another process can open it). */
  url?: string;
  /** Closes it, and drops it when it was made on a Postgres server. */
  close(): Promise<void>;
}

/** A fresh database aw_bench_<random> on the Postgres server at `serverUrl`, or an in-memory PGlite without one. */
export async function benchDatabase(serverUrl: string | undefined): Promise<BenchDatabase> {
  if (!serverUrl) {
    const db = await openDb({});
    return { db, close: () => db.close() };
  }
  const name = `aw_bench_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const db = await openDb({ databaseUrl: url.toString() });
  return {
    db,
    url: url.toString(),
    close: async () => {
      await db.close();
      const c = new pg.Client({ connectionString: serverUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

/** Settings every benchmark server runs with: no bootstrap admin, rate limits out of the way. */
export const BENCH_ENV = {
  AW_BOOTSTRAP_ADMIN: 'false',
  AW_RATE_ADDRESS_PER_S: '1000000',
  AW_RATE_ADDRESS_BURST: '1000000',
  AW_RATE_CALLER_PER_S: '1000000',
  AW_RATE_CALLER_BURST: '1000000',
};

export interface BenchServer {
  server: RunningServer;
  db: Db;
  http: string;
  /** Stops the server, drops its database and removes its DATA_DIR. */
  close(): Promise<void>;
}

/** A server on a port of its own, on a fresh database of DATABASE_URL's server (PGlite without one). */
export async function startBenchServer(env: Record<string, string> = {}, opts: StartOptions = {}): Promise<BenchServer> {
  const database = await benchDatabase(process.env.DATABASE_URL);
  const dataDir = mkdtempSync(join(tmpdir(), 'aw-bench-'));
  const config = loadConfig({ PORT: String(await freePort()), DATA_DIR: dataDir, LOG_LEVEL: 'warn', ...BENCH_ENV, ...env });
  const server = await startServer(config, { db: database.db, log: createLogger('warn'), ...opts });
  return {
    server,
    db: database.db,
    http: `http://127.0.0.1:${server.port}`,
    close: async () => {
      await server.stop();
      await database.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Enrolls one host through the real route; its host id. */
export async function enrollHost(db: Db, http: string, hostname: string): Promise<string> {
  const token = await createEnrollmentToken(db, { createdBy: 'bench' });
  const box = nacl.box.keyPair();
  const res = await fetch(`${http}/api/v1/agents/enroll`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token: token.token, public_key: Buffer.from(box.publicKey).toString('base64'), hostname }),
  });
  const body = (await res.json()) as { data: { host_id: string } };
  if (res.status !== 201) throw new Error(`enroll failed: ${res.status} ${JSON.stringify(body)}`);
  return body.data.host_id;
}
