/**
 * Per-second rate of a kernel counter between two readings. Undefined when the counter went backwards
 * (32-bit wrap, driver reload, device re-created) or no time passed: skipping one sample is better than
 * reporting a negative rate or a spike the size of the whole counter.
 */
export function counterRate(prev: number, cur: number, elapsedS: number): number | undefined {
  if (!(elapsedS > 0) || cur < prev) return undefined;
  return (cur - prev) / elapsedS;
}

/** The ratio as a percentage, or undefined when the whole is empty (nothing to divide). */
export function percentOf(part: number, whole: number): number | undefined {
  return whole > 0 ? (part / whole) * 100 : undefined;
}
