/**
 * Runs the checks of the agent's monitoring configuration on their intervals. A new configuration
 * is applied in place: unchanged items keep their timers, changed ones restart, removed ones stop;
 * nothing restarts the agent. Results become points handed to `emit` (the agent's spool).
 */
import type { Logger } from 'pino';
import type { CheckItem, MetricPoint } from '../../protocol/messages.js';
import { parseJsonOutput, parseNagiosOutput, resultPoints, type CheckResult } from './check-output.js';
import type { PluginRunner } from './plugin-runner.js';
import { checkCertificate, checkHttp, checkProcess, checkTcp } from './service-checks.js';

export type { CheckItem };

export interface CheckSchedulerOptions {
  runner: PluginRunner;
  emit(points: MetricPoint[]): void;
  log: Logger;
}

interface Scheduled {
  item: CheckItem;
  fingerprint: string;
  timer: NodeJS.Timeout | undefined;
  running: boolean;
  refusalLogged: boolean;
}

export class CheckScheduler {
  private readonly items = new Map<string, Scheduled>();
  private version: string | undefined;
  private stopped = false;

  constructor(private readonly opts: CheckSchedulerOptions) {}

  get configVersion(): string | undefined {
    return this.version;
  }

  get keys(): string[] {
    return [...this.items.keys()];
  }

  /** Takes a configuration; the same version twice does nothing. Malformed items are skipped and logged. */
  apply(monitoring: unknown, version: string | undefined): void {
    if (this.stopped || (version !== undefined && version === this.version)) return;
    const list = Array.isArray((monitoring as any)?.items) ? ((monitoring as any).items as unknown[]) : [];
    const next = new Map<string, CheckItem>();
    for (const raw of list) {
      const item = raw as CheckItem;
      if (!item || typeof item.key !== 'string' || typeof item.intervalS !== 'number' || item.intervalS < 1 || typeof item.type !== 'string') {
        this.opts.log.warn({ item: raw }, 'ignoring a malformed check item');
        continue;
      }
      next.set(item.key, item);
    }
    for (const [key, s] of this.items) {
      if (!next.has(key) || JSON.stringify(next.get(key)) !== s.fingerprint) {
        clearTimeout(s.timer);
        this.items.delete(key);
      }
    }
    for (const [key, item] of next) {
      if (this.items.has(key)) continue;
      const s: Scheduled = { item, fingerprint: JSON.stringify(item), timer: undefined, running: false, refusalLogged: false };
      this.items.set(key, s);
      // A first result soon, spread a little so a config with many items does not start them all at once.
      this.schedule(s, Math.floor(Math.random() * Math.min(1000, item.intervalS * 100)));
    }
    this.version = version;
    this.opts.log.info({ version, items: next.size }, 'monitoring configuration applied');
  }

  stop(): void {
    this.stopped = true;
    for (const s of this.items.values()) clearTimeout(s.timer);
    this.items.clear();
  }

  private schedule(s: Scheduled, delayMs: number): void {
    s.timer = setTimeout(() => void this.runOnce(s), delayMs);
    s.timer.unref?.();
  }

  private async runOnce(s: Scheduled): Promise<void> {
    if (this.items.get(s.item.key) !== s) return;
    const started = performance.now();
    const t = Date.now();
    if (!s.running) {
      s.running = true;
      try {
        const result = await this.check(s.item);
        if (this.items.get(s.item.key) === s) this.opts.emit(resultPoints(s.item.key, result, performance.now() - started, t));
        if (result.refused && !s.refusalLogged) {
          s.refusalLogged = true; // once per configuration of the item: it is refused at every interval
          this.opts.log.warn({ item: s.item.key, command: s.item.command, reason: result.refused }, result.message);
        }
        if (result.status !== 0) this.opts.log.debug({ item: s.item.key, status: result.status }, result.message);
      } catch (err) {
        this.opts.log.error({ err, item: s.item.key }, 'check failed');
      } finally {
        s.running = false;
      }
    }
    if (this.items.get(s.item.key) === s) {
      const ms = s.item.intervalS * 1000;
      this.schedule(s, Math.max(0, ms - (performance.now() - started)));
    }
  }

  /** One check's result; never throws for a check's own failure. */
  async check(item: CheckItem): Promise<CheckResult> {
    const timeoutMs = Math.max(1, item.timeoutS) * 1000;
    const params = item.params ?? {};
    switch (item.type) {
      case 'tcp':
        return checkTcp(params, timeoutMs);
      case 'http':
        return checkHttp(params, timeoutMs);
      case 'process':
        return checkProcess(params);
      case 'cert':
        return checkCertificate(params, timeoutMs);
      case 'plugin': {
        const run = await this.opts.runner.run(item.command ?? '', item.args ?? [], timeoutMs);
        if (run.refused) return { status: 3, message: `UNKNOWN - ${run.refused.message}`, metrics: [], refused: run.refused.reason };
        if (run.error) return { status: 3, message: `UNKNOWN - ${run.error}`, metrics: [] };
        if (run.timedOut) return { status: 3, message: `UNKNOWN - plugin ${item.command} timed out after ${item.timeoutS} s`, metrics: [] };
        const json = item.output === 'json' || (item.output !== 'nagios' && run.stdout.trimStart().startsWith('{'));
        const result = json ? parseJsonOutput(run.stdout, run.exitCode) : parseNagiosOutput(run.stdout, run.exitCode);
        if (run.truncated) result.message += ' (output truncated)';
        return result;
      }
      default:
        return { status: 3, message: `UNKNOWN - this agent has no check type ${String(item.type)}`, metrics: [] };
    }
  }
}
