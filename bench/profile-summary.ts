/**
 * Where a server's main thread went: a V8 CPU profile (AW_BENCH_PROFILE_DIR, bench/README.md) summed by
 * function (self time), largest first, as shares of the whole profile. "(garbage collector)" and
 * "(idle)" are V8's own entries: the collector's pauses on this thread, and time waiting for work.
 *
 *   npx tsx bench/profile-summary.ts FILE.cpuprofile [--top K]
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface Profile {
  nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number } }>;
  samples: number[];
  timeDeltas: number[];
}

const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '25' } } });
if (positionals.length !== 1) {
  console.error('usage: npx tsx bench/profile-summary.ts FILE.cpuprofile [--top K]');
  process.exit(2);
}

const profile = JSON.parse(readFileSync(positionals[0], 'utf8')) as Profile;
const nameOf = new Map(
  profile.nodes.map(({ id, callFrame: f }) => {
    // Paths from the project or node_modules on: the rest of a file URL only repeats the checkout.
    const file = f.url.replace(/^.*?\/(dist|node_modules)\//, '$1/');
    return [id, file ? `${f.functionName || '(anonymous)'} ${file}:${f.lineNumber + 1}` : f.functionName];
  }),
);
const self = new Map<string, number>();
let total = 0;
profile.samples.forEach((id, i) => {
  const us = profile.timeDeltas[i] ?? 0;
  const name = nameOf.get(id) ?? '(unknown)';
  self.set(name, (self.get(name) ?? 0) + us);
  total += us;
});

console.log(`${(total / 1e6).toFixed(1)} s profiled`);
for (const [name, us] of [...self].sort((a, b) => b[1] - a[1]).slice(0, Number(values.top))) {
  console.log(`${((100 * us) / total).toFixed(1).padStart(6)} %  ${name}`);
}
