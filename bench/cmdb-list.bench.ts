/**
 * CMDB list benchmark: imports N assets (10,000 unless CMDB_BENCH_ASSETS says) through the real CSV
 * import, gives each 16 components (2 CPUs, 8 DIMMs, 4 disks, 2 NICs with IPs), then measures the
 * list route over HTTP on a real server: filtered, searched, sorted and cursor-paged queries, p50/p99.
 * PGlite unless DATABASE_URL names a Postgres server (a database of its own, dropped at the end).
 *   npm run bench:cmdb
 */
import { Bench } from 'tinybench';
import { importAssetsCsv } from '../server/cmdb/asset-import.js';
import { ASSET_ORDER, refreshSearchText } from '../server/cmdb/assets.js';
import { pageOf } from '../server/keyset.js';
import { SessionStore } from '../server/auth/sessions.js';
import { UserDirectory } from '../server/auth/users.js';
import { startBenchServer } from './bench-server.js';

const N = Number(process.env.CMDB_BENCH_ASSETS ?? 10_000);
const TARGET_P99_MS = 50;

// As in production: answers are not re-validated against their schemas (tests turn that on).
const t = await startBenchServer({}, { validateResponses: false });
const db = t.db;
const admin = await new UserDirectory(db).create({ username: 'bench', role: 'admin', createdBy: 'bench' });
const auth = { authorization: `Bearer ${(await new SessionStore(db).create(admin.id, 3600)).token}` };
const cmdb = t.server.deps.cmdb!;

const TYPES = ['server', 'server', 'server', 'vm', 'vm', 'network', 'storage', 'security'];
const STATES = ['online', 'online', 'online', 'in_stock', 'procured'];
const TAGS = ['k8s', 'db', 'web', 'cache', 'batch', 'edge', 'canary', 'gpu'];
const BUS = ['payments', 'search', 'ads', 'infra', 'games'];
const lines = ['type,name,state,vendor,model,serial,idc,rack,rack_unit,owner,business_unit,tags,purchase_date,warranty_until,memory_bytes'];
for (let i = 0; i < N; i++) {
  const idc = `idc-${i % 10}`;
  lines.push(
    [
      TYPES[i % TYPES.length],
      `node-${String(i).padStart(5, '0')}`,
      STATES[i % STATES.length],
      i % 2 ? 'Dell' : 'Supermicro',
      `M${i % 7}`,
      `SN${(i * 7919).toString(36).toUpperCase()}${i}`,
      idc,
      `${idc}-R${i % 40}`,
      String(i % 42),
      `owner${i % 50}`,
      BUS[i % BUS.length],
      [TAGS[i % 8], TAGS[(i * 3) % 8]].join(';'),
      `202${i % 5}-0${1 + (i % 9)}-1${i % 9}`,
      `202${6 + (i % 4)}-12-31`,
      String(2 ** (34 + (i % 4))),
    ].join(','),
  );
}

let t0 = performance.now();
const imported = await importAssetsCsv(db, cmdb.assets, cmdb.types, lines.join('\n'), { kind: 'system', id: 'bench', source: 'import' });
const importMs = performance.now() - t0;

// Components in bulk: the import path has no components, and a report per asset would time the intake instead.
t0 = performance.now();
await db.query(`
  INSERT INTO asset_components (id, asset_id, kind, slot, attrs, source)
  SELECT gen_random_uuid(), a.id, k.kind, k.kind || s,
    CASE k.kind
      WHEN 'cpu' THEN jsonb_build_object('model', 'Xeon Gold 6248R', 'cores', 24, 'threads', 48, 'mhz', 3000)
      WHEN 'memory' THEN jsonb_build_object('size_bytes', 34359738368, 'type', 'DDR4', 'speed_mts', 2933, 'serial', md5(a.id::text || s))
      WHEN 'disk' THEN jsonb_build_object('model', 'SAMSUNG MZ7LH960', 'serial', md5(a.id::text || 'd' || s), 'size_bytes', 960197124096, 'type', 'ssd')
      ELSE jsonb_build_object(
        'mac', regexp_replace(substr(md5(a.id::text || 'n' || s), 1, 12), '(..)(?!$)', '\\1:', 'g'),
        'ips', jsonb_build_array('10.' || get_byte(decode(md5(a.id::text), 'hex'), 0) || '.' || get_byte(decode(md5(a.id::text), 'hex'), 1) || '.' || (s + 1) || '/24'))
    END, 'agent'
  FROM assets a
  CROSS JOIN (VALUES ('cpu', 2), ('memory', 8), ('disk', 4), ('nic', 2)) AS k(kind, n)
  CROSS JOIN LATERAL generate_series(0, k.n - 1) AS s`);
