/**
 * What a template holds and how a host's templates become one agent configuration and one set of
 * triggers. Pure: the store loads rows, this merges and checks them.
 */
import { createHash } from 'node:crypto';
import { CHECK_TYPES, COLLECTORS, type CheckItem, type CollectorName, type CollectorSchedule } from '../../protocol/messages.js';
import { AppError } from '../errors.js';
import { parseTriggerExpression, ExpressionError, type TriggerExpr } from './trigger-expression.js';
import { SEVERITIES, type Severity } from './trigger-evaluate.js';

/** Checks the agent runs, and `collector`: one of the agent's built-in metric collectors at its own interval. */
export const ITEM_TYPES = [...CHECK_TYPES, 'collector'] as const;
export type ItemType = (typeof ITEM_TYPES)[number];

/**
 * One thing an agent checks on a schedule. Its results arrive as metrics named after the key:
 * `<key>.status` (0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN), `<key>.duration_ms`, and one
 * `<key>.<label>` per perfdata label or JSON metric.
 */
export interface TemplateItem {
  key: string;
  type: ItemType;
  interval_s: number;
  timeout_s?: number;
  /** collector: the built-in collector (COLLECTORS) to run every interval_s; its metrics keep their own names. */
  collector?: string;
  /** plugin: executable name (looked up in the agent's plugin folders) and its arguments. */
  command?: string;
  args?: string[];
  /** plugin: how to read its output; auto takes JSON when stdout starts with "{". */
  output?: 'nagios' | 'json' | 'auto';
  /** tcp: host, port; http: url, expect_status, method; process: name | pattern, min; cert: host, port, servername, warn_days, crit_days. */
  params?: Record<string, string | number | boolean>;
}

export interface TemplateTrigger {
  key: string;
  name: string;
  severity: Severity;
  expression: string;
  recovery?: string;
  description?: string;
}

export interface TemplateRow {
  id: string;
  name: string;
  items: TemplateItem[];
  triggers: TemplateTrigger[];
}

/** Item as the agent gets it: the wire protocol's CheckItem. */
export type AgentCheckItem = CheckItem;

export interface AgentMonitoring {
  items: AgentCheckItem[];
  /** Present only when a template names a collector, so configurations without any keep their version. */
  collectors?: CollectorSchedule[];
}

/** A trigger ready to evaluate on one host. */
export interface CompiledTrigger {
  ref: string;
  templateId: string;
  name: string;
  severity: Severity;
  expression: string;
  problem: TriggerExpr;
  recovery: TriggerExpr | null;
}

const KEY = /^[a-zA-Z_][a-zA-Z0-9_]{0,63}$/;
const COMMAND = /^[a-zA-Z0-9_.+-]{1,128}$/;
const DEFAULT_TIMEOUT_S = 10;

const invalid = (field: string, message: string) => new AppError('VALIDATION_FAILED', 'invalid', `${field}: ${message}`, { field });

function requireParam(item: TemplateItem, field: string, name: string, kind: 'string' | 'number'): void {
  const v = item.params?.[name];
  if (typeof v !== kind || (kind === 'string' && !(v as string).length))
    throw invalid(`${field}.params.${name}`, `a ${item.type} item needs ${name} (${kind})`);
}

