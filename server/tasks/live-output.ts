/**
 * A task's live events for whoever watches it (the SSE route): output chunks as agents send them
 * and host/task state changes. In memory and per node: what a watcher missed is in the stored
 * results, which the route sends first.
 */
export type LiveEvent =
  | { type: 'output'; host_id: string; stream: 'stdout' | 'stderr'; data: string }
  | { type: 'host'; host_id: string; state: string; exit_code: number | null; message: string | null }
  | { type: 'task'; state: string };

export class LiveOutput {
  private readonly watchers = new Map<string, Set<(e: LiveEvent) => void>>();

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
    const set = this.watchers.get(taskId);
    if (set) for (const l of set) l(event);
  }
}
