/**
 * The orders this agent has accepted, by (task id, nonce), until they expire: a replayed order is
 * refused even after an agent restart because the list is on disk (written atomically). Entries
 * are dropped once expired, since an expired order is refused anyway.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export class SeenOrders {
  private readonly seen = new Map<string, number>();

  /** `file` undefined keeps the list in memory only (tests, simulated agents). */
  constructor(private readonly file?: string) {
    if (!file) return;
    try {
      const saved = JSON.parse(readFileSync(file, 'utf8')) as Record<string, number>;
      for (const [k, exp] of Object.entries(saved)) this.seen.set(k, exp);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`cannot read ${file}: ${(err as Error).message}`);
    }
  }

  /** True when (taskId, nonce) is new: it is then remembered until expiresAt. */
  remember(taskId: string, nonce: string, expiresAt: number, now = Date.now()): boolean {
    const key = `${taskId}:${nonce}`;
    if (this.seen.has(key)) return false;
    for (const [k, exp] of this.seen) if (exp <= now) this.seen.delete(k);
    this.seen.set(key, expiresAt);
    this.save();
    return true;
  }

  private save(): void {
    if (!this.file) return;
    mkdirSync(dirname(this.file), { recursive: true, mode: 0o700 });
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, JSON.stringify(Object.fromEntries(this.seen)), { mode: 0o600 });
    renameSync(tmp, this.file);
  }
}
