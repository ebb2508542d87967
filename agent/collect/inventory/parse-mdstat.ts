import type { RaidArray } from '../../../protocol/inventory-report.js';

/**
 * Software RAID arrays from /proc/mdstat. An array line reads
 * "md2 : active raid5 sdf1[3](F) sde1[1] sdd1[0]" and the next "… blocks … [3/2] [UU_]", where an
 * underscore is a missing member. Members are listed by role number so the order does not churn.
 */
export function softwareRaidFromMdstat(text: string): RaidArray[] {
  const arrays: RaidArray[] = [];
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    const header = /^(md\S*)\s*:\s*(active|inactive)\s+(?:\([^)]*\)\s+)?(.*)$/.exec(line);
    if (!header) return;
    const [, name, activity, rest] = header;
    const tokens = rest.trim().split(/\s+/);
    const level = /^(raid\d+|linear|multipath|faulty)$/.test(tokens[0] ?? '') ? tokens.shift()! : null;
    const members = tokens
      .map((t) => /^(\S+?)\[(\d+)\]/.exec(t))
      .filter((m): m is RegExpExecArray => m !== null)
      .sort((a, b) => Number(a[2]) - Number(b[2]))
      .map((m) => m[1]);
    const detail = lines[i + 1] ?? '';
    const blocks = /^\s*(\d+) blocks/.exec(detail);
    const missingMember = /\[[U_]*_[U_]*\]/.test(detail);
    arrays.push({
      kind: 'software',
      name,
      level,
      members,
      state: activity === 'inactive' ? 'inactive' : missingMember ? 'degraded' : 'active',
      // mdstat counts 1 KiB blocks.
      sizeBytes: blocks ? Number(blocks[1]) * 1024 : null,
    });
  });
  return arrays;
}
