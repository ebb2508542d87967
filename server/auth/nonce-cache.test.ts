import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { needs } from '../../test/support/requires.js';
import { MemoryNonceCache, RedisNonceCache } from './nonce-cache.js';

describe('MemoryNonceCache', () => {
  it('refuses a nonce seen within its ttl and forgets it after', async () => {
    let now = 1_000_000;
    const cache = new MemoryNonceCache(10, () => now);
    expect(await cache.remember('a', 600)).toBe(true);
    expect(await cache.remember('a', 600)).toBe(false);
    now += 600_001;
    expect(await cache.remember('a', 600)).toBe(true);
  });

  it('when full of live nonces, refuses with 503 rather than forget one that could be replayed', async () => {
    let now = 0;
    const cache = new MemoryNonceCache(2, () => now);
    await cache.remember('a', 600);
    await cache.remember('b', 600);
    await expect(cache.remember('c', 600)).rejects.toMatchObject({ code: 'NONCE_CACHE_FULL', kind: 'unavailable' });
    now += 600_001;
    expect(await cache.remember('c', 600)).toBe(true);
    expect(cache.size).toBe(1);
  });
});

describe('RedisNonceCache', () => {
  needs('redis').it('keeps each nonce in Redis with its ttl, shared by every cache on that Redis', async () => {
    const a = new Redis(process.env.REDIS_URL!);
    const b = new Redis(process.env.REDIS_URL!);
    try {
      const prefix = `aw:test:nonce:${randomBytes(4).toString('hex')}:`;
      const nodeA = new RedisNonceCache(a, prefix);
      const nodeB = new RedisNonceCache(b, prefix);
      expect(await nodeA.remember('n1', 30)).toBe(true);
      expect(await nodeB.remember('n1', 30)).toBe(false);
      const ttl = await a.ttl(`${prefix}n1`);
      expect(ttl).toBeGreaterThan(25);
      expect(ttl).toBeLessThanOrEqual(30);
      await a.del(`${prefix}n1`);
    } finally {
      a.disconnect();
      b.disconnect();
    }
  });

  it('refuses with 503 NONCE_STORE_UNAVAILABLE when Redis cannot be reached, rather than let a replay through', async () => {
    // Port 1 on loopback: nothing listens there.
    const redis = new Redis('redis://127.0.0.1:1', { maxRetriesPerRequest: 0, retryStrategy: () => null, lazyConnect: true });
    redis.on('error', () => {});
    try {
      await expect(new RedisNonceCache(redis).remember('n', 30)).rejects.toMatchObject({ code: 'NONCE_STORE_UNAVAILABLE', kind: 'unavailable' });
    } finally {
      redis.disconnect();
    }
  });
});
