/**
 * A Postgres connection reset while a transaction holds its connection between two queries (no query
 * in flight): the transaction fails with the error, the process does not (pg-pool takes its error
 * listener off a lent client; without one of ours the reset was an uncaught exception, seen in the
 * Postgres outage test), and the pool serves the next query on a new connection. Real Postgres through
 * a TCP relay the test cuts.
 */
import { afterAll, expect, it } from 'vitest';
import { openDb, type Db } from '../../server/store/db.js';
import { needs } from '../support/requires.js';
import { openTestDb, type TestDb } from '../support/test-db.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';

needs('postgres').describe('a connection reset inside a transaction', () => {
  let testDb: TestDb | undefined;
  let proxy: TcpProxy | undefined;
  let db: Db | undefined;
  afterAll(async () => {
    await db?.close();
    await proxy?.close();
    await testDb?.close();
  });

  it('fails the transaction, not the process; the next query gets a new connection', async () => {
    testDb = await openTestDb({ migrate: false });
    const direct = new URL(testDb.url!);
    proxy = await startTcpProxy({ host: direct.hostname, port: Number(direct.port || 5432) });
    const relayed = new URL(direct);
    relayed.port = String(proxy.port);
    db = await openDb({ databaseUrl: relayed.toString() });

    const uncaught: unknown[] = [];
    const onUncaught = (err: unknown) => uncaught.push(err);
    process.prependListener('uncaughtException', onUncaught);
    try {
      const outcome = db.tx(async (q) => {
        await q.query('SELECT 1');
        // Between queries: the reset reaches an idle, lent connection.
        await proxy!.cut();
        await new Promise((r) => setTimeout(r, 300));
        await q.query('SELECT 2');
      });
      await expect(outcome).rejects.toThrow();
      expect(uncaught).toEqual([]);
    } finally {
      process.removeListener('uncaughtException', onUncaught);
    }

    await proxy.restore();
    expect((await db.query<{ n: number }>('SELECT 3 AS n')).rows).toEqual([{ n: 3 }]);
  }, 30_000);
});
