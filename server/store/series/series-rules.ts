/**
 * What makes a series identity acceptable, and its canonical key. The same rules as the wire protocol's
 * (protocol/validate.ts), applied where series are created so every writer is held to them.
 */
import type { Labels } from '../../protocol/messages.js';
import { checkLabels, METRIC_NAME, PayloadError } from '../../protocol/validate.js';

/** Why (name, labels) cannot name a series, or undefined when it can. */
export function checkSeriesIdentity(name: unknown, labels: unknown): string | undefined {
  if (typeof name !== 'string' || !METRIC_NAME.test(name)) return 'metric name must match [a-zA-Z_][a-zA-Z0-9_.:-]{0,199}';
  try {
    checkLabels(labels, 'labels');
  } catch (err) {
    if (err instanceof PayloadError) return err.message;
    throw err;
  }
  return undefined;
}

/** Canonical key: labels sorted so {a,b} and {b,a} are one series. */
export function seriesKey(hostId: string, name: string, labels: Labels | undefined): string {
  if (!labels) return `${hostId}\u0000${name}\u0000{}`;
  const keys = Object.keys(labels);
  if (keys.length > 1) keys.sort();
  let out = `${hostId}\u0000${name}\u0000{`;
  for (const k of keys) out += `${k}=${labels[k]},`;
  return out + '}';
}