await refreshSearchText(db, imported.ids);
await db.query('ANALYZE');
const componentsMs = performance.now() - t0;
const counts = (
  await db.query<{ assets: number; components: number; changes: number }>(
    `SELECT (SELECT count(*)::int FROM assets) AS assets, (SELECT count(*)::int FROM asset_components) AS components, (SELECT count(*)::int FROM asset_changes) AS changes`,
  )
).rows[0];

const get = async (path: string) => {
  const res = await fetch(t.http + path, { headers: auth });
  const body = (await res.json()) as any;
  if (res.status !== 200) throw new Error(`${path}: ${res.status} ${JSON.stringify(body.error)}`);
  return body;
};
// A page deep into a filtered listing: follow the cursor four pages first.
let deep = '/api/v1/assets?type=server&limit=50';
for (let i = 0; i < 4; i++) deep = `/api/v1/assets?type=server&limit=50&cursor=${(await get(deep)).meta.next_cursor}`;
const someIp = (await db.query<{ ip: string }>(`SELECT attrs->'ips'->>0 AS ip FROM asset_components WHERE kind = 'nic' LIMIT 1 OFFSET 777`)).rows[0].ip.split(
  '/',
)[0];

const queries: Record<string, string> = {
  'type + idc, 50 a page': '/api/v1/assets?type=server&idc=idc-3&limit=50',
  'state + tag, by -updated_at, 100': '/api/v1/assets?state=online&tag=k8s&sort=-updated_at&limit=100',
  'business_unit + vendor, by name': '/api/v1/assets?business_unit=payments&vendor=Dell&sort=name&limit=100',
  '5th page by cursor (type=server)': deep,
  'search q=<serial part>': '/api/v1/assets?q=node-0424&limit=50',
  [`search q=<IP ${someIp}>`]: `/api/v1/assets?q=${someIp}&limit=50`,
};
const bench = new Bench({ time: 3000, warmupTime: 300 });
for (const [name, path] of Object.entries(queries)) {
  const first = await get(path);
  bench.add(`${name} (${first.data.length} rows of ${first.meta.total})`, async () => {
    await get(path);
  });
}
// What the figures above contain besides the list itself: HTTP, session check, envelope.
bench.add('baseline: GET /api/v1/asset-types (HTTP + auth, no list)', async () => {
  await get('/api/v1/asset-types');
});

bench.add('store only, no HTTP: type + idc, 50 a page', async () => {
  await cmdb.assets.list(pageOf(ASSET_ORDER, { limit: 50, sort: 'tag' }), { type: 'server', idc: 'idc-3' });
});
await bench.run();

console.log(`\n${db.kind}: ${counts.assets} assets, ${counts.components} components, ${counts.changes} change records`);
console.log(
  `CSV import of ${N} assets: ${(importMs / 1000).toFixed(1)} s (${Math.round(N / (importMs / 1000))} assets/s); components + search index: ${(componentsMs / 1000).toFixed(1)} s\n`,
);
let worst = 0;
console.table(
  bench.tasks.map((task) => {
    const r = task.result as any;
    const p50 = r?.latency?.p50 ?? r?.p50;
    const p99 = r?.latency?.p99 ?? r?.p99;
    if (!/^(baseline|store)/.test(task.name)) worst = Math.max(worst, p99);
    return { 'GET /api/v1/assets': task.name, samples: r?.latency?.samplesCount, 'p50 ms': +p50.toFixed(2), 'p99 ms': +p99.toFixed(2) };
  }),
);
console.log(
  `worst list-route p99 ${worst.toFixed(1)} ms (load average ${(await import('node:os')).loadavg()[0].toFixed(1)}): target < ${TARGET_P99_MS} ms ${worst < TARGET_P99_MS ? 'met' : 'NOT met'}`,
);
await t.close();
