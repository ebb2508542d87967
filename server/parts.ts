/**
 * The running node's lifetime: named parts started in the order given and stopped in reverse
 * (server/app.ts lists them). A start that fails stops what had started, in reverse, and rethrows.
 */
import type { Logger } from './log.js';

/**
 * A piece of the running node. Parts start in the order they are listed and stop in reverse, so a
 * part is stopped before anything it uses. A part with only `stop` marks where in the shutdown a
 * module built earlier takes its next step (the gateway stops taking frames, then drains, then closes).
 */
export interface Part {
  name: string;
  start?(): unknown;
  stop?(): unknown;
}

/** Starts the parts in order; returns the stop: each started part's, the last started first. */
export async function startParts(parts: readonly Part[], log: Logger): Promise<() => Promise<void>> {
  const started: Part[] = [];
  const stop = async () => {
    while (started.length) await started.pop()!.stop?.();
  };
  for (const part of parts) {
    try {
      await part.start?.();
    } catch (err) {
      log.error({ err, part: part.name }, 'start failed; stopping what started');
      await stop().catch((e) => log.error({ err: e }, 'stop after a failed start failed'));
      throw err;
    }
    started.push(part);
  }
  return stop;
}
