/**
 * The agent load generator: `npm run bench:agents -- --agents N --duration S [options]`.
 *
 * One bounded run: make N agents (a fresh database, or enrollment on --url), start the servers,
 * fork workers that ramp the agents up, send for the window, drain acks and close; then print the
 * figures. Its LAST line of output is one JSON object with exactly the keys of `Figures`.
 * Progress and the servers' warnings go to stderr.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LatencyHistogram } from './histogram.js';
import { emptyCounters, sumCounters, type BenchAgent, type WorkerCounters, type WorkerMessage, type WorkerStart } from './ipc.js';
import { parseOptions, sourceAddress, USAGE, UsageError, type BenchOptions } from './options.js';
import { MachineSampler, ProcessSampler } from './proc-stats.js';
import { countStoredPoints, createRunDatabase, enrollOverHttp, type Credentials, type RunDatabase } from './provision.js';
import { SLOW_ACK_MS } from './sim-agent.js';
import { freePort, startServers, summariseLogs, type ServerFleet } from './servers.js';

interface Figures {
  agents_target: number;
  agents_connected: number;
  agents_dropped: number;
  frames_sent: number;
  frames_acked: number;
  points_per_s: number;
  ack_p50_ms: number | null;
  ack_p99_ms: number | null;
  server_rss_mb: number | null;
  /** Server RSS (all processes, peak) ÷ agents connected at the window's end. */
  rss_per_agent_kb: number | null;
  server_cpu_pct: number | null;
  /** The generator's workers over the window, % of one core summed: they share the machine with the servers. */
  generator_cpu_pct: number | null;
  /** Every core's busy time over the window, % of one core summed (the machine's ceiling is cores × 100). */
  machine_cpu_pct: number | null;
  /** Seconds from the first connect until every agent held a configured session (null: never). */
  connect_s: number | null;
  errors: Record<string, number>;
}

interface RestartFigures {
  downMs: number;
  upMs: number;
  allBackMs: number | null;
  /** How it ended when not every agent came back: 120 s passed, or the window (and the agents) ended first. */
  notBack: string;
}

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO_ROOT = resolve(HERE, '../..');
const WORKER_READY_MS = 60_000;
/** On top of ramp + window + drain: time for workers to close their sockets and report. */
const FINISH_MARGIN_MS = 60_000;

const say = (line: string) => process.stderr.write(`[bench:agents] ${line}\n`);
const round = (n: number | null, digits = 1) => (n === null ? null : Math.round(n * 10 ** digits) / 10 ** digits);

interface WorkerHandle {
  child: ChildProcess;
  counters: WorkerCounters;
  final: Extract<WorkerMessage, { type: 'final' }> | undefined;
  failure: string | undefined;
  ready: Promise<void>;
  done: Promise<void>;
}

