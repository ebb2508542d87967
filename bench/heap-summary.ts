/**
 * Where a server's heap goes: a V8 heap snapshot summed by kind of object (constructor name, or
 * "(string)", "(code)", ...), largest first, with bytes per agent and per series when given.
 *
 *   npx tsx bench/heap-summary.ts FILE.heapsnapshot [--agents N] [--series S] [--top K]
 *
 * bench:agents takes the snapshots itself with AW_BENCH_HEAP_DIR=<dir> (bench/README.md). Self sizes
 * only (what each object itself occupies; ArrayBuffer contents count as "system / JSArrayBufferData");
 * the snapshot is read whole, so keep it under ~400 MB (about 15,000 agents).
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { agents: { type: 'string' }, series: { type: 'string' }, top: { type: 'string', default: '25' } },
});
if (positionals.length !== 1) {
  console.error('usage: npx tsx bench/heap-summary.ts FILE.heapsnapshot [--agents N] [--series S] [--top K]');
  process.exit(2);
}

const snap = JSON.parse(readFileSync(positionals[0], 'utf8')) as Snapshot;
const fields = snap.snapshot.meta.node_fields;
const types = snap.snapshot.meta.node_types[0];
const [TYPE, NAME, SIZE] = ['type', 'name', 'self_size'].map((f) => fields.indexOf(f));

const kinds = new Map<string, { bytes: number; count: number }>();
let total = 0;
for (let i = 0; i < snap.nodes.length; i += fields.length) {
  const type = types[snap.nodes[i + TYPE]];
  const bytes = snap.nodes[i + SIZE];
  total += bytes;
  // Strings and code by kind only: their names are their contents.
  const kind = type.endsWith('string') ? '(string)' : type === 'code' ? '(code)' : `${snap.strings[snap.nodes[i + NAME]].slice(0, 60)} [${type}]`;
  const k = kinds.get(kind) ?? { bytes: 0, count: 0 };
  k.bytes += bytes;
  k.count++;
  kinds.set(kind, k);
}

const agents = Number(values.agents ?? 0);
const series = Number(values.series ?? 0);
const per = (bytes: number, n: number) => (n ? `${(bytes / n).toFixed(0).padStart(7)} B` : '');
console.log(
  `heap ${(total / 2 ** 20).toFixed(1)} MiB${agents ? `, ${(total / agents / 1024).toFixed(1)} KiB an agent` : ''}${series ? `, ${(total / series).toFixed(0)} B a series` : ''}`,
);
console.log(`${'MiB'.padStart(8)} ${'objects'.padStart(9)} ${agents ? '/agent'.padStart(9) : ''} ${series ? '/series'.padStart(9) : ''}  kind`);
for (const [kind, k] of [...kinds].sort((a, b) => b[1].bytes - a[1].bytes).slice(0, Number(values.top))) {
  console.log(`${(k.bytes / 2 ** 20).toFixed(2).padStart(8)} ${String(k.count).padStart(9)} ${per(k.bytes, agents)} ${per(k.bytes, series)}  ${kind}`);
}
