/**
 * Rate limits: a token bucket per key (remote address, caller, login name), refilled continuously.
 * Buckets live in this process: each node limits what reaches it, which bounds the load on that
 * node and on the stores behind it. The map is bounded: past `maxKeys` the least recently used
 * bucket goes (it would be nearly full anyway).
 */
import { AppError } from '../errors.js';

export interface Bucket {
  tokens: number;
  at: number;
}

/** Refills `b` up to now and takes `cost` tokens; returns 0 when taken, else the ms until they will be there. */
export function takeTokens(b: Bucket, now: number, ratePerS: number, burst: number, cost = 1): number {
  refill(b, now, ratePerS, burst);
  if (b.tokens >= cost) {
    b.tokens -= cost;
    return 0;
  }
  return waitMs(b, ratePerS, cost);
}

/** Like takeTokens without taking: 0 when `cost` tokens are there now, else the wait in ms. */
export function peekTokens(b: Bucket, now: number, ratePerS: number, burst: number, cost = 1): number {
  refill(b, now, ratePerS, burst);
  return b.tokens >= cost ? 0 : waitMs(b, ratePerS, cost);
}

function refill(b: Bucket, now: number, ratePerS: number, burst: number): void {
  if (now > b.at) b.tokens = Math.min(burst, b.tokens + ((now - b.at) * ratePerS) / 1000);
  b.at = Math.max(b.at, now);
}

const waitMs = (b: Bucket, ratePerS: number, cost: number) => Math.ceil(((cost - b.tokens) * 1000) / ratePerS);

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    readonly ratePerS: number,
    readonly burst: number,
    private readonly maxKeys = 100_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Takes a token for `key`; 0 when allowed, else ms to wait. */
  take(key: string, cost = 1): number {
    return takeTokens(this.bucket(key), this.now(), this.ratePerS, this.burst, cost);
  }

  /** 0 when `key` could take a token now, else ms to wait; takes nothing. */
  peek(key: string): number {
    const b = this.buckets.get(key);
    return b ? peekTokens(b, this.now(), this.ratePerS, this.burst) : 0;
  }

  /** Puts back `cost` tokens taken for an attempt that turned out not to count (never above the burst). */
  giveBack(key: string, cost = 1): void {
    const b = this.buckets.get(key);
    if (!b) return;
    refill(b, this.now(), this.ratePerS, this.burst);
    b.tokens = Math.min(this.burst, b.tokens + cost);
  }

  get size(): number {
    return this.buckets.size;
  }

  private bucket(key: string): Bucket {
    let b = this.buckets.get(key);
    if (b) {
      // Re-insert: the map's order is then least recently used first.
      this.buckets.delete(key);
    } else {
      b = { tokens: this.burst, at: this.now() };
      if (this.buckets.size >= this.maxKeys) this.buckets.delete(this.buckets.keys().next().value!);
    }
    this.buckets.set(key, b);
    return b;
  }
}

/** A rate limit's refusal, with the wait in whole seconds (at least 1). */
export function tooManyRequests(waitMs: number, code: string, what: string): AppError {
  const retryAfter = Math.max(1, Math.ceil(waitMs / 1000));
  return new AppError(code, 'too_many', `${what}; retry in ${retryAfter} s`, { retry_after_s: retryAfter }, { retryAfterS: retryAfter });
}
