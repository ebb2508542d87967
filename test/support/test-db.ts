/**
 * A database of its own for each test suite: on the Postgres server named by DATABASE_URL a fresh
 * database aw_test_<random>, dropped at close; an in-memory PGlite otherwise. Migrated either way.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openDb, type Db } from '../../server/store/db.js';
import { migrate } from '../../server/store/migrate.js';

export interface TestDb {
  db: Db;
  /** Connection string of the test database (Postgres only). */
  url?: string;
  close(): Promise<void>;
}

export async function openTestDb(opts: { migrate?: boolean } = {}): Promise<TestDb> {
  const serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) {
    const db = await openDb({});
    if (opts.migrate !== false) await migrate(db);
    return { db, close: () => db.close() };
  }
  const name = `aw_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const db = await openDb({ databaseUrl: url.toString() });
  if (opts.migrate !== false) await migrate(db);
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
