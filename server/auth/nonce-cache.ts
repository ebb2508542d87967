/**
 * Nonces of signed requests, remembered for as long as their timestamp could still be accepted
 * (twice the allowed clock skew), so a captured request cannot be replayed. In Redis when the
 * server has one (every node of a cluster sees every nonce), in memory otherwise.
 */
import type { Redis } from 'ioredis';
import { AppError } from '../errors.js';

export interface NonceCache {
  /** Remembers the nonce; true when it was not seen within `ttlS` seconds before. */
  remember(nonce: string, ttlS: number): Promise<boolean>;
}

/** Bounded: a full cache refuses (503) rather than forget nonces that could still be replayed. */
export class MemoryNonceCache implements NonceCache {
  // Insertion order is expiry order when every nonce gets the same ttl, so expired ones sit in front.
  private readonly seen = new Map<string, number>();

  constructor(
    private readonly maxEntries = 1_000_000,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.seen.size;
  }

  async remember(nonce: string, ttlS: number): Promise<boolean> {
    const now = this.now();
    for (const [key, expires] of this.seen) {
      if (expires > now) break;
      this.seen.delete(key);
    }
    const expires = this.seen.get(nonce);
    if (expires !== undefined && expires > now) return false;
    if (this.seen.size >= this.maxEntries) {
      throw new AppError('NONCE_CACHE_FULL', 'unavailable', 'too many signed requests in the replay window; retry shortly', undefined, { retryAfterS: 5 });
    }
    this.seen.set(nonce, now + ttlS * 1000);
    return true;
  }
}

export class RedisNonceCache implements NonceCache {
  constructor(
    private readonly redis: Redis,
    private readonly prefix = 'aw:nonce:',
  ) {}

  async remember(nonce: string, ttlS: number): Promise<boolean> {
    let reply: string | null;
    try {
      reply = await this.redis.set(this.prefix + nonce, '1', 'EX', ttlS, 'NX');
    } catch (err) {
      // Without the cache a replay cannot be told from a first request: refuse rather than guess.
      throw new AppError('NONCE_STORE_UNAVAILABLE', 'unavailable', `the replay cache is unreachable (${(err as Error).message}); retry shortly`, undefined, {
        retryAfterS: 5,
      });
    }
    return reply === 'OK';
  }
}
