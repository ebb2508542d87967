import { describe, expect, it } from 'vitest';
import { AppError } from '../errors.js';
import {
  bodySha256,
  canonicalRequest,
  checkBodyHash,
  checkSignature,
  checkTimestamp,
  deriveSigningKey,
  readSignedRequest,
  signRequest,
  type SignedParts,
} from './signing.js';

const KEY = 'awk_0123456789abcdef';
const SECRET = 'a-secret';

const codeOf = (fn: () => void): string | null => {
  try {
    fn();
    return null;
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    return (err as AppError).code;
  }
};

/** What the server reads back from a request signed for (method, path, query, headers) but sent as `sent`. */
function received(
  signed: { method: string; path: string; query?: string; contentType?: string; ifMatch?: string },
  sent: Partial<{ method: string; path: string; query: string; headers: Record<string, string> }> = {},
) {
  const headers = Object.fromEntries(
    Object.entries(signRequest({ keyId: KEY, secret: SECRET, timestamp: 1_800_000_000, nonce: 'n'.repeat(16), ...signed })).map(([k, v]) => [
      k.toLowerCase(),
      v,
    ]),
  );
  return readSignedRequest({
    method: sent.method ?? signed.method,
    path: sent.path ?? signed.path,
    rawQuery: sent.query ?? signed.query ?? '',
    headers: { ...headers, ...sent.headers },
  });
}
const digest = (body: string) => ({ size: Buffer.byteLength(body), sha256: bodySha256(body) });

describe('request signing', () => {
  it('builds the ten-line canonical request', () => {
    const parts: SignedParts = {
      keyId: KEY,
      method: 'post',
      path: '/api/v1/x',
      query: 'b=2&a=1',
      timestamp: '1800000000',
      nonce: 'n'.repeat(16),
      contentSha256: bodySha256('{}'),
      contentType: 'application/json',
      ifMatch: '"3"',
    };
    expect(canonicalRequest(parts).split('\n')).toEqual([
      'AW1-HMAC-SHA256',
      KEY,
      'POST',
      '/api/v1/x',
      'b=2&a=1',
      '1800000000',
      'n'.repeat(16),
      bodySha256('{}'),
      'application/json',
      '"3"',
    ]);
  });

  it('signs Content-Type and If-Match: changing, adding or dropping either breaks the signature', () => {
    const key = deriveSigningKey(SECRET);
    const check = (r: ReturnType<typeof received>) => codeOf(() => checkSignature(r.parts, r.signature, key, r.partMacs));
    const signed = { method: 'PATCH', path: '/api/v1/users/x', contentType: 'application/json', ifMatch: '"3"' };
    expect(check(received(signed))).toBeNull();
    expect(check(received(signed, { headers: { 'if-match': '"4"' } }))).toBe('SIGNATURE_INVALID');
    expect(check(received(signed, { headers: { 'content-type': 'text/plain' } }))).toBe('SIGNATURE_INVALID');
    expect(check(received({ method: 'GET', path: '/api/v1/agents' }, { headers: { 'if-match': '*' } }))).toBe('SIGNATURE_INVALID');
    const { ifMatch: _dropped, ...withoutIfMatch } = signed;
    expect(check(received(withoutIfMatch, { headers: { 'if-match': '"3"' } }))).toBe('SIGNATURE_INVALID');
  });

  it('accepts a time exactly 300 s off and refuses 301 s, either way', () => {
    const now = 1_800_000_000_000;
    expect(codeOf(() => checkTimestamp('1800000300', now, 300))).toBeNull();
    expect(codeOf(() => checkTimestamp('1799999700', now, 300))).toBeNull();
    expect(codeOf(() => checkTimestamp('1800000301', now, 300))).toBe('SIGNATURE_STALE');
    expect(codeOf(() => checkTimestamp('1799999699', now, 300))).toBe('SIGNATURE_STALE');
  });

  it('names the part that changed when the part MACs say so', () => {
    const key = deriveSigningKey(SECRET);
    const check = (r: ReturnType<typeof received>) => codeOf(() => checkSignature(r.parts, r.signature, key, r.partMacs));
    const signed = { method: 'GET', path: '/api/v1/agents', query: 'limit=5' };
    expect(check(received(signed))).toBeNull();
    expect(check(received(signed, { path: '/api/v1/agentz' }))).toBe('SIGNATURE_PATH_MISMATCH');
    expect(check(received(signed, { query: 'limit=6' }))).toBe('SIGNATURE_QUERY_MISMATCH');
    expect(check(received(signed, { method: 'DELETE' }))).toBe('SIGNATURE_METHOD_MISMATCH');
    // Every part changed: nothing proves the key, so nothing is named.
    expect(check(received(signed, { method: 'PUT', path: '/x', query: 'y' }))).toBe('SIGNATURE_INVALID');
    // The wrong key: every part MAC fails.
    const wrong = received(signed);
    expect(codeOf(() => checkSignature(wrong.parts, wrong.signature, deriveSigningKey('other'), wrong.partMacs))).toBe('SIGNATURE_INVALID');
  });

  it('refuses a body that is not the hashed one, and malformed headers naming the header', () => {
    const r = received({ method: 'GET', path: '/' });
    expect(codeOf(() => checkBodyHash(r.parts, digest('')))).toBeNull();
    expect(codeOf(() => checkBodyHash(r.parts, digest(' ')))).toBe('BODY_HASH_MISMATCH');
    const headers = { 'x-aw-key': KEY, 'x-aw-timestamp': '1', 'x-aw-nonce': 'short', 'x-aw-content-sha256': bodySha256(''), 'x-aw-signature': '0'.repeat(64) };
    try {
      readSignedRequest({ method: 'GET', path: '/', rawQuery: '', headers });
      expect.unreachable();
    } catch (err) {
      expect((err as AppError).details).toEqual({ header: 'x-aw-nonce' });
    }
  });
});
