/**
 * Child process for crash-restart.test.ts: writes metric batches to the store as fast as it can and prints
 * `ack <batch> <points>` after each write resolves (the moment the pipeline would acknowledge the agent),
 * until it is killed. Never closes the store: the test kills it with SIGKILL.
 */
import { openDb } from '../../server/store/db.js';
import { PostgresMetricStore } from '../../server/store/postgres/chunk-store.js';
import { parseTiers } from '../../server/store/series/tiers.js';

const [url, writer, hostId, startText] = process.argv.slice(2);
const db = await openDb({ databaseUrl: url });
const store = await PostgresMetricStore.open(db, {
  tiers: parseTiers('raw:2d,1m:30d,1h:3y'),
  writer,
  // Checkpoints run now and then so that a kill can land before, during or after one.
  checkpointMs: 150,
  checkpointPoints: 2_000,
  maxSeriesPerHost: 100,
});
const start = Number(startText);
for (let batch = 1; ; batch++) {
  const points = [];
  // 10 points a batch for each of two series, every point 1 s apart: value = its index, so gaps show.
  for (let k = 0; k < 10; k++) {
    const i = (batch - 1) * 10 + k;
    points.push({ name: 'crash.seq', t: start + i * 1000, v: i }, { name: 'crash.twice', t: start + i * 1000, v: 2 * i });
  }
  await store.write([{ agentId: hostId, hostId, batch, points }]);
  process.stdout.write(`ack ${batch} ${points.length}\n`);
}
