/**
 * Who is calling, and may they call now. Three ways to say who you are:
 *   - a session token from login (the dashboard):       Authorization: Bearer aws_...
 *   - an API key in the clear (other systems, over TLS): Authorization: Bearer awk_<id>.<secret>
 *   - a request signed with an API key (signing.ts):    X-AW-Key, -Timestamp, -Nonce, -Content-SHA256, -Signature
 *                                                       (and optionally -Signature-Parts, which names what changed)
 * No credentials means anonymous (public routes only). Credentials that are present but wrong are
 * refused with their own code even on public routes, so a misconfigured client learns at once.
 * Everything is decided from the headers, before the router reads the body: a stranger cannot make
 * the server store anything, nor hold more than one socket read. A signed request's signature
 * covers the body's hash as X-AW-Content-SHA256 states it; only that the body matches the hash
 * waits for the body (checkBody).
 * Rate limits: every request counts against its remote address before anything else is looked at,
 * then against its caller once known; both answer 429 with Retry-After.
 */
import type { Redis } from 'ioredis';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import type { Db } from '../store/db.js';
import { ApiKeyStore, checkKeyUsable, effectiveKeyScopes, secretMatches, type KeyCredentials } from './api-keys.js';
import { MemoryNonceCache, RedisNonceCache, type NonceCache } from './nonce-cache.js';
import { RateLimiter, tooManyRequests } from './rate-limit.js';
import { ROLE_SCOPES } from './scopes.js';
import { SessionStore, unauthenticated } from './sessions.js';
import { checkBodyHash, checkSignature, checkTimestamp, looksSigned, readSignedRequest } from './signing.js';
import type { Principal } from './principal.js';
import type { Authentication, GuardedRequest, RequestGuard } from './request-guard.js';
import { parseBearer } from './tokens.js';

export interface GuardDeps {
  db: Db;
  config: Pick<Config, 'api'>;
  log: Logger;
  /** Nonces go to Redis when there is one (shared by every node), to memory otherwise. */
  redis?: Redis;
  nonces?: NonceCache;
  now?: () => number;
}

/** last_used_at is written at most this often per session or key: reads must not each cost a write. */
const TOUCH_EVERY_MS = 60_000;

export function createRequestGuard(deps: GuardDeps): RequestGuard {
  const { api } = deps.config;
  const now = deps.now ?? Date.now;
  const sessions = new SessionStore(deps.db);
  const keys = new ApiKeyStore(deps.db);
  const nonces = deps.nonces ?? (deps.redis ? new RedisNonceCache(deps.redis) : new MemoryNonceCache());
  const perAddress = new RateLimiter(api.rateAddressPerS, api.rateAddressBurst, 100_000, now);
  const perCaller = new RateLimiter(api.rateCallerPerS, api.rateCallerBurst, 100_000, now);
  const touched = new Map<string, number>();

  /** Runs `write` unless `id` was touched within TOUCH_EVERY_MS; never fails the request. */
  const touch = (id: string, write: () => Promise<void>) => {
    const t = now();
    if ((touched.get(id) ?? 0) > t - TOUCH_EVERY_MS) return;
    if (touched.size > 100_000) touched.clear();
    touched.set(id, t);
    write().catch((err) => deps.log.warn({ err, id }, 'could not record last use'));
  };

  const keyPrincipal = (key: KeyCredentials, req: GuardedRequest): Principal => {
    checkKeyUsable(key, now());
    touch(key.id, () => keys.touch(key.id, req.remoteAddress));
    return {
      kind: 'api_key',
      id: key.id,
      name: key.name,
      role: key.ownerRole ?? undefined,
      scopes: effectiveKeyScopes(key.scopes, key.ownerRole),
      userId: key.ownerId ?? undefined,
    };
  };

  const unknownKey = () => unauthenticated('API_KEY_INVALID', 'API key id or secret is wrong');

  async function signed(req: GuardedRequest): Promise<Authentication> {
    const { parts, signature, partMacs } = readSignedRequest(req);
    checkTimestamp(parts.timestamp, now(), api.signatureSkewS);
    const key = await keys.credentials(parts.keyId);
    if (!key) throw unknownKey();
    checkSignature(parts, signature, key.signingKey, partMacs);
    const principal = keyPrincipal(key, req);
    // Only requests that proved the key reach the cache, so strangers cannot fill it.
    if (!(await nonces.remember(`${key.id}:${parts.nonce}`, 2 * api.signatureSkewS))) {
      throw unauthenticated('NONCE_REUSED', 'X-AW-Nonce was used before: every signed request needs a fresh nonce', { nonce: parts.nonce });
    }
    return { principal, checkBody: (body) => checkBodyHash(parts, body) };
  }

  async function bearer(req: GuardedRequest, header: string): Promise<Principal> {
    const credential = parseBearer(header);
    if (credential.kind === 'session') {
      const s = await sessions.resolve(credential.token);
      touch(s.sessionId, () => sessions.touch(s.sessionId));
      return { kind: 'user', id: s.userId, name: s.username, role: s.role, scopes: ROLE_SCOPES[s.role], sessionId: s.sessionId, userId: s.userId };
    }
    const key = await keys.credentials(credential.keyId);
    if (!key || !secretMatches(key, credential.secret)) throw unknownKey();
    if (key.requireSignature) {
      throw unauthenticated('SIGNATURE_REQUIRED', `API key ${key.id} only accepts signed requests (X-AW-Signature); its secret must not travel`);
    }
    return keyPrincipal(key, req);
  }

  /**
   * Prometheus clients that speak only Basic auth (promtool 2.42 takes credentials from the URL;
   * Grafana has a Basic auth switch) send an API key as the password, any user name: on /prometheus
   * only, and never a session token, so the rest of the API keeps Bearer alone.
   */
  function prometheusBasic(req: GuardedRequest, header: string): string | undefined {
    const m = /^Basic +([A-Za-z0-9+/=]+) *$/i.exec(header);
    if (!m || !req.path.startsWith('/prometheus/')) return undefined;
    const decoded = Buffer.from(m[1], 'base64').toString('utf8');
    const password = decoded.slice(decoded.indexOf(':') + 1);
    if (!decoded.includes(':') || !password.startsWith('awk_')) {
      throw unauthenticated('CREDENTIALS_MALFORMED', 'Basic auth on /prometheus takes an API key (awk_<id>.<secret>) as the password');
    }
    return `Bearer ${password}`;
  }

  return {
    async authenticate(req) {
      const wait = perAddress.take(req.remoteAddress);
      if (wait) throw tooManyRequests(wait, 'RATE_LIMITED', `too many requests from ${req.remoteAddress}`);
      const header = req.headers.authorization;
      if (looksSigned(req.headers)) {
        if (header !== undefined) throw unauthenticated('CREDENTIALS_MALFORMED', 'send either Authorization or a signature (X-AW-*), not both');
        return signed(req);
      }
      if (header !== undefined) return { principal: await bearer(req, prometheusBasic(req, header) ?? header) };
      return { principal: null };
    },
    admit(_req, principal) {
      if (!principal) return;
      const wait = perCaller.take(`${principal.kind}:${principal.id}`);
      if (wait) throw tooManyRequests(wait, 'RATE_LIMITED', `too many requests for ${principal.kind} ${principal.id}`);
    },
  };
}
