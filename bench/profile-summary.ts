/**
 * Where a server's main thread went: a V8 CPU profile (AW_BENCH_PROFILE_DIR, bench/README.md) summed by
 * function (self time), largest first, as shares of the whole profile. "(garbage collector)" and
 * "(idle)" are V8's own entries: the collector's pauses on this thread, and time waiting for work.
 * With --stalls MS, also every stretch of MS or more without idle time (what an acknowledgement waited
 * behind), with the functions that held it (inclusive time, callers and callees alike).
 *
 *   npx tsx bench/profile-summary.ts FILE.cpuprofile [--top K] [--stalls MS]
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface Profile {
  nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }>;
  samples: number[];
  timeDeltas: number[];
}

const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '25' }, stalls: { type: 'string' } } });
if (positionals.length !== 1) {
  console.error('usage: npx tsx bench/profile-summary.ts FILE.cpuprofile [--top K] [--stalls MS]');
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

if (values.stalls) {
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const stalls: Array<{ at: number; us: number; held: Map<string, number> }> = [];
  let at = 0;
  let run: { at: number; us: number; held: Map<string, number> } | undefined;
  profile.samples.forEach((id, i) => {
    const us = profile.timeDeltas[i] ?? 0;
    at += us;
    if (nameOf.get(id) === '(idle)') {
      if (run && run.us >= Number(values.stalls) * 1000) stalls.push(run);
      run = undefined;
      return;
    }
    run ??= { at, us: 0, held: new Map() };
    run.us += us;
    const seen = new Set<string>();
    for (let n: number | undefined = id; n !== undefined; n = parent.get(n)) {
      const name = nameOf.get(n) ?? '(unknown)';
      if (name === '(root)' || seen.has(name)) continue;
      seen.add(name);
      run.held.set(name, (run.held.get(name) ?? 0) + us);
    }
  });
  console.log(`\n${stalls.length} stretches of ${values.stalls} ms or more without idle time`);
  for (const s of stalls) {
    console.log(`at ${(s.at / 1e6).toFixed(1)} s: ${(s.us / 1000).toFixed(0)} ms`);
    for (const [name, us] of [...s.held].sort((a, b) => b[1] - a[1]).slice(0, 8)) {
      console.log(`  ${(us / 1000).toFixed(0).padStart(5)} ms  ${name}`);
    }
  }
}
