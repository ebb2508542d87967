/**
 * Availability of a service from its checks' status history (docs/itil.md, "Availability"): pure
 * rules, no I/O. Time is cut into slots (the metric store's finest rollup width, 1 min, or the
 * coarser bucket the store answers with for older history). The rule, per check on a host and slot:
 *
 * - no status point in the slot: unknown;
 * - every point UNKNOWN (min status = 3, the check could not run): unknown;
 * - otherwise max status >= 2 (a CRITICAL, or an UNKNOWN among real answers): down;
 * - otherwise (all OK or WARNING): up.
 *
 * The rollups keep min and max per bucket, so this is exact from them: a slot judged from its 1 min
 * bucket is judged as from its raw points.
 */

export type SlotState = 'up' | 'down' | 'unknown';
export type UpWhen = 'all' | 'any';
export type Period = 'day' | 'week' | 'month';

/** What a slot holds for one check on one host: the rollup's min, max and point count. */
export interface SlotStats {
  min: number;
  max: number;
  count: number;
}

export const SLOT_MS = 60_000;

export function slotState(s: SlotStats | undefined): SlotState {
  if (!s || s.count === 0 || s.min >= 3) return 'unknown';
  return s.max >= 2 ? 'down' : 'up';
}

/** Folds a finer bucket into the slot holding it (slots of a period share the coarsest width). */
export function foldInto(slots: Map<number, SlotStats>, t: number, widthMs: number, b: SlotStats): void {
  const start = t - (((t % widthMs) + widthMs) % widthMs);
  const s = slots.get(start);
  if (!s) slots.set(start, { min: b.min, max: b.max, count: b.count });
  else {
    s.min = Math.min(s.min, b.min);
    s.max = Math.max(s.max, b.max);
    s.count += b.count;
  }
}

/**
 * The service's state from its members' states: with `all`, down when any member is down, else
 * unknown when any is unknown; with `any` (redundant hosts), up when any member is up, else down
 * when any is down.
 */
export function serviceState(states: readonly SlotState[], upWhen: UpWhen): SlotState {
  if (upWhen === 'all') {
    if (states.includes('down')) return 'down';
    return states.includes('unknown') ? 'unknown' : 'up';
  }
  if (states.includes('up')) return 'up';
  return states.includes('down') ? 'down' : 'unknown';
}

const DAY_MS = 86_400_000;

/** Start of the UTC day, ISO week (Monday) or month holding t. */
export function periodStart(period: Period, t: number): number {
  const d = new Date(Math.floor(t / DAY_MS) * DAY_MS);
  if (period === 'day') return d.getTime();
  if (period === 'week') return d.getTime() - ((d.getUTCDay() + 6) % 7) * DAY_MS;
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
}

export function nextPeriod(period: Period, start: number): number {
  if (period === 'day') return start + DAY_MS;
  if (period === 'week') return start + 7 * DAY_MS;
  const d = new Date(start);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
}

/** The periods [start, end) touching [from, to), whole periods aligned to UTC. */
export function periodsBetween(period: Period, from: number, to: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let s = periodStart(period, from); s < to; s = nextPeriod(period, s)) out.push([s, nextPeriod(period, s)]);
  return out;
}

export interface PeriodTally {
  upMs: number;
  downMs: number;
  unknownMs: number;
  /** Down slots merged into runs, [start, end). */
  down: Array<[number, number]>;
}

/**
 * Tallies [start, end) slot by slot: `members` are each member's slots (width `widthMs`, keyed by
 * slot start). A slot cut by `end` (now, in the current period) counts only up to it.
 */
export function tallyPeriod(members: ReadonlyArray<Map<number, SlotStats>>, upWhen: UpWhen, start: number, end: number, widthMs: number): PeriodTally {
  const tally: PeriodTally = { upMs: 0, downMs: 0, unknownMs: 0, down: [] };
  for (let s = start; s < end; s += widthMs) {
    const e = Math.min(s + widthMs, end);
    const state = serviceState(
      members.map((m) => slotState(m.get(s))),
      upWhen,
    );
    tally[`${state}Ms`] += e - s;
    if (state !== 'down') continue;
    const last = tally.down[tally.down.length - 1];
    if (last && last[1] === s) last[1] = e;
    else tally.down.push([s, e]);
  }
  return tally;
}

/** Percent of the known time the service was up; null when nothing is known. */
export function availabilityPct(t: { upMs: number; downMs: number }): number | null {
  const known = t.upMs + t.downMs;
  return known ? (100 * t.upMs) / known : null;
}

/** Milliseconds [a0, a1) and [b0, b1) share. */
export const overlapMs = (a0: number, a1: number, b0: number, b1: number) => Math.max(0, Math.min(a1, b1) - Math.max(a0, b0));
