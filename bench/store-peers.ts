/**
 * The metric stores side by side on one Telegraf-shaped data set (server/store/series/telegraf-set.ts):
 * the same line-protocol bodies go, block by block, to AutoWatch's POST /api/v1/write on Postgres, to
 * AutoWatch on QuestDB (when ../shared/questdb and Java are there) and to VictoriaMetrics' /write (Debian's
 * `victoria-metrics`, when installed), one store at a time. Printed per store: points/s acknowledged, ack
 * p50/p99 per request, bytes per point on disk at rest, and the p99 of a 30-day range query for one series.
 *
 * At rest means: AutoWatch stopped (every point folded into chunk rows) and `VACUUM FULL`, sizes of table
 * + indexes + TOAST; VictoriaMetrics flushed and merged, its data folder (and its index folder); QuestDB
 * with its WAL applied, its tables' folders. Every server runs on 127.0.0.1 on a free port with its data in
 * a temporary folder, and is stopped at the end (bounded waits, then SIGKILL).
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer, type RunningServer } from '../server/app.js';
import { loadConfig } from '../server/config.js';
import { createLogger } from '../server/log.js';
import { SessionStore } from '../server/auth/sessions.js';
import { UserDirectory } from '../server/auth/users.js';
import { SERIES_PER_HOST, telegrafSet, type TelegrafSet } from '../server/store/series/telegraf-set.js';
import { freePort, startServers, summariseLogs } from './agents/servers.js';
import { BENCH_ENV, benchDatabase, enrollHost } from './bench-server.js';

export interface PeerOptions {
  hosts: number;
  hours: number;
  /** Steps (10 s each) of one host in one request: 140 makes 980 lines, Telegraf's default batch of 1000 metrics. */
  stepsPerRequest: number;
  /** Requests in flight at once (Telegraf instances pushing together). */
  concurrency: number;
  /** Postgres server for AutoWatch (a fresh database there, dropped at the end); PGlite without. */
  databaseUrl?: string;
  stores: Array<'postgres' | 'questdb' | 'victoria'>;
}

interface Peer {
  name: string;
  /** Sends one body; resolves when the store acknowledged it. */
  send(body: string): Promise<void>;
  /** Makes every acknowledged point searchable (VictoriaMetrics buffers the newest for about a second). */
  ready?(): Promise<void>;
  /** One 30-day range query for one series. */
  query(): Promise<void>;
  /** Stops taking points and measures bytes on disk at rest. */
  atRest(): Promise<Sizes>;
  close(): Promise<void>;
}

interface Sizes {
  /** The points themselves: the raw tier, VictoriaMetrics' data, QuestDB's points table. */
  points: number;
  /** Everything the store keeps for them (rollups, series, index, batch ids). */
  everything: number;
  detail: string;
}

interface Figures {
  store: string;
  points: number;
  seconds: number;
  latencies: number[];
  queryMs: number[];
  sizes: Sizes;
}

const QUERY_RUNS = 50;
const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * A keep-alive socket the server closed just as a request went out fails with no answer (seen once in a
 * 21.6 M point run, which then died): sent again, at most twice. Should the lost request have been stored,
 * its raw points are kept once (same series and timestamps); only rollup counts could be off, which the
 * bench does not measure.
 */
async function resend(send: () => Promise<Response>): Promise<Response> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await send();
    } catch (err) {
      const socketClosed = (err as { cause?: { code?: string } }).cause?.code === 'UND_ERR_SOCKET';
      if (!socketClosed || attempt >= 3) throw err;
    }
  }
}

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
};

async function waitFor(what: string, probe: () => Promise<boolean>, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!(await probe().catch(() => false))) {
    if (Date.now() > end) throw new Error(`${what} did not answer within ${ms / 1000} s`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function stopProcess(child: ChildProcess, ms = 30_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), ms);
  await exited;
  clearTimeout(timer);
}