/** Checks what JSON schemas cannot: unique keys, parameters per type, expressions that parse. */
export function checkTemplateContent(items: TemplateItem[], triggers: TemplateTrigger[]): void {
  const keys = new Set<string>();
  items.forEach((item, i) => {
    const field = `body.items[${i}]`;
    if (!KEY.test(item.key)) throw invalid(`${field}.key`, 'must match [a-zA-Z_][a-zA-Z0-9_]{0,63}');
    if (keys.has(item.key)) throw invalid(`${field}.key`, `key ${item.key} is used twice`);
    keys.add(item.key);
    if (item.timeout_s !== undefined && item.timeout_s > item.interval_s) throw invalid(`${field}.timeout_s`, 'must not exceed interval_s');
    if (item.type !== 'collector' && item.collector !== undefined) throw invalid(`${field}.collector`, 'only a collector item names a collector');
    switch (item.type) {
      case 'collector':
        if (!(COLLECTORS as readonly string[]).includes(item.collector ?? '')) {
          throw invalid(
            `${field}.collector`,
            `${item.collector === undefined ? 'a collector item needs a collector' : `unknown collector "${item.collector}"`}: one of ${COLLECTORS.join(', ')}`,
          );
        }
        for (const other of ['command', 'args', 'output', 'params', 'timeout_s'] as const) {
          if (item[other] !== undefined) throw invalid(`${field}.${other}`, 'a collector item takes only collector and interval_s');
        }
        break;
      case 'plugin':
        if (!item.command || !COMMAND.test(item.command))
          throw invalid(`${field}.command`, 'a plugin item needs a command: a file name in the agent’s plugin folders, no path');
        break;
      case 'tcp':
        requireParam(item, field, 'host', 'string');
        requireParam(item, field, 'port', 'number');
        break;
      case 'http':
        requireParam(item, field, 'url', 'string');
        if (!/^https?:\/\//.test(String(item.params!.url))) throw invalid(`${field}.params.url`, 'must be an http or https URL');
        break;
      case 'process':
        if (typeof item.params?.name !== 'string' && typeof item.params?.pattern !== 'string')
          throw invalid(`${field}.params`, 'a process item needs name or pattern');
        if (typeof item.params?.pattern === 'string') {
          try {
            new RegExp(item.params.pattern);
          } catch {
            throw invalid(`${field}.params.pattern`, 'is not a valid regular expression');
          }
        }
        break;
      case 'cert':
        requireParam(item, field, 'host', 'string');
        break;
    }
  });
  const tkeys = new Set<string>();
  triggers.forEach((t, i) => {
    const field = `body.triggers[${i}]`;
    if (!KEY.test(t.key)) throw invalid(`${field}.key`, 'must match [a-zA-Z_][a-zA-Z0-9_]{0,63}');
    if (tkeys.has(t.key)) throw invalid(`${field}.key`, `key ${t.key} is used twice`);
    tkeys.add(t.key);
    if (!SEVERITIES.includes(t.severity)) throw invalid(`${field}.severity`, `must be one of ${SEVERITIES.join(', ')}`);
    for (const which of ['expression', 'recovery'] as const) {
      if (which === 'recovery' && t.recovery === undefined) continue;
      try {
        parseTriggerExpression(t[which]!);
      } catch (err) {
        if (err instanceof ExpressionError) throw invalid(`${field}.${which}`, err.message);
        throw err;
      }
    }
  });
}

/**
 * Items of all a host's templates, as the agent runs them, with their hash. Checks: the first
 * template wins a key both use. Collectors: the union by collector name, at the shortest interval
 * any template asks for (a template asking for fresher data is never slowed down by another).
 */
export function agentMonitoring(templates: TemplateRow[]): { monitoring: AgentMonitoring; version: string } {
  const byKey = new Map<string, AgentCheckItem>();
  const collectors = new Map<CollectorName, number>();
  for (const t of templates) {
    for (const i of t.items) {
      if (i.type === 'collector') {
        const name = i.collector as CollectorName;
        collectors.set(name, Math.min(collectors.get(name) ?? Infinity, i.interval_s));
        continue;
      }
      if (byKey.has(i.key)) continue;
      const item: AgentCheckItem = {
        key: i.key,
        type: i.type as AgentCheckItem['type'],
        intervalS: i.interval_s,
        timeoutS: i.timeout_s ?? Math.min(DEFAULT_TIMEOUT_S, i.interval_s),
      };
      if (i.command !== undefined) item.command = i.command;
      if (i.args !== undefined) item.args = i.args;
      if (i.output !== undefined) item.output = i.output;
      if (i.params !== undefined) item.params = i.params;
      byKey.set(i.key, item);
    }
  }
  const items = [...byKey.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const monitoring: AgentMonitoring = { items };
  if (collectors.size) {
    monitoring.collectors = COLLECTORS.filter((c) => collectors.has(c)).map((name) => ({ name, intervalS: collectors.get(name)! }));
  }
  return { monitoring, version: createHash('sha256').update(JSON.stringify(monitoring)).digest('hex').slice(0, 16) };
}

export function compileTriggers(templates: TemplateRow[]): CompiledTrigger[] {
  const out: CompiledTrigger[] = [];
  for (const t of templates) {
    for (const tr of t.triggers) {
      out.push({
        ref: `${t.id}:${tr.key}`,
        templateId: t.id,
        name: tr.name,
        severity: tr.severity,
        expression: tr.expression,
        problem: parseTriggerExpression(tr.expression),
        recovery: tr.recovery ? parseTriggerExpression(tr.recovery) : null,
      });
    }
  }
  return out;
}

/** Whether adding include edges `from -> to[]` would close a cycle, given the current edges. */
export function includeCycle(edges: Map<string, string[]>, from: string, to: string[]): boolean {
  const seen = new Set<string>();
  const stack = [...to];
  while (stack.length) {
    const id = stack.pop()!;
    if (id === from) return true;
    if (seen.has(id)) continue;
    seen.add(id);
    stack.push(...(edges.get(id) ?? []));
  }
  return false;
}
