/**
 * Deterministic synthetic series for the codec tests and bench/chunk-codec.bench.ts (not used at runtime):
 * the same seed gives the same points, so byte-per-point figures are comparable across runs and machines.
 */

/** mulberry32: a tiny seeded PRNG, uniform in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = Math.imul(a ^ (a >>> 15), a | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

/** A day of 10 s samples. */
export const DAY_OF_10S = 8640;

/** 2024-06-01T00:00:00Z, a bucket-aligned start. */
export const SAMPLE_START_MS = Date.UTC(2024, 5, 1);

/** n timestamps every stepMs from start; with jitterMs each sample lands up to that many ms late. */
export function regularTimes(n: number, stepMs = 10_000, jitterMs = 0, rnd = seededRandom(1), start = SAMPLE_START_MS): Float64Array {
  const t = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    t[i] = start + i * stepMs + (jitterMs > 0 ? Math.floor(rnd() * (jitterMs + 1)) : 0);
  }
  return t;
}

/** CPU busy % with one decimal, as agents report it: a mean-reverting load around 25% with bursts. */
export function cpuPercent(n: number, rnd = seededRandom(2)): Float64Array {
  const v = new Float64Array(n);
  let level = 25;
  for (let i = 0; i < n; i++) {
    level += (25 - level) * 0.05 + (rnd() - 0.5) * 6;
    if (rnd() < 0.01) level += 40 * rnd();
    const x = Math.min(100, Math.max(0, level + (rnd() - 0.5) * 4));
    v[i] = Math.round(x * 10) / 10;
  }
  return v;
}

/** Used memory in bytes on a 16 GiB host: whole 4 KiB pages drifting slowly, an allocation burst now and then. */
export function memoryBytes(n: number, rnd = seededRandom(3)): Float64Array {
  const v = new Float64Array(n);
  let pages = 1_572_864; // 6 GiB
  for (let i = 0; i < n; i++) {
    if (rnd() < 0.6) pages += Math.round((rnd() - 0.5) * 128);
    if (rnd() < 0.005) pages += Math.round((rnd() - 0.3) * 65_536);
    v[i] = pages * 4096;
  }
  return v;
}

/** A monotonically increasing byte counter (network bytes sent) at ~2 MB/s, with one restart. */
export function bytesCounter(n: number, rnd = seededRandom(4)): Float64Array {
  const v = new Float64Array(n);
  let total = 123_456_789;
  for (let i = 0; i < n; i++) {
    if (i === Math.floor(n / 2)) total = 0;
    total += Math.round(20_000_000 * (0.5 + rnd()));
    v[i] = total;
  }
  return v;
}

/** A ratio computed without rounding (e.g. a cache hit ratio): full-precision floats, the codec's worst case. */
export function rawRatio(n: number, rnd = seededRandom(5)): Float64Array {
  const v = new Float64Array(n);
  let hits = 1000;
  let total = 1200;
  for (let i = 0; i < n; i++) {
    const q = Math.floor(rnd() * 100);
    hits += Math.floor(q * (0.7 + rnd() * 0.2));
    total += q;
    v[i] = hits / total;
  }
  return v;
}

/** Same value throughout (a configured limit, a disk size). */
export function constant(n: number, value = 512_110_190_592): Float64Array {
  return new Float64Array(n).fill(value);
}
