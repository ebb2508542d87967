/**
 * Agents for a run. Two ways, both documented in bench/README.md:
 *   - the generator starts its own servers: a fresh database (Postgres aw_bench_<random>, or PGlite
 *     in the run folder), migrated, with N hosts and N active agents inserted directly, before any
 *     server starts (PGlite admits one process at a time). Fast, and the gateway path under test is
 *     the same: it looks each agent up on its first connection and caches it.
 *   - an existing server (--url): every agent enrolls through POST /api/v1/agents/enroll with a
 *     multi-use token and opens its sealed key, as the real agent does.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import { join } from 'node:path';
import nacl from 'tweetnacl';
import pg from 'pg';
import { openSealedSecret } from '../../protocol/enrollment.js';
import { openDb } from '../../server/store/db.js';
import { migrate } from '../../server/store/migrate.js';
import { pointsInWriteAheadRows } from '../../server/store/postgres/chunk-store.js';

export interface Credentials {
  agentId: string;
  hostId: string;
  secret: string;
  hostname: string;
}

export interface RunDatabase {
  /** DATABASE_URL for the servers; undefined for PGlite. */
  url: string | undefined;
  /** DATA_DIR for the servers. */
  dataDir: string;
  agents: Credentials[];
  drop(): Promise<void>;
}

const INSERT_CHUNK = 5000;
export const benchHostname = (i: number) => `bench-${String(i + 1).padStart(6, '0')}`;

/** A fresh, migrated database holding `count` active agents. */
export async function createRunDatabase(opts: { count: number; postgresUrl: string | undefined; runDir: string }): Promise<RunDatabase> {
  const dataDir = join(opts.runDir, 'data');
  let url: string | undefined;
  let drop = async () => {};
  if (opts.postgresUrl) {
    const name = `aw_bench_${randomBytes(6).toString('hex')}`;
    await adminQuery(opts.postgresUrl, `CREATE DATABASE ${name}`);
    const u = new URL(opts.postgresUrl);
    u.pathname = `/${name}`;
    url = u.toString();
    drop = () => adminQuery(opts.postgresUrl!, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  }
  try {
    // The server opens PGlite at DATA_DIR/pg (server/app.ts).
    const db = await openDb(url ? { databaseUrl: url } : { dataDir: join(dataDir, 'pg') });
    try {
      await migrate(db);
      const agents = Array.from({ length: opts.count }, (_, i) => ({
        agentId: randomUUID(),
        hostId: randomUUID(),
        secret: randomBytes(32).toString('hex'),
        hostname: benchHostname(i),
      }));
      const hostIds = agents.map((a) => a.hostId);
      for (let at = 0; at < agents.length; at += INSERT_CHUNK) {
        const part = agents.slice(at, at + INSERT_CHUNK);
        const hosts = hostIds.slice(at, at + INSERT_CHUNK);
        await db.tx(async (q) => {
          await q.query('INSERT INTO hosts (id, hostname) SELECT * FROM unnest($1::uuid[], $2::text[])', [hosts, part.map((a) => a.hostname)]);
          await q.query(
            `INSERT INTO agents (id, host_id, secret, state, hostname, agent_version, os, approved_at, approved_by)
             SELECT a, h, decode(s, 'hex'), 'active', n, 'bench-0.1.0', 'linux', now(), 'bench'
               FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[]) AS u(a, h, s, n)`,
            [part.map((a) => a.agentId), hosts, part.map((a) => a.secret), part.map((a) => a.hostname)],
          );
        });
      }
      return { url, dataDir, agents, drop };
    } finally {
      await db.close();
    }
  } catch (err) {
    await drop().catch(() => undefined);
    throw err;
  }
}

/**
 * Points stored by the run (servers stopped first: PGlite admits one process), counted in the raw
 * tier: the figure to compare with the points acknowledged.
 */
export async function countStoredPoints(run: RunDatabase): Promise<number> {
  const db = await openDb(run.url ? { databaseUrl: run.url } : { dataDir: join(run.dataDir, 'pg') });
  try {
    // Raw tier (0) chunk rows count their points; write-ahead rows (points acknowledged but not yet in
    // a chunk row: open chunk heads, replayed by the next start) are stored too.
    const { rows } = await db.query<{ n: string }>('SELECT coalesce(sum(n), 0)::text AS n FROM metric_chunks WHERE tier = 0');
    return Number(rows[0].n) + (await pointsInWriteAheadRows(db));
  } finally {
    await db.close();
  }
}

async function adminQuery(url: string, sql: string): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

// --- enrollment over HTTP (existing server) --------------------------------------------------

const ENROLL_CONCURRENCY = 32;
const ENROLL_ATTEMPTS = 20;

interface HttpAnswer {
  status: number;
  retryAfterS: number;
  body: any;
}

function post(base: string, path: string, body: unknown, localAddress: string, agent: http.Agent): Promise<HttpAnswer> {
  const data = Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = http.request(
      new URL(path, base),
      { method: 'POST', localAddress, agent, timeout: 30_000, headers: { 'content-type': 'application/json', 'content-length': data.length } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          let parsed: unknown = null;
          try {
            parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
          } catch {
            // an answer that is not JSON: the status says enough
          }
          resolve({ status: res.statusCode ?? 0, retryAfterS: Number(res.headers['retry-after'] ?? 1) || 1, body: parsed });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('enroll request timed out')));
    req.on('error', reject);
    req.end(data);
  });
}

/**
 * Enrolls `count` agents on a running server. Requests come from the agents' own source addresses,
 * which also spreads them over the server's per-address rate limit (answered 429 + Retry-After).
 */
export async function enrollOverHttp(opts: {
  http: string;
  token: string;
  count: number;
  sourceAddress: (i: number) => string;
  onProgress?: (done: number) => void;
}): Promise<Credentials[]> {
  const out = new Array<Credentials>(opts.count);
  const agents = new Map<string, http.Agent>();
  const agentFor = (addr: string) => agents.get(addr) ?? agents.set(addr, new http.Agent({ keepAlive: true, maxSockets: 8 })).get(addr)!;
  let next = 0;
  let done = 0;
  const one = async (i: number) => {
    const box = nacl.box.keyPair();
    const hostname = benchHostname(i);
    const addr = opts.sourceAddress(i);
    for (let attempt = 1; ; attempt++) {
      const res = await post(
        opts.http,
        '/api/v1/agents/enroll',
        {
          token: opts.token,
          public_key: Buffer.from(box.publicKey).toString('base64'),
          hostname,
          agent_version: 'bench-0.1.0',
          os: 'linux',
        },
        addr,
        agentFor(addr),
      );
      if (res.status === 201) {
        const d = res.body.data;
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
        out[i] = { agentId: d.agent_id, hostId: d.host_id, secret: Buffer.from(secret).toString('hex'), hostname };
        return;
      }
      if ((res.status !== 429 && res.status < 500) || attempt >= ENROLL_ATTEMPTS) {
        throw new Error(`enrolling agent ${i + 1} failed: HTTP ${res.status} ${JSON.stringify(res.body?.error ?? res.body)}`);
      }
      await new Promise((r) => setTimeout(r, Math.min(10, res.retryAfterS) * 1000 * (0.5 + Math.random())));
    }
  };
  const lane = async () => {
    while (next < opts.count) {
      await one(next++);
      if (++done % 1000 === 0) opts.onProgress?.(done);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(ENROLL_CONCURRENCY, opts.count) }, lane));
  } finally {
    for (const a of agents.values()) a.destroy();
  }
  return out;
}
