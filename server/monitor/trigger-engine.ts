/**
 * Evaluates triggers as data arrives and on a timer (for nodata). Per host it holds the compiled
 * triggers of its templates, the recent points they read and each trigger's state; work for one
 * host runs in order (a promise chain), hosts independently. A state change is handed to
 * `transition`, which records the problem or recovery; the state moves at once, in memory, so a
 * problem already open is never raised a second time while the write is under way.
 */
import type { Logger } from '../log.js';
import type { IngestBatch } from '../store/metric-store.js';
import { HostSeries } from './series-windows.js';
import type { CompiledTrigger } from './template-model.js';
import { evaluate, firstValue, nextState, type TriggerState } from './trigger-evaluate.js';
import { selectorsOf, usesNodata } from './trigger-expression.js';

export interface TriggerEngineDeps {
  /** The triggers of a host's templates and the refs of its open problems. */
  load(hostId: string): Promise<{ triggers: CompiledTrigger[]; openRefs: Set<string> }>;
  transition(hostId: string, trigger: CompiledTrigger, to: TriggerState, value: number | null): Promise<void>;
  /** An open problem whose trigger no longer applies to the host (template changed or unlinked). */
  orphaned(hostId: string, ref: string): Promise<void>;
  log: Logger;
  now?: () => number;
}

interface HostState {
  series: HostSeries;
  triggers: CompiledTrigger[];
  states: Map<string, TriggerState>;
  gen: number;
  hasNodata: boolean;
  chain: Promise<void>;
}

/** Points are kept at least this long, so last() and change() have a previous value. */
const MIN_KEEP_MS = 60_000;

export class TriggerEngine {
  private readonly hosts = new Map<string, HostState>();
  private gen = 0;
  evaluations = 0;

  constructor(private readonly deps: TriggerEngineDeps) {}

  private now(): number {
    return this.deps.now?.() ?? Date.now();
  }

  /** Templates changed: every host reloads its triggers before its next evaluation. */
  invalidate(): void {
    this.gen++;
  }

  /** Starts watching a host even before its data arrives (its nodata triggers must fire too). */
  watch(hostId: string): Promise<void> {
    return this.enqueue(hostId, async () => undefined);
  }

  onBatches(batches: readonly IngestBatch[]): void {
    const byHost = new Map<string, IngestBatch[]>();
    for (const b of batches) {
      const list = byHost.get(b.hostId);
      if (list) list.push(b);
      else byHost.set(b.hostId, [b]);
    }
    for (const [hostId, list] of byHost) {
      const known = this.hosts.get(hostId);
      // Nothing to evaluate on a host whose current templates hold no trigger: no work queued per batch.
      if (known && known.gen === this.gen && known.triggers.length === 0) continue;
      void this.enqueue(hostId, async (h) => {
        let added = false;
        for (const b of list) for (const p of b.points) if (h.series.add(p)) added = true;
        if (added) await this.evaluateHost(hostId, h, false);
      });
    }
  }

  /** The timer: nodata triggers of the watched hosts this node evaluates (data-driven ones only change when data comes). */
  tick(evaluates: (hostId: string) => boolean = () => true): Promise<void> {
    const work: Promise<void>[] = [];
    for (const [hostId, h] of this.hosts) {
      if (!evaluates(hostId)) continue;
      if (h.hasNodata || h.gen !== this.gen) work.push(this.enqueue(hostId, (hs) => this.evaluateHost(hostId, hs, true)));
    }
    return Promise.all(work).then(() => undefined);
  }

  /** Waits until every queued evaluation has finished (tests, shutdown). */
  async settle(): Promise<void> {
    await Promise.all([...this.hosts.values()].map((h) => h.chain));
  }

  private enqueue(hostId: string, fn: (h: HostState) => Promise<void>): Promise<void> {
    let h = this.hosts.get(hostId);
    if (!h) {
      h = { series: new HostSeries(), triggers: [], states: new Map(), gen: -1, hasNodata: false, chain: Promise.resolve() };
      this.hosts.set(hostId, h);
    }
    const host = h;
    const run = host.chain.then(async () => {
      if (host.gen !== this.gen) await this.reload(hostId, host);
      await fn(host);
    });
    host.chain = run.catch((err) => this.deps.log.error({ err, host: hostId }, 'trigger evaluation failed'));
    return host.chain;
  }

  private async reload(hostId: string, h: HostState): Promise<void> {
    const gen = this.gen;
    const { triggers, openRefs } = await this.deps.load(hostId);
    h.triggers = triggers;
    h.hasNodata = triggers.some((t) => usesNodata(t.problem) || (t.recovery !== null && usesNodata(t.recovery)));
    for (const t of triggers) {
      for (const expr of [t.problem, t.recovery]) {
        if (expr) for (const { sel, windowMs } of selectorsOf(expr)) h.series.want(sel.metric, Math.max(windowMs, MIN_KEEP_MS));
      }
    }
    const states = new Map<string, TriggerState>();
    for (const t of triggers) states.set(t.ref, h.states.get(t.ref) ?? (openRefs.has(t.ref) ? 'problem' : 'ok'));
    for (const ref of openRefs) if (!states.has(ref)) await this.deps.orphaned(hostId, ref);
    h.states = states;
    h.gen = gen;
  }

  private async evaluateHost(hostId: string, h: HostState, nodataOnly: boolean): Promise<void> {
    const now = this.now();
    for (const t of h.triggers) {
      if (nodataOnly && !usesNodata(t.problem) && !(t.recovery && usesNodata(t.recovery))) continue;
      this.evaluations++;
      const before = h.states.get(t.ref) ?? 'ok';
      const problem = evaluate(t.problem, h.series, now);
      const recovery = t.recovery ? evaluate(t.recovery, h.series, now) : null;
      const after = nextState(before, problem, recovery);
      if (after === before) continue;
      h.states.set(t.ref, after);
      const value = firstValue(t.problem, h.series, now) ?? null;
      try {
        await this.deps.transition(hostId, t, after, value);
      } catch (err) {
        // Not recorded: go back, so the next evaluation tries again.
        h.states.set(t.ref, before);
        this.deps.log.error({ err, host: hostId, trigger: t.ref }, 'recording a trigger change failed');
      }
    }
  }
}