function forkWorker(): WorkerHandle {
  const child = fork(join(HERE, 'worker.ts'), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const h = { child, counters: emptyCounters(), final: undefined, failure: undefined } as WorkerHandle;
  h.ready = new Promise<void>((ok, fail) => {
    child.on('message', (m: WorkerMessage) => {
      if (m.type === 'ready') ok();
      else if (m.type === 'progress') h.counters = m.counters;
      else if (m.type === 'final') (h.final = m), (h.counters = m.counters);
      else if (m.type === 'failed') h.failure = m.message;
    });
    child.once('exit', (code) => fail(new Error(`worker exited (${code}) before it was ready`)));
  });
  h.done = new Promise<void>((ok) =>
    child.once('exit', (code, signal) => {
      if (!h.final && !h.failure) h.failure = `worker exited (${code ?? signal}) without figures`;
      ok();
    }),
  );
  h.ready.catch(() => undefined);
  return h;
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([p, new Promise<T>((_, fail) => (timer = setTimeout(() => fail(new Error(`${what} took longer than ${ms / 1000} s`)), ms)))]).finally(
    () => clearTimeout(timer),
  );
}

async function run(opts: BenchOptions): Promise<Figures> {
  const runDir = mkdtempSync(join(tmpdir(), 'aw-bench-'));
  const cleanups: Array<() => Promise<void>> = [async () => rmSync(runDir, { recursive: true, force: true })];
  const workers: WorkerHandle[] = [];
  let interrupted = false;
  const onSignal = () => {
    interrupted = true;
    say('interrupted: stopping workers');
    for (const w of workers) w.child.connected && w.child.send({ type: 'abort' });
  };
  process.on('SIGINT', onSignal).on('SIGTERM', onSignal);

  try {
    // 1. Agents and servers.
    let creds: Credentials[];
    let fleet: ServerFleet | undefined;
    let restartFleet: (() => Promise<ServerFleet>) | undefined;
    let runDb: RunDatabase | undefined;
    let target = opts.target;
    if (target) {
      say(`enrolling ${opts.agents} agents on ${target.http}`);
      creds = await enrollOverHttp({
        http: target.http,
        token: opts.token!,
        count: opts.agents,
        sourceAddress: (i) => sourceAddress(i, opts.agentsPerAddress),
        onProgress: (n) => say(`enrolled ${n}`),
      });
    } else {
      say(`provisioning ${opts.agents} agents in a fresh ${opts.databaseUrl ? 'Postgres' : 'PGlite'} database`);
      const db = (runDb = await createRunDatabase({ count: opts.agents, postgresUrl: opts.databaseUrl, runDir }));
      cleanups.unshift(() => db.drop());
      creds = db.agents;
      const port = opts.port ?? (await freePort());
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        HOST: '127.0.0.1',
        DATA_DIR: db.dataDir,
        LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
        AW_BOOTSTRAP_ADMIN: 'false',
      };
      delete env.DATABASE_URL;
      delete env.REDIS_URL;
      if (db.url) env.DATABASE_URL = db.url;
      env.METRICS_STORE = opts.metricsStore;
      if (opts.questdbUrl) env.QUESTDB_URL = opts.questdbUrl;
      say(`starting ${opts.servers} server process${opts.servers > 1 ? 'es' : ''} on port ${port}`);
      restartFleet = () => startServers({ count: opts.servers, port, env, runDir, repoRoot: REPO_ROOT });
      fleet = await restartFleet();
      cleanups.unshift(() => fleet!.stop());
      target = { ws: fleet.ws, http: fleet.http };
    }
    const sampler = new ProcessSampler(fleet ? fleet.pids : opts.serverPids);
    sampler.start();
    cleanups.unshift(async () => sampler.stop());

    // 2. Workers: each takes a contiguous share of the agents.
    const agents: BenchAgent[] = creds.map((c, i) => ({ ...c, localAddress: sourceAddress(i, opts.agentsPerAddress) }));
    const per = Math.ceil(agents.length / opts.workers);
    for (let w = 0; w < opts.workers; w++) workers.push(forkWorker());
    cleanups.unshift(async () => {
      for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
    });
    await withTimeout(Promise.all(workers.map((w) => w.ready)), WORKER_READY_MS, 'starting the workers');
    const generator = new ProcessSampler(workers.map((w) => w.child.pid!));
    const machine = new MachineSampler();

    const startAt = Date.now() + 1000;
    const rampMs = opts.rampS * 1000;
    const windowStart = startAt + rampMs;
    const windowEnd = windowStart + opts.durationS * 1000;
    const drainMs = opts.drainS * 1000;
    workers.forEach((w, k) => {
      const start: WorkerStart = {
        type: 'start',
        url: target!.ws,
        agents: agents.slice(k * per, (k + 1) * per),
        ratePerS: opts.ratePerS,
        points: opts.pointsPerFrame,
        startAt,
        rampMs,
        windowStart,
        windowEnd,
        drainMs,
      };
      w.child.send(start);
    });
    say(`${opts.workers} worker(s): ramp ${opts.rampS} s, window ${opts.durationS} s, drain up to ${opts.drainS} s`);

    // Counters arrive from the workers every second: connect_s is good to a second.
    let allConnectedAt: number | undefined;
    const connectWatch = setInterval(() => {
      if (sumCounters(workers.map((w) => w.counters)).connected < opts.agents) return;
      allConnectedAt = Date.now();
      clearInterval(connectWatch);
    }, 250);
    cleanups.unshift(async () => clearInterval(connectWatch));
    const progress = setInterval(() => {
      const c = sumCounters(workers.map((w) => w.counters));
      const phase = Date.now() < windowStart ? 'ramp' : Date.now() < windowEnd ? 'window' : 'drain';
      say(
        `${phase}: connected ${c.connected}/${opts.agents}, frames sent ${c.framesSent}, acked ${c.framesAcked}, dropped ${c.dropped}, errors ${JSON.stringify(c.errors)}`,
      );
    }, 5000);
    cleanups.unshift(async () => clearInterval(progress));
    const windowTimers = [
      setTimeout(() => [sampler, generator, machine].forEach((s) => s.windowStart()), Math.max(0, windowStart - Date.now())),
      setTimeout(() => [sampler, generator, machine].forEach((s) => s.windowEnd()), Math.max(0, windowEnd - Date.now())),
    ];
    if (process.env.AW_BENCH_HEAP_DIR && fleet) {
      // Mid-window, with every series and session in place; bench/heap-summary.ts reads the files.
      const pids = fleet.pids;
      windowTimers.push(
        setTimeout(
          () => {
            for (const pid of pids) process.kill(pid, 'SIGUSR2');
            say(`heap snapshot asked of ${pids.length} server(s) into ${process.env.AW_BENCH_HEAP_DIR} (npx tsx bench/heap-summary.ts FILE --agents N)`);
          },
          windowStart + (opts.durationS * 1000) / 2 - Date.now(),
        ),
      );
    }
    cleanups.unshift(async () => windowTimers.forEach(clearTimeout));
    let restart: Promise<RestartFigures> | undefined;
    if (opts.restartAtS !== undefined && restartFleet) {
      const restartIn = windowStart + opts.restartAtS * 1000 - Date.now();
      restart = new Promise<void>((r) => windowTimers.push(setTimeout(r, restartIn))).then(async () => {
        const at = Date.now();
        const connected = () => sumCounters(workers.map((w) => w.counters)).connected;
        say(`restart: SIGTERM to ${fleet!.pids.length} server process(es) with ${connected()} agents connected`);
        await fleet!.stop();
        const downMs = Date.now() - at;
        fleet = await restartFleet!();
        sampler.follow(fleet.pids);
        const upMs = Date.now() - at;
        say(`restart: old process(es) gone after ${downMs} ms, new ones serving after ${upMs} ms`);
        // Counters come from the workers every second: good to a second.
        while (connected() < opts.agents && Date.now() - at < 120_000 && Date.now() < windowEnd) await new Promise((r) => setTimeout(r, 250));
        const notBack = Date.now() >= windowEnd ? `the window ended with ${connected()} of ${opts.agents} agents back` : 'NOT every agent back within 120 s';
        return { downMs, upMs, allBackMs: connected() >= opts.agents ? Date.now() - at : null, notBack };
      });
    }

    const deadline = windowEnd + drainMs + FINISH_MARGIN_MS - Date.now();
    await withTimeout(Promise.all(workers.map((w) => w.done)), deadline, 'the run').catch((err: Error) => {
      say(err.message);
      onSignal();
    });
    if (Date.now() < windowEnd) [sampler, generator, machine].forEach((s) => s.windowEnd());
    const restarted = await restart;

    // 3. Figures.
    const total = sumCounters(workers.map((w) => w.final?.counters ?? w.counters));
    const latency = new LatencyHistogram();
    for (const w of workers) if (w.final) latency.add(w.final.latency);
    const errors = { ...total.errors };
    workers.forEach((w, k) => {
      if (w.failure) {
        errors[`worker_failed`] = (errors.worker_failed ?? 0) + 1;
        say(`worker ${k + 1} failed: ${w.failure}`);
      }
    });
    if (interrupted) errors.interrupted = 1;
    const server = sampler.figures();
    if (fleet) {
      for (const e of summariseLogs(fleet.logFiles).slice(0, 15)) say(`server ${e.level} ×${e.count}: ${e.msg}${e.example ? ` (first: ${e.example})` : ''}`);
    }
    say(`generator workers peak RSS: ${workers.map((w) => w.final?.rssMb ?? '?').join(', ')} MB; resends ${total.resends}`);
    const gen = generator.figures();
    const box = machine.figures();
    if (box.cpuPct !== null) {
      // Kernel time for loopback traffic counts to the process that made the call; the rest is Postgres and everything else.
      const rest = Math.max(0, box.cpuPct - (server.cpuPct ?? 0) - (gen.cpuPct ?? 0));
      say(
        `CPU over the window, % of one core: machine ${box.cpuPct} of ${box.cores * 100}; servers ${server.cpuPct ?? '?'}, generator ${gen.cpuPct}, the rest ${round(rest)}`,
      );
    }
    // Where the tail comes from: a steady trickle, the connect burst, or one moment (a checkpoint, a pause).
    const slow: number[] = [];
    for (const w of workers) w.final?.slow.forEach((n, i) => (slow[i] = (slow[i] ?? 0) + n));
    const slots = Array.from(slow, (n, i) => (n ? `${i * 10}s:${n}` : '')).filter(Boolean);
    say(`acks over ${SLOW_ACK_MS} ms by 10 s of the window sent in: ${slots.join(' ') || 'none'}`);
    if (restarted && runDb && opts.metricsStore === 'questdb') {
      say(
        `restart: ${restarted.allBackMs === null ? restarted.notBack : `every agent back ${restarted.allBackMs} ms after SIGTERM`}; stored points are counted on the Postgres store only`,
      );
    } else if (restarted && runDb) {
      await fleet!.stop();
      const stored = await countStoredPoints(runDb);
      // Every acknowledged point stored (none lost) and none stored twice: acknowledged <= stored <= sent.
      // Stored may pass acknowledged: points committed whose ack the restart or the run's end cut off.
      const verdict =
        stored < total.pointsAcked
          ? `LOST ${total.pointsAcked - stored}`
          : stored > total.pointsSent
            ? `STORED TWICE: ${stored - total.pointsSent} over what was sent`
            : stored === total.pointsAcked
              ? 'every acknowledged point stored once'
              : `every acknowledged point stored once, and ${stored - total.pointsAcked} whose ack never arrived`;
      say(
        `restart: ${restarted.allBackMs === null ? restarted.notBack : `every agent back ${restarted.allBackMs} ms after SIGTERM`} ` +
          `(servers serving again after ${restarted.upMs} ms); points acknowledged ${total.pointsAcked}, stored ${stored}, sent ${total.pointsSent}, ` +
          `frames resent ${total.resends}: ${verdict}`,
      );
    }
    return {
      agents_target: opts.agents,
      agents_connected: total.connectedAtWindowEnd,
      agents_dropped: total.dropped,
      frames_sent: total.framesSent,
      frames_acked: total.framesAcked,
      points_per_s: Math.round(total.pointsAckedInWindow / opts.durationS),
      ack_p50_ms: round(latency.quantile(0.5)),
      ack_p99_ms: round(latency.quantile(0.99)),
      server_rss_mb: server.rssMb,
      rss_per_agent_kb: server.rssMb === null || !total.connectedAtWindowEnd ? null : round((server.rssMb * 1024) / total.connectedAtWindowEnd),
      server_cpu_pct: server.cpuPct,
      generator_cpu_pct: gen.cpuPct,
      machine_cpu_pct: box.cpuPct,
      connect_s: allConnectedAt === undefined ? null : round((allConnectedAt - startAt) / 1000),
      errors,
    };
  } finally {
    process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
    for (const c of cleanups) await c().catch((err: Error) => say(`cleanup: ${err.message}`));
  }
}

let opts: BenchOptions;
try {
  opts = parseOptions(process.argv.slice(2));
} catch (err) {
  if (!(err instanceof UsageError) && !(err instanceof TypeError)) throw err;
  if (err.message) process.stderr.write(`${err.message}\n\n`);
  process.stderr.write(`${USAGE}\n`);
  process.exit(2);
}
run(opts).then(
  (figures) => {
    process.stdout.write(`${JSON.stringify(figures)}\n`);
    process.exit(0);
  },
  (err: Error) => {
    say(`failed: ${err.stack ?? err.message}`);
    process.exit(1);
  },
);
