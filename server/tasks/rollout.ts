/**
 * Rolling batches, as pure decisions over a task's hosts. Hosts are put in waves of `batchSize` at
 * creation. The task works on one wave at a time: it sends to the wave's connected hosts, at most
 * `maxConcurrency` in flight, and moves to the next wave once no host of the current one is in
 * flight or could be sent now. A host whose agent is offline stays queued and is sent when the
 * agent comes back (if its wave has been reached and the task has not expired), so one dead host
 * does not hold up the fleet. Once more hosts failed than the failure limit, nothing more is sent.
 */

export type HostRunState = 'queued' | 'sent' | 'running' | 'ok' | 'failed' | 'timed_out' | 'cancelled' | 'unreachable' | 'refused';

export const FINISHED: ReadonlySet<HostRunState> = new Set(['ok', 'failed', 'timed_out', 'cancelled', 'unreachable', 'refused']);
export const FAILED: ReadonlySet<HostRunState> = new Set(['failed', 'timed_out', 'unreachable', 'refused']);

/** A count, or a percentage of the hosts ("25%"), as the API takes batch sizes and thresholds. */
export type CountOrPercent = number | string;

const PERCENT = /^(\d{1,3}(?:\.\d+)?)%$/;

export function parseCountOrPercent(value: CountOrPercent, total: number, what: string, roundUp: boolean): number {
  if (typeof value === 'number') {
    if (!Number.isInteger(value) || value < 0) throw new RangeError(`${what} must be a whole number of hosts or a percentage like "25%"`);
    return value;
  }
  const m = PERCENT.exec(value.trim());
  if (!m || Number(m[1]) > 100) throw new RangeError(`${what} must be a whole number of hosts or a percentage like "25%"`);
  const exact = (total * Number(m[1])) / 100;
  return roundUp ? Math.ceil(exact) : Math.floor(exact);
}

/** Hosts per wave: at least one, at most all. */
export const batchSizeOf = (value: CountOrPercent | undefined, total: number) =>
  value === undefined ? Math.max(total, 1) : Math.min(Math.max(parseCountOrPercent(value, total, 'batch_size', true), 1), Math.max(total, 1));

/** Failures tolerated; the task stops when more hosts than this have failed. */
export const failureLimitOf = (value: CountOrPercent | undefined, total: number) =>
  value === undefined ? null : parseCountOrPercent(value, total, 'failure_threshold', false);

export interface PlanHost {
  hostId: string;
  wave: number;
  state: HostRunState;
  online: boolean;
}

export interface PlanInput {
  currentWave: number;
  maxConcurrency: number;
  failureLimit: number | null;
  hosts: PlanHost[];
}

export interface Plan {
  wave: number;
  /** Hosts to send the order to now. */
  send: PlanHost[];
  /** Set when the failure limit was passed: the reason to stop. */
  stop?: string;
  /** Every host has finished. */
  finished: boolean;
  failed: number;
}

export function planStep(input: PlanInput): Plan {
  const { hosts } = input;
  let failed = 0;
  let inFlight = 0;
  let unfinished = 0;
  let lastWave = 0;
  for (const h of hosts) {
    if (FAILED.has(h.state)) failed++;
    if (h.state === 'sent' || h.state === 'running') inFlight++;
    if (!FINISHED.has(h.state)) unfinished++;
    if (h.wave > lastWave) lastWave = h.wave;
  }
  if (unfinished === 0) return { wave: input.currentWave, send: [], finished: true, failed };
  if (input.failureLimit !== null && failed > input.failureLimit) {
    return { wave: input.currentWave, send: [], finished: false, failed, stop: `${failed} hosts failed, more than the threshold of ${input.failureLimit}` };
  }
  let wave = input.currentWave;
  // Move on past waves with nothing in flight and nothing sendable now.
  while (wave < lastWave && !hosts.some((h) => h.wave === wave && (h.state === 'sent' || h.state === 'running' || (h.state === 'queued' && h.online)))) wave++;
  const room = Math.max(input.maxConcurrency - inFlight, 0);
  const send: PlanHost[] = [];
  for (const h of hosts) {
    if (send.length >= room) break;
    if (h.state === 'queued' && h.online && h.wave <= wave) send.push(h);
  }
  return { wave, send, finished: false, failed };
}
