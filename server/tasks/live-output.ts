/**
 * A task's live events for whoever watches it (the SSE route): output chunks as agents send them
 * and host/task state changes. Published on the event bus, so in a cluster a watcher on any node sees
 * the output of agents held by another. Not stored: what a watcher missed is in the stored results,
 * which the route sends first.
 */
import type { EventBus } from '../events.js';

export type LiveEvent =
  | { type: 'output'; hostId: string; stream: 'stdout' | 'stderr'; data: string }
  | { type: 'host'; hostId: string; state: string; exitCode: number | null; message: string | null }
  | { type: 'task'; state: string };

export class LiveOutput {
  private readonly watchers = new Map<string, Set<(e: LiveEvent) => void>>();

  constructor(private readonly bus?: EventBus) {
    bus?.on('task.live', ({ taskId, event }) => this.deliver(taskId, event));
  }

  watch(taskId: string, listener: (e: LiveEvent) => void): () => void {
    let set = this.watchers.get(taskId);
    if (!set) this.watchers.set(taskId, (set = new Set()));
    set.add(listener);
    return () => {
      set!.delete(listener);
      if (!set!.size) this.watchers.delete(taskId);
    };
  }

  watched(taskId: string): boolean {
    return this.watchers.has(taskId);
  }

  publish(taskId: string, event: LiveEvent): void {
    if (this.bus) this.bus.emit('task.live', { taskId, event });
    else this.deliver(taskId, event);
  }

  private deliver(taskId: string, event: LiveEvent): void {
    const set = this.watchers.get(taskId);
    if (set) for (const l of set) l(event);
  }
}
