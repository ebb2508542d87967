/**
 * Incident priority, ITIL style: P1 (most urgent) to P4 from impact x urgency through a matrix;
 * an incident's impact and urgency default from the severity of its most severe trigger. The
 * matrix, the severity defaults and the time targets are settings (itil_settings), checked here.
 */
import type { Severity } from '../monitor/trigger-evaluate.js';

export const PRIORITIES = ['P1', 'P2', 'P3', 'P4'] as const;
export type Priority = (typeof PRIORITIES)[number];
export const LEVELS = ['high', 'medium', 'low'] as const;
export type Level = (typeof LEVELS)[number];

export interface ItilSettings {
  /** matrix[impact][urgency] */
  matrix: Record<Level, Record<Level, Priority>>;
  /** The impact and urgency a new incident gets from its most severe trigger. */
  severity_defaults: Record<Severity, { impact: Level; urgency: Level }>;
  /** Time to acknowledge and to resolve each priority should take, seconds. */
  targets: Record<Priority, { acknowledge_s: number; resolve_s: number }>;
}

export const DEFAULT_SETTINGS: ItilSettings = {
  matrix: {
    high: { high: 'P1', medium: 'P2', low: 'P3' },
    medium: { high: 'P2', medium: 'P3', low: 'P4' },
    low: { high: 'P3', medium: 'P4', low: 'P4' },
  },
  severity_defaults: {
    disaster: { impact: 'high', urgency: 'high' },
    high: { impact: 'high', urgency: 'medium' },
    average: { impact: 'medium', urgency: 'medium' },
    warning: { impact: 'medium', urgency: 'low' },
    info: { impact: 'low', urgency: 'low' },
  },
  targets: {
    P1: { acknowledge_s: 15 * 60, resolve_s: 4 * 3600 },
    P2: { acknowledge_s: 30 * 60, resolve_s: 8 * 3600 },
    P3: { acknowledge_s: 4 * 3600, resolve_s: 3 * 86400 },
    P4: { acknowledge_s: 86400, resolve_s: 7 * 86400 },
  },
};

export const priorityOf = (s: ItilSettings, impact: Level, urgency: Level): Priority => s.matrix[impact][urgency];

export function classify(s: ItilSettings, severity: Severity): { impact: Level; urgency: Level; priority: Priority } {
  const d = s.severity_defaults[severity];
  return { ...d, priority: priorityOf(s, d.impact, d.urgency) };
}

/** One step more urgent (P1 stays P1). */
export const raised = (p: Priority): Priority => PRIORITIES[Math.max(0, PRIORITIES.indexOf(p) - 1)];

/** Lower is more urgent: P1 < P2. */
export const priorityRank = (p: Priority): number => PRIORITIES.indexOf(p);

/** A measured duration against its target: met while at most the target, null while still running. */
export function againstTarget(fromMs: number, toMs: number | null, targetS: number, nowMs: number) {
  const tookS = ((toMs ?? nowMs) - fromMs) / 1000;
  return { seconds: toMs === null ? null : Math.round(tookS), targetS, met: toMs === null ? (tookS <= targetS ? null : false) : tookS <= targetS };
}