/** Bytes a folder takes on disk (blocks in use: QuestDB's column files are sparse, their apparent size is not what they take). */
const duBytes = (path: string) => (existsSync(path) ? Number(execFileSync('du', ['-s', '--block-size=1', path], { encoding: 'utf8' }).split('\t')[0]) : 0);
const perPoint = (bytes: number, points: number) => (bytes / points).toFixed(2);

/**
 * AutoWatch on its own database, with an API key holding metrics:write and one enrolled host per Telegraf
 * host. On a Postgres server it runs as deployed, `node dist/server/main.js` in a process of its own (as
 * VictoriaMetrics and QuestDB do), so the generator does not share its event loop; on PGlite, whose
 * database lives in the process that opens it, it runs in this one.
 */
async function autowatchPeer(name: string, set: TelegrafSet, env: Record<string, string>, databaseUrl: string | undefined, qdbDataDir?: string): Promise<Peer> {
  const database = await benchDatabase(databaseUrl);
  const db = database.db;
  const dataDir = mkdtempSync(join(tmpdir(), 'aw-bench-'));
  const settings = { DATA_DIR: dataDir, LOG_LEVEL: 'warn', ...BENCH_ENV, ...env };
  let http: string;
  let stopServer: () => Promise<void>;
  if (database.url) {
    const fleet = await startServers({
      count: 1,
      port: await freePort(),
      env: { ...process.env, ...settings, DATABASE_URL: database.url },
      runDir: dataDir,
      repoRoot: REPO_ROOT,
    });
    http = fleet.http;
    stopServer = async () => {
      await fleet.stop();
      const trouble = summariseLogs(fleet.logFiles).filter((e) => e.level !== 'warn');
      if (trouble.length) console.log(`${name}: its log holds ${JSON.stringify(trouble.slice(0, 3))}`);
    };
  } else {
    const server: RunningServer = await startServer(loadConfig({ PORT: String(await freePort()), ...settings }), { db, log: createLogger('warn') });
    http = `http://127.0.0.1:${server.port}`;
    stopServer = () => server.stop();
  }
  const user = await new UserDirectory(db).create({ username: 'bench', role: 'admin', createdBy: 'bench' });
  const session = await new SessionStore(db).create(user.id, 3600 * 24);
  const keyRes = await fetch(`${http}/api/v1/api-keys`, {
    method: 'POST',
    headers: { authorization: `Bearer ${session.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'bench', scopes: ['metrics:write', 'metrics:read'] }),
  });
  const key = ((await keyRes.json()) as any).data.bearer as string;
  const hostIds: string[] = [];
  for (const h of set.hostNames) hostIds.push(await enrollHost(db, http, h));
  const auth = { authorization: `Bearer ${key}` };
  let stopped = false;
  const stop = async () => {
    if (!stopped) await stopServer();
    stopped = true;
  };
  return {
    name,
    async send(body) {
      const res = await resend(() => fetch(`${http}/api/v1/write`, { method: 'POST', headers: { ...auth, 'content-type': 'text/plain' }, body }));
      if (res.status !== 204) throw new Error(`${name}: /api/v1/write answered ${res.status}: ${await res.text()}`);
    },
    async query() {
      const labels = encodeURIComponent('{"cpu":"cpu-total"}');
      const res = await fetch(`${http}/api/v1/series/query?host=${hostIds[0]}&metric=cpu.usage_idle&labels=${labels}&from=-30d&max_points=1000`, {
        headers: auth,
      });
      const body = (await res.json()) as any;
      if (res.status !== 200 || !body.data.series[0]?.points.length)
        throw new Error(`${name}: query answered ${res.status} ${JSON.stringify(body).slice(0, 200)}`);
    },
    async atRest() {
      await stop();
      if (env.METRICS_STORE === 'questdb') {
        // The adapter's tables: aw_points (raw), its views and the series list, with the WAL applied.
        await waitFor(
          'QuestDB WAL apply',
          async () => {
            const r = await fetch(`${env.QUESTDB_URL}/exec?query=${encodeURIComponent('select sum(sequencerTxn - writerTxn) from wal_tables()')}`);
            return ((await r.json()) as any).dataset[0][0] === 0;
          },
          300_000,
        );
        const tables = execFileSync('ls', [join(qdbDataDir!, 'db')], { encoding: 'utf8' })
          .split('\n')
          .filter((t) => t.startsWith('aw_') && !t.endsWith('.lock'));
        const sized = tables.map((t) => [t.replace(/~\d+$/, ''), duBytes(join(qdbDataDir!, 'db', t))] as [string, number]);
        const points = sized.filter(([t]) => t === 'aw_points').reduce((a, [, b]) => a + b, 0);
        return { points, everything: sized.reduce((a, [, b]) => a + b, 0), detail: sized.map(([t, b]) => `${t} ${perPoint(b, set.points)}`).join(', ') };
      }
      const left = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM metric_wal');
      if (left.rows[0].n) console.log(`${name}: ${left.rows[0].n} write-ahead rows left after the stop (not folded): the sizes below count them`);
      const parts = ['metric_chunks_t0', 'metric_chunks_t60', 'metric_chunks_t3600'];
      await db.exec(`VACUUM FULL ${parts.join(', ')}, metric_series, ingest_batches, metric_wal, metric_checkpoints`);
      const size = async (rels: string[]) => {
        const { rows } = await db.query<{ b: string }>(`SELECT sum(pg_total_relation_size(r::regclass))::bigint AS b FROM unnest($1::text[]) r`, [rels]);
        return Number(rows[0].b);
      };
      const { rows } = await db.query<{ b: string }>(`SELECT sum(octet_length(data))::bigint AS b FROM metric_chunks_t0`);
      const raw = await size(['metric_chunks_t0']);
      const others = ['metric_series', 'ingest_batches', 'metric_wal', 'metric_checkpoints'];
      const detail = [`raw ${perPoint(raw, set.points)} (encoded ${perPoint(Number(rows[0].b), set.points)})`];
      for (const rel of [...parts.slice(1), ...others])
        detail.push(`${rel.replace('metric_chunks_t60', '1m').replace('metric_chunks_t3600', '1h')} ${perPoint(await size([rel]), set.points)}`);
      return { points: raw, everything: await size([...parts, ...others]), detail: detail.join(', ') };
    },
    async close() {
      await stop();
      await database.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** VictoriaMetrics (Debian's victoria-metrics), loopback only, data in a temporary folder. */
async function victoriaPeer(points: number): Promise<Peer | undefined> {
  const bin = ['/usr/bin/victoria-metrics', '/usr/bin/victoriametrics'].find(existsSync);
  if (!bin) {
    console.log('VictoriaMetrics skipped: not installed (apt-get install -y victoria-metrics).');
    return undefined;
  }
  const dir = mkdtempSync(join(tmpdir(), 'vm-bench-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(bin, [`-storageDataPath=${dir}`, `-httpListenAddr=127.0.0.1:${port}`, '-retentionPeriod=100y', '-loggerLevel=ERROR'], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  await waitFor('VictoriaMetrics', async () => (await fetch(`${url}/health`)).ok, 30_000);
  const version = execFileSync('dpkg-query', ['-W', '-f=${Version}', 'victoria-metrics'], { encoding: 'utf8' }).split('+')[0];
  return {
    name: `VictoriaMetrics ${version}`,
    async send(body) {
      const res = await resend(() => fetch(`${url}/write`, { method: 'POST', body }));
      if (res.status !== 204) throw new Error(`VictoriaMetrics /write answered ${res.status}: ${await res.text()}`);
    },
    async ready() {
      await fetch(`${url}/internal/force_flush`);
    },
    async query() {
      const end = Math.floor(Date.now() / 1000);
      const q = encodeURIComponent('cpu_usage_idle{host="tg-0",cpu="cpu-total"}');
      const res = await fetch(`${url}/api/v1/query_range?query=${q}&start=${end - 30 * 86400}&end=${end}&step=3600`);
      const body = (await res.json()) as any;
      if (!res.ok || !body.data.result.length) throw new Error(`VictoriaMetrics query answered ${res.status} ${JSON.stringify(body).slice(0, 200)}`);
    },
    async atRest() {
      await fetch(`${url}/internal/force_flush`);
      // Merge every partition into its final parts, as VictoriaMetrics does with time on its own.
      const month = new Date().toISOString().slice(0, 7).replace('-', '_');
      await fetch(`${url}/internal/force_merge?partition_prefix=${month}`);
      let last = -1;
      await waitFor(
        'VictoriaMetrics merges',
        async () => {
          const now = duBytes(join(dir, 'data'));
          const steady = now === last;
          last = now;
          if (!steady) await new Promise((r) => setTimeout(r, 2000));
          return steady;
        },
        300_000,
      );
      const data = duBytes(join(dir, 'data'));
      const index = duBytes(join(dir, 'indexdb'));
      return { points: data, everything: data + index, detail: `data ${perPoint(data, points)}, indexdb ${perPoint(index, points)}` };
    },
    async close() {
      await stopProcess(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** QuestDB 9.3.5 from ../shared/questdb on free ports with its data under /tmp, or undefined where absent. */
async function startQuestDb(): Promise<{ url: string; pgUrl: string; dataDir: string; stop(): void } | undefined> {
  const home = join(process.cwd(), '..', 'shared', 'questdb');
  if (!existsSync(join(home, 'start.sh'))) {
    console.log('QuestDB skipped: ../shared/questdb is not there.');
    return undefined;
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'qdb-bench-'));
  const [http, pgPort, ilp, min] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const env = { ...process.env, QDB_HTTP_PORT: String(http), QDB_PG_PORT: String(pgPort), QDB_ILP_PORT: String(ilp), QDB_MIN_PORT: String(min) };
  try {
    execFileSync(join(home, 'start.sh'), [dataDir], { env, stdio: ['ignore', 'ignore', 'inherit'], timeout: 90_000 });
  } catch (err) {
    console.log(`QuestDB skipped: start.sh failed (${(err as Error).message.split('\n')[0]}).`);
    rmSync(dataDir, { recursive: true, force: true });
    return undefined;
  }
  return {
    url: `http://127.0.0.1:${http}`,
    pgUrl: `postgres://admin:quest@127.0.0.1:${pgPort}/qdb`,
    dataDir,
    stop() {
      execFileSync(join(home, 'stop.sh'), [dataDir], { stdio: 'ignore', timeout: 60_000 });
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Pushes the set to every peer block by block (the same bodies to each, one peer at a time). */
async function push(set: TelegrafSet, peers: Peer[], opts: PeerOptions): Promise<Map<Peer, { seconds: number; latencies: number[] }>> {
  const out = new Map(peers.map((p) => [p, { seconds: 0, latencies: [] as number[] }]));
  for (let step = 0; step < set.steps; step += opts.stepsPerRequest) {
    const last = Math.min(set.steps, step + opts.stepsPerRequest);
    const bodies = set.hostNames.map(() => '');
    for (let k = step; k < last; k++) for (let h = 0; h < set.hosts; h++) bodies[h] += set.lines(k, h, h + 1);
    for (const peer of peers) {
      const figures = out.get(peer)!;
      const began = performance.now();
      let next = 0;
      const worker = async () => {
        while (next < bodies.length) {
          const body = bodies[next++];
          const t0 = performance.now();
          await peer.send(body);
          figures.latencies.push(performance.now() - t0);
        }
      };
      await Promise.all(Array.from({ length: opts.concurrency }, worker));
      figures.seconds += (performance.now() - began) / 1000;
    }
  }
  return out;
}

export async function runPeers(opts: PeerOptions): Promise<void> {
  // The set ends before now: every tier's retention, and VictoriaMetrics' and QuestDB's, keep all of it.
  const chunkAligned = 2 * 3_600_000;
  const start = Math.floor((Date.now() - (opts.hours + 1) * 3_600_000) / chunkAligned) * chunkAligned;
  const stores = new Set(opts.stores);
  const peers: Peer[] = [];
  const cleanups: Array<() => Promise<void> | void> = [];
  const set = telegrafSet(opts.hosts, opts.hours, start);
  try {
    if (stores.has('postgres')) {
      const p = await autowatchPeer(opts.databaseUrl ? 'AutoWatch on Postgres' : 'AutoWatch on PGlite', set, { METRICS_STORE: 'postgres' }, opts.databaseUrl);
      peers.push(p);
      cleanups.push(() => p.close());
    }
    if (stores.has('questdb')) {
      const qdb = await startQuestDb();
      if (qdb) {
        cleanups.push(() => qdb.stop());
        const p = await autowatchPeer(
          'AutoWatch on QuestDB',
          set,
          { METRICS_STORE: 'questdb', QUESTDB_URL: qdb.url, QUESTDB_PG_URL: qdb.pgUrl },
          opts.databaseUrl,
          qdb.dataDir,
        );
        peers.push(p);
        cleanups.push(() => p.close());
      }
    }
    if (stores.has('victoria')) {
      const p = await victoriaPeer(set.points);
      if (p) {
        peers.push(p);
        cleanups.push(() => p.close());
      }
    }
    console.log(
      `\n## Telegraf-shaped set: ${opts.hosts} hosts x ${SERIES_PER_HOST} series x ${opts.hours} h at 10 s = ${set.points.toLocaleString('en')} points, ` +
        `${opts.stepsPerRequest * 7} lines (${opts.stepsPerRequest * SERIES_PER_HOST} points) a request, ${opts.concurrency} requests in flight`,
    );
    const pushed = await push(set, peers, opts);
    const figures: Figures[] = [];
    for (const peer of peers) {
      const queryMs: number[] = [];
      await peer.ready?.();
      await peer.query();
      for (let i = 0; i < QUERY_RUNS; i++) {
        const t0 = performance.now();
        await peer.query();
        queryMs.push(performance.now() - t0);
      }
      const { seconds, latencies } = pushed.get(peer)!;
      figures.push({ store: peer.name, points: set.points, seconds, latencies, queryMs, sizes: await peer.atRest() });
    }
    printTable(figures);
  } finally {
    for (const c of cleanups.reverse()) await c();
  }
}

function printTable(figures: Figures[]): void {
  const rate = (f: Figures) => f.points / f.seconds;
  const vm = figures.find((f) => f.store.startsWith('VictoriaMetrics'));
  console.table(
    figures.map((f) => ({
      store: f.store,
      'points/s acknowledged': Math.round(rate(f)),
      'ack p50 / p99 ms': `${quantile(f.latencies, 0.5).toFixed(0)} / ${quantile(f.latencies, 0.99).toFixed(0)}`,
      'B/point at rest (points)': +(f.sizes.points / f.points).toFixed(3),
      'B/point at rest (everything)': +(f.sizes.everything / f.points).toFixed(3),
      '30-day query p99 ms': +quantile(f.queryMs, 0.99).toFixed(1),
      ...(vm
        ? { 'vs VictoriaMetrics: bytes / rate': f === vm ? '1 / 1' : `${(f.sizes.points / vm.sizes.points).toFixed(2)} / ${(rate(f) / rate(vm)).toFixed(2)}` }
        : {}),
    })),
  );
  for (const f of figures) console.log(`${f.store}, B/point at rest: ${f.sizes.detail}`);
}
