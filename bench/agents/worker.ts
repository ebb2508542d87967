/**
 * A generator worker process (forked by run.ts): runs its share of simulated agents through one
 * bounded life (ramp, window, drain, close), reports cumulative counters every second and, last,
 * its counters and latency histogram. One process holds at most ~15,000 agents: the open-file
 * limit of 20,000 is per process.
 */
import { LatencyHistogram } from './histogram.js';
import { emptyCounters, type WorkerMessage, type WorkerParentMessage, type WorkerStart } from './ipc.js';
import { MetricFrameMaker } from './metric-points.js';
import { SimAgent, countError, type AgentContext } from './sim-agent.js';

const PROGRESS_EVERY_MS = 1000;
const CLOSE_WAIT_MS = 5000;

const send = (m: WorkerMessage) => new Promise<void>((resolve) => (process.send ? process.send(m, undefined, {}, () => resolve()) : resolve()));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let agents: SimAgent[] = [];
let aborted = false;

async function run(start: WorkerStart): Promise<void> {
  const counters = emptyCounters();
  const ctx: AgentContext = {
    url: start.url,
    intervalMs: 1000 / start.ratePerS,
    windowStart: start.windowStart,
    windowEnd: start.windowEnd,
    frames: new MetricFrameMaker(start.points),
    counters,
    latency: new LatencyHistogram(),
    slow: [],
  };
  agents = start.agents.map((a) => new SimAgent(a, ctx));
  const n = agents.length;
  agents.forEach((agent, i) => agent.connectAfter(Math.max(0, start.startAt - Date.now()) + (i / n) * start.rampMs));

  const snapshot = () => {
    counters.outstanding = agents.reduce((sum, a) => sum + a.spooled, 0);
    return { ...counters, errors: { ...counters.errors } };
  };
  const progress = setInterval(() => void send({ type: 'progress', counters: snapshot() }), PROGRESS_EVERY_MS);

  // The window: wait for its end (or an abort), then stop making batches.
  while (!aborted && Date.now() < start.windowEnd) await sleep(Math.min(250, start.windowEnd - Date.now()));
  counters.connectedAtWindowEnd = counters.connected;
  for (const a of agents) a.stopSending();

  // Drain: acks for what is on the wire, refused batches resent, for at most drainMs.
  const drainUntil = Date.now() + start.drainMs;
  while (!aborted && Date.now() < drainUntil && agents.some((a) => a.awaiting > 0)) await sleep(100);

  for (const a of agents) {
    const { sent, unsent } = a.unacked;
    if (sent) countError(counters, 'unacked_at_end', sent);
    if (unsent) countError(counters, 'unsent_at_end', unsent);
  }
  for (const a of agents) a.close();
  const closeUntil = Date.now() + CLOSE_WAIT_MS;
  while (Date.now() < closeUntil && agents.some((a) => a.isOpen)) await sleep(50);
  for (const a of agents) if (a.isOpen) a.terminate();
  clearInterval(progress);

  await send({
    type: 'final',
    counters: snapshot(),
    latency: Array.from(ctx.latency.counts),
    slow: Array.from(ctx.slow, (n) => n ?? 0),
    rssMb: Math.round(process.memoryUsage().rss / 2 ** 20),
  });
}

process.on('message', (m: WorkerParentMessage) => {
  if (m.type === 'abort') {
    aborted = true;
    return;
  }
  run(m).then(
    () => process.exit(0),
    async (err: unknown) => {
      await send({ type: 'failed', message: err instanceof Error ? (err.stack ?? err.message) : String(err) });
      process.exit(1);
    },
  );
});
process.on('disconnect', () => {
  // The parent is gone: nobody will read the figures, so do not hold sockets open.
  for (const a of agents) a.terminate();
  process.exit(1);
});

void send({ type: 'ready' });
