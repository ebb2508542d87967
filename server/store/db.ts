/**
 * The relational store: a real Postgres server when DATABASE_URL is set, the embedded PGlite
 * (Postgres compiled to WASM) in the data folder otherwise. Callers see one interface and one
 * set of type conversions, so no module knows which one it talks to.
 */
import { mkdirSync } from 'node:fs';
import pg from 'pg';
import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';

export interface QueryResult<T> {
  rows: T[];
  rowCount: number;
}

export interface Queryable {
  query<T = Record<string, any>>(sql: string, params?: unknown[]): Promise<QueryResult<T>>;
}

export interface Transaction extends Queryable {
  /** Run several statements with no parameters (migrations). */
  exec(sql: string): Promise<void>;
}

/**
 * A caller's step that a store runs inside its own transaction, after its write, given what it wrote:
 * it commits or rolls back with the write. It writes through its own table's owner (an edit's link
 * to the change request it was made under), so no store writes another's tables.
 */
export type TxStep<T> = (q: Queryable, done: T) => Promise<void>;

export interface Db extends Transaction {
  readonly kind: 'postgres' | 'pglite';
  /** Run fn in one transaction; it commits when fn resolves and rolls back when it throws. */
  tx<T>(fn: (q: Transaction) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

const INT8 = 20;
const NUMERIC = 1700;

// bigint ids and counts stay below 2^53 here; numbers are what every caller expects.
pg.types.setTypeParser(INT8, (v) => Number(v));

class PostgresDb implements Db {
  readonly kind = 'postgres' as const;
  constructor(private readonly pool: pg.Pool) {}

  async query<T>(sql: string, params?: unknown[]): Promise<QueryResult<T>> {
    const r = await this.pool.query(sql, params as any[]);
    return { rows: r.rows as T[], rowCount: r.rowCount ?? 0 };
  }

  async tx<T>(fn: (q: Transaction) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    // pg-pool takes its error listener off a client it lends: a connection reset between this
    // transaction's queries would be an uncaught exception (seen in the Postgres outage test). Kept
    // here instead, the next query fails, and the client is destroyed on release, not reused.
    let broken: Error | undefined;
    const onError = (err: Error) => (broken = err);
    client.on('error', onError);
    try {
      await client.query('BEGIN');
      const q: Transaction = {
        query: async <R>(sql: string, params?: unknown[]) => {
          const r = await client.query(sql, params as any[]);
          return { rows: r.rows as R[], rowCount: r.rowCount ?? 0 };
        },
        exec: async (sql: string) => {
          await client.query(sql);
        },
      };
      const out = await fn(q);
      await client.query('COMMIT');
      return out;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.removeListener('error', onError);
      client.release(broken);
    }
  }

  async exec(sql: string): Promise<void> {
    await this.pool.query(sql);
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

class EmbeddedDb implements Db {
  readonly kind = 'pglite' as const;
  constructor(private readonly pg: PGlite) {}

  async query<T>(sql: string, params?: unknown[]): Promise<QueryResult<T>> {
    const r = await this.pg.query<T>(sql, params as any[]);
    return { rows: r.rows, rowCount: r.affectedRows ?? r.rows.length };
  }

  async tx<T>(fn: (q: Transaction) => Promise<T>): Promise<T> {
    return this.pg.transaction(async (t) =>
      fn({
        query: async <R>(sql: string, params?: unknown[]) => {
          const r = await t.query<R>(sql, params as any[]);
          return { rows: r.rows, rowCount: r.affectedRows ?? r.rows.length };
        },
        exec: async (sql: string) => {
          await t.exec(sql);
        },
      }),
    );
  }

  async exec(sql: string): Promise<void> {
    await this.pg.exec(sql);
  }

  async close(): Promise<void> {
    await this.pg.close();
  }
}

export interface DbOptions {
  databaseUrl?: string;
  /** Folder for PGlite; undefined means in memory. */
  dataDir?: string;
  poolSize?: number;
}

export async function openDb(opts: DbOptions): Promise<Db> {
  if (opts.databaseUrl) {
    // A server that stops answering is noticed within seconds rather than hanging callers.
    const pool = new pg.Pool({ connectionString: opts.databaseUrl, max: opts.poolSize ?? 10, connectionTimeoutMillis: 5000, keepAlive: true });
    // An idle client losing its server must not crash the process; the next query reports it.
    pool.on('error', () => undefined);
    await pool.query('SELECT 1');
    return new PostgresDb(pool);
  }
  if (opts.dataDir) mkdirSync(opts.dataDir, { recursive: true });
  const lite = await PGlite.create({
    ...(opts.dataDir ? { dataDir: opts.dataDir } : {}),
    parsers: { [INT8]: (v: string) => Number(v), [NUMERIC]: (v: string) => v },
    // Trigram indexes for substring search (schema/032); the server has it as a contrib extension.
    extensions: { pg_trgm },
  });
  return new EmbeddedDb(lite);
}
