/**
 * Coalesces writes into one statement per short window: 5,000 agents reporting within a second
 * become a handful of UPDATEs instead of 5,000. Each caller's promise settles when its batch is
 * committed, so a frame is acked only once its result is stored.
 */
export class WriteBatcher<T, R> {
  private pending: Array<{ item: T; resolve: (r: R | undefined) => void; reject: (err: unknown) => void }> = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    /** Writes the items; returns one answer per item, in order (undefined: nothing written for it). */
    private readonly write: (items: T[]) => Promise<Array<R | undefined>>,
    private readonly opts: { maxItems: number; maxWaitMs: number },
  ) {}

  add(item: T): Promise<R | undefined> {
    return new Promise((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      if (this.pending.length >= this.opts.maxItems) this.flush();
      else this.timer ??= setTimeout(() => this.flush(), this.opts.maxWaitMs);
    });
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.pending;
    this.pending = [];
    this.write(batch.map((p) => p.item)).then(
      (answers) => batch.forEach((p, i) => p.resolve(answers[i])),
      (err) => batch.forEach((p) => p.reject(err)),
    );
  }
}
