/**
 * Hot-path micro-benchmarks (tinybench): a metrics frame encoded and signed, verified and decoded.
 * npm run bench:micro
 */
import { randomBytes } from 'node:crypto';
import { Bench } from 'tinybench';
import { checkMetrics } from '../protocol/validate.js';
import { decodePayload, encodeFrame, macPrefix, verifyFrame } from '../protocol/frame.js';
import { MessageType } from '../protocol/messages.js';

const key = randomBytes(32);
const prefix = macPrefix('3f0c8a52-3c0e-4b8e-9a53-0d6e1f3a7b21', randomBytes(16));
const now = Date.now();

function metricsMessage(points: number) {
  return {
    batch: now * 1000,
    points: Array.from({ length: points }, (_, i) => ({
      name: ['cpu.usage_pct', 'mem.used_bytes', 'fs.used_pct', 'net.rx_bytes_per_s'][i % 4],
      labels: { cpu: 'total', idx: String(i) },
      t: now,
      v: Math.random() * 100,
    })),
  };
}

const bench = new Bench({ time: 1000, warmupTime: 200 });
for (const points of [20, 200]) {
  const message = metricsMessage(points);
  const frame = encodeFrame(key, prefix, MessageType.metrics, 1, now, message);
  bench
    .add(`encode+sign metrics frame (${points} points, ${frame.length} B)`, () => {
      encodeFrame(key, prefix, MessageType.metrics, 1, now, message);
    })
    .add(`verify+decode+validate metrics frame (${points} points)`, () => {
      const f = verifyFrame(frame, { key, prefix, lastSeq: 0, now, clockSkewMs: 300_000 });
      checkMetrics(decodePayload(f.payload));
    });
}
const heartbeat = encodeFrame(key, prefix, MessageType.heartbeat, 1, now, {});
bench.add(`verify+decode heartbeat (${heartbeat.length} B)`, () => {
  decodePayload(verifyFrame(heartbeat, { key, prefix, lastSeq: 0, now, clockSkewMs: 300_000 }).payload);
});

await bench.run();
console.table(
  bench.tasks.map((t) => {
    const r = t.result as any;
    const mean = r?.latency?.mean ?? r?.mean;
    const hz = r?.throughput?.mean ?? r?.hz;
    const p99 = r?.latency?.p99 ?? r?.p99;
    return { task: t.name, 'ops/s': Math.round(hz), 'mean µs': +(mean * 1000).toFixed(2), 'p99 µs': +(p99 * 1000).toFixed(2) };
  }),
);
