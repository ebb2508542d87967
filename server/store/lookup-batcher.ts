/**
 * Coalesces lookups by key into one query per short window. When thousands of agents reconnect at
 * once (a server restart), the gateway asks the database for their keys in a few queries of up to
 * `maxKeys` ids instead of one query per connection.
 */
export class LookupBatcher<K, V> {
  private waiting = new Map<K, Array<{ resolve: (v: V | undefined) => void; reject: (err: unknown) => void }>>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly fetch: (keys: K[]) => Promise<Map<K, V>>,
    private readonly opts: { maxKeys: number; maxWaitMs: number },
  ) {}

  get(key: K): Promise<V | undefined> {
    return new Promise((resolve, reject) => {
      const waiters = this.waiting.get(key);
      if (waiters) waiters.push({ resolve, reject });
      else this.waiting.set(key, [{ resolve, reject }]);
      if (this.waiting.size >= this.opts.maxKeys) this.flush();
      else this.timer ??= setTimeout(() => this.flush(), this.opts.maxWaitMs);
    });
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.waiting;
    this.waiting = new Map();
    this.fetch([...batch.keys()]).then(
      (found) => {
        for (const [key, waiters] of batch) for (const w of waiters) w.resolve(found.get(key));
      },
      (err) => {
        for (const waiters of batch.values()) for (const w of waiters) w.reject(err);
      },
    );
  }
}
