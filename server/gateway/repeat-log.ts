/**
 * Logs a refusal once per (agent, code) per interval, then how many more there were: an agent
 * sending thousands of bad frames a second must not write megabytes of log (or a stack each time).
 * Bounded: past `maxKeys` distinct keys in one interval, further ones are only counted in total.
 */
import type { Logger } from '../log.js';

export class RepeatLog {
  private counts = new Map<string, { fields: Record<string, unknown>; message: string; more: number }>();
  private overflow = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly log: Logger,
    intervalMs = 60_000,
    private readonly maxKeys = 10_000,
  ) {
    this.timer = setInterval(() => this.flush(), intervalMs);
    this.timer.unref();
  }

  warn(key: string, fields: Record<string, unknown>, message: string): void {
    const seen = this.counts.get(key);
    if (seen) {
      seen.more++;
      return;
    }
    if (this.counts.size >= this.maxKeys) {
      this.overflow++;
      return;
    }
    this.counts.set(key, { fields, message, more: 0 });
    this.log.warn(fields, message);
  }

  /** Writes the counts of the interval that ends and starts a new one. */
  flush(): void {
    for (const { fields, message, more } of this.counts.values()) {
      if (more) this.log.warn({ ...fields, repeated: more }, `${message} (${more} more times in the last interval)`);
    }
    if (this.overflow) this.log.warn({ refusals: this.overflow }, 'more refusals from too many sources to log each');
    this.counts = new Map();
    this.overflow = 0;
  }

  stop(): void {
    clearInterval(this.timer);
    this.flush();
  }
}
