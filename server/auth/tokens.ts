/**
 * Bearer credentials and how they look. Prefixes make a leaked token recognisable (secret
 * scanners, logs) and tell the guard which table to look in without trying each:
 *   aws_<43 chars>             dashboard session token
 *   awo_<43 chars>             one-time login link token (exchanged once for a session)
 *   awk_<16 hex>.<43 chars>    API key: public key id, a dot, the secret
 * Tokens and secrets are 32 random bytes, so a plain sha256 is a safe way to store them.
 */
import { createHash, randomBytes } from 'node:crypto';
import { AppError } from '../errors.js';

export const SESSION_PREFIX = 'aws_';
export const ONE_TIME_PREFIX = 'awo_';
export const KEY_PREFIX = 'awk_';

export const KEY_ID = /^awk_[0-9a-f]{16}$/;
const TOKEN_BODY = /^[A-Za-z0-9_-]{43}$/;

export const sha256 = (value: string | Buffer): Buffer => createHash('sha256').update(value).digest();
export const newToken = (prefix: string): string => prefix + randomBytes(32).toString('base64url');
export const newApiKeyId = (): string => KEY_PREFIX + randomBytes(8).toString('hex');
export const newApiKeySecret = (): string => randomBytes(32).toString('base64url');
export const newId = (prefix: string): string => prefix + randomBytes(8).toString('hex');

export type BearerCredential = { kind: 'session'; token: string } | { kind: 'api_key'; keyId: string; secret: string };

const malformed = (what: string) =>
  new AppError(
    'CREDENTIALS_MALFORMED',
    'unauthenticated',
    `${what}; send "Authorization: Bearer aws_..." (session) or "Bearer awk_<id>.<secret>" (API key)`,
    undefined,
    { challenge: 'bearer_invalid_token' },
  );

/** Reads an Authorization header; throws 401 CREDENTIALS_MALFORMED when it is not one of ours. */
export function parseBearer(header: string): BearerCredential {
  const m = /^Bearer +(\S+) *$/i.exec(header);
  if (!m) throw malformed('Authorization is not "Bearer <token>"');
  const token = m[1];
  if (token.startsWith(SESSION_PREFIX) && TOKEN_BODY.test(token.slice(SESSION_PREFIX.length))) return { kind: 'session', token };
  if (token.startsWith(KEY_PREFIX)) {
    const dot = token.indexOf('.');
    const keyId = token.slice(0, dot);
    const secret = token.slice(dot + 1);
    if (dot > 0 && KEY_ID.test(keyId) && TOKEN_BODY.test(secret)) return { kind: 'api_key', keyId, secret };
  }
  throw malformed('the bearer token is not a session token or an API key');
}
