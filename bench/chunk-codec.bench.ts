/**
 * Series codec micro-benchmark: encode and decode one day of 10 s points (8640) for several series shapes,
 * roll the day into 1 min and 1 h buckets, and store the 1 min run. Prints ops/s, items/s (points or
 * buckets going in) and the stored size.
 * Run: npx tsx bench/chunk-codec.bench.ts
 */
import { Bench } from 'tinybench';
import { XorChunkEncoder, decodeXorChunk } from '../server/store/series/xor-chunk.js';
import { HOUR_MS, MINUTE_MS, decodeBuckets, encodeBuckets, rollBuckets, rollPoints } from '../server/store/series/rollup.js';
import { DAY_OF_10S, bytesCounter, constant, cpuPercent, memoryBytes, rawRatio, regularTimes } from '../server/store/series/sample-series.js';

const n = DAY_OF_10S;
const t = regularTimes(n);
const shapes: Record<string, Float64Array> = {
  'cpu %': cpuPercent(n),
  'memory bytes': memoryBytes(n),
  'byte counter': bytesCounter(n),
  'raw ratio': rawRatio(n),
  constant: constant(n),
};

function encode(v: Float64Array): Uint8Array {
  const enc = new XorChunkEncoder(n);
  for (let i = 0; i < n; i++) enc.append(t[i], v[i]);
  return enc.bytes();
}

const bench = new Bench({ time: 500, warmupTime: 100 });
/** Per task: how many items one run takes in, and what the stored form costs. */
const meta = new Map<string, { items: number; size: string }>();
let sink = 0; // consumed results, so no run can be optimised away

function add(name: string, items: number, size: string, fn: () => number): void {
  meta.set(name, { items, size });
  bench.add(name, () => {
    sink += fn();
  });
}

for (const [name, v] of Object.entries(shapes)) {
  const chunk = encode(v);
  const perPoint = `${(chunk.length / n).toFixed(3)} B/pt`;
  add(`encode ${name}`, n, perPoint, () => encode(v).length);
  add(`decode ${name}`, n, perPoint, () => decodeXorChunk(chunk).v.length);
}

const cpu = { t, v: shapes['cpu %'] };
const minutes = rollPoints(cpu, MINUTE_MS);
const hours = rollBuckets(minutes, HOUR_MS);
const minuteRun = encodeBuckets(minutes, MINUTE_MS);
const perMinute = `${(minuteRun.length / minutes.length).toFixed(2)} B/bucket`;
const perHour = `${(encodeBuckets(hours, HOUR_MS).length / hours.length).toFixed(2)} B/bucket`;
add('rollPoints 1 min (cpu %)', n, perMinute, () => rollPoints(cpu, MINUTE_MS).length);
add('rollBuckets 1 min -> 1 h', minutes.length, perHour, () => rollBuckets(minutes, HOUR_MS).length);
add('encodeBuckets 1 min (cpu %)', minutes.length, perMinute, () => encodeBuckets(minutes, MINUTE_MS).length);
add('decodeBuckets 1 min (cpu %)', minutes.length, perMinute, () => decodeBuckets(minuteRun).buckets.length);

await bench.run();

console.table(
  bench.tasks.map((task) => {
    const { items, size } = meta.get(task.name)!;
    const period = 'period' in task.result ? task.result.period : NaN; // mean ms per run
    const ops = 1000 / period;
    return {
      task: task.name,
      'ops/s': Math.round(ops).toLocaleString('en-US'),
      'items/s': Math.round(ops * items).toLocaleString('en-US'),
      'µs/op': (period * 1000).toFixed(1),
      stored: size,
    };
  }),
);
if (sink < 0) console.log(sink);
