/**
 * Trigger evaluation throughput (tinybench): 10,000 triggers over 1,000 hosts' recent points,
 * the work the server does when a round of data arrives or the nodata timer fires.
 * npx tsx bench/triggers.bench.ts
 */
import { Bench } from 'tinybench';
import { HostSeries } from '../server/monitor/series-windows.js';
import { evaluate, nextState, type TriggerState } from '../server/monitor/trigger-evaluate.js';
import { parseTriggerExpression, selectorsOf, type TriggerExpr } from '../server/monitor/trigger-expression.js';

const HOSTS = 1000;
const TRIGGERS_PER_HOST = 10;
const POINTS = 30; // 5 minutes at 10 s
const now = Date.now();

const kinds = [
  ['last(tcp_22.status) >= 2', null],
  ['avg(cpu.usage_pct{cpu="total"}, 5m) > 90', 'avg(cpu.usage_pct{cpu="total"}, 5m) < 80'],
  ['max(load.1m, 5m) > 8', null],
  ['min(mem.available_bytes, 5m) < 100000000', null],
  ['count(http.errors, 5m) > 20', null],
  ['change(disk.used_pct{mount="/"}, 5m) > 10', null],
  ['nodata(agent.up, 1m)', null],
  ['last(fs.used_pct{mount="/"}) > 95 or last(fs.used_pct{mount="/var"}) > 95', null],
  ['avg(net.rx_bytes_per_s{iface="eth0"}, 2m) > 1e9 and last(tcp_22.status) = 0', null],
  ['last(proc_nginx.count) < 1', null],
] as const;

const compiled = kinds.map(([p, r]) => ({ problem: parseTriggerExpression(p), recovery: r ? parseTriggerExpression(r) : null }));
const hosts: HostSeries[] = [];
for (let h = 0; h < HOSTS; h++) {
  const hs = new HostSeries();
  for (const c of compiled) for (const { sel, windowMs } of selectorsOf(c.problem)) hs.want(sel.metric, Math.max(windowMs, 300_000));
  for (let i = 0; i < POINTS; i++) {
    const t = now - (POINTS - i) * 10_000;
    for (const m of hs.metrics()) {
      hs.add({ name: m, t, v: Math.random() * 100, labels: { cpu: 'total', mount: '/', iface: 'eth0' } });
      if (m === 'fs.used_pct') hs.add({ name: m, t, v: Math.random() * 100, labels: { mount: '/var' } });
    }
  }
  hosts.push(hs);
}
const states: TriggerState[] = new Array(HOSTS * TRIGGERS_PER_HOST).fill('ok');

function evaluateAll(): void {
  let k = 0;
  for (const hs of hosts) {
    for (const c of compiled) {
      const p = evaluate(c.problem as TriggerExpr, hs, now);
      const r = c.recovery ? evaluate(c.recovery, hs, now) : null;
      states[k] = nextState(states[k], p, r);
      k++;
    }
  }
}

const bench = new Bench({ time: 2000, warmupTime: 300 });
bench.add(`evaluate ${HOSTS * TRIGGERS_PER_HOST} triggers (${POINTS} points per series)`, evaluateAll);
await bench.run();
for (const t of bench.tasks) {
  const r = t.result as any;
  const hz = r?.throughput?.mean ?? r?.hz;
  const meanMs = r?.latency?.mean ?? r?.mean;
  console.table([
    { task: t.name, 'rounds/s': Math.round(hz), 'mean ms per round': +meanMs.toFixed(2), 'trigger evaluations/s': Math.round(hz * HOSTS * TRIGGERS_PER_HOST) },
  ]);
}
