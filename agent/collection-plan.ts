/**
 * Which built-in collectors run at which interval: those the server's configuration names at their
 * own interval, all others together at the agent's default interval. Pure, so the runtime only
 * keeps one timer per round of the plan.
 */
import { COLLECTORS, type CollectorName, type CollectorSchedule } from '../protocol/messages.js';

export interface CollectionRound {
  intervalS: number;
  /** Collectors of this round; undefined means all of them (no configuration names any). */
  only?: CollectorName[];
}

export function collectionPlan(defaultIntervalS: number, schedules: readonly CollectorSchedule[]): CollectionRound[] {
  if (!schedules.length) return [{ intervalS: defaultIntervalS }];
  const byInterval = new Map<number, CollectorName[]>();
  const named = new Set<CollectorName>();
  const add = (intervalS: number, name: CollectorName) => byInterval.set(intervalS, [...(byInterval.get(intervalS) ?? []), name]);
  for (const s of schedules) {
    if (named.has(s.name)) continue;
    named.add(s.name);
    add(s.intervalS, s.name);
  }
  for (const name of COLLECTORS) if (!named.has(name)) add(defaultIntervalS, name);
  return [...byInterval.entries()].sort((a, b) => a[0] - b[0]).map(([intervalS, only]) => ({ intervalS, only }));
}

/** The `collectors` of a configuration's monitoring part; entries this agent does not know are skipped. */
export function readCollectorSchedules(monitoring: Record<string, unknown>): { schedules: CollectorSchedule[]; skipped: unknown[] } {
  const list = Array.isArray(monitoring.collectors) ? monitoring.collectors : [];
  const schedules: CollectorSchedule[] = [];
  const skipped: unknown[] = [];
  for (const raw of list) {
    const s = raw as CollectorSchedule;
    const ok = s && (COLLECTORS as readonly string[]).includes(s.name) && Number.isInteger(s.intervalS) && s.intervalS >= 1;
    if (ok) schedules.push({ name: s.name, intervalS: s.intervalS });
    else skipped.push(raw);
  }
  return { schedules, skipped };
}
