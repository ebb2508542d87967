/**
 * Dynamic host group rules: { field, op, value }, all of a group's rules must hold. Pure validation;
 * the database evaluates them (schema/031_cmdb_hosts.sql host_rule_matches).
 *
 * Fields: hostname, tags (host's and asset's), os, agent_state, and the asset's type, state, idc, rack,
 * owner, business_unit; any other asset column as asset.<column>, custom fields as asset.custom.<name>.
 * Ops: eq, neq, in (value a list), prefix, contains (case-insensitive), exists (no value).
 */
import { AppError } from '../errors.js';
import { ASSET_COLUMNS_FOR_RULES } from './asset-fields.js';

export const RULE_OPS = ['eq', 'neq', 'in', 'prefix', 'contains', 'exists'] as const;
export type RuleOp = (typeof RULE_OPS)[number];

export interface HostRule {
  field: string;
  op: RuleOp;
  value?: string | string[];
}

const TOP_FIELDS = new Set(['asset', 'hostname', 'tags', 'os', 'agent_state', 'type', 'state', 'idc', 'rack', 'owner', 'business_unit']);

export function checkRules(rules: readonly HostRule[]): HostRule[] {
  return rules.map((r, i) => {
    const where = `body.rules[${i}]`;
    const bad = (msg: string) => new AppError('VALIDATION_FAILED', 'invalid', `${where}: ${msg}`, { field: where });
    const parts = r.field.split('.');
    const known = TOP_FIELDS.has(r.field) || (parts[0] === 'asset' && ASSET_COLUMNS_FOR_RULES.has(parts[1]) && (parts.length === 2 || parts[1] === 'custom'));
    if (!known || parts.some((p) => !p))
      throw bad(`no field "${r.field}" (see docs/cmdb.md: hostname, tags, os, type, idc, ... or asset.<column>, asset.custom.<name>)`);
    if (r.op === 'exists') return { field: r.field, op: r.op };
    if (r.op === 'in') {
      if (!Array.isArray(r.value) || !r.value.length) throw bad('"in" needs a non-empty list of values');
    } else if (typeof r.value !== 'string') throw bad(`"${r.op}" needs one string value`);
    return { field: r.field, op: r.op, value: r.value };
  });
}
