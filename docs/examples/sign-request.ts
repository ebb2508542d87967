/**
 * Signs and sends one AutoWatch API request with an API key (AW1-HMAC-SHA256, docs/api.md).
 * Node 18+ and nothing else: copy this file into your project. `pathAndQuery` is signed exactly as
 * given, so percent-encode it before calling (fetch must not need to change it). `ifMatch` is the
 * ETag of the version you change (updates need it); it is signed, like Content-Type.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';

export async function signedFetch(
  baseUrl: string,
  keyId: string,
  secret: string,
  method: string,
  pathAndQuery: string,
  body?: unknown,
  ifMatch?: string,
): Promise<Response> {
  const at = pathAndQuery.indexOf('?');
  const path = at < 0 ? pathAndQuery : pathAndQuery.slice(0, at);
  const query = at < 0 ? '' : pathAndQuery.slice(at + 1);
  const text = body === undefined ? '' : JSON.stringify(body);
  const contentType = body === undefined ? '' : 'application/json';
  const timestamp = String(Math.floor(Date.now() / 1000));
  const nonce = randomBytes(16).toString('hex');
  const contentSha256 = createHash('sha256').update(text).digest('hex');
  const signingKey = createHmac('sha256', secret).update('aw1-request-signing').digest();
  const mac = (s: string) => createHmac('sha256', signingKey).update(s).digest('hex');
  const upper = method.toUpperCase();
  const canonical = ['AW1-HMAC-SHA256', keyId, upper, path, query, timestamp, nonce, contentSha256, contentType, ifMatch ?? ''].join('\n');
  // Optional: lets the server say which part changed on the way (path, query, method) when one did.
  const parts = `method=${mac(`method\n${upper}`).slice(0, 32)};path=${mac(`path\n${path}`).slice(0, 32)};query=${mac(`query\n${query}`).slice(0, 32)}`;
  const headers: Record<string, string> = {
    'X-AW-Key': keyId,
    'X-AW-Timestamp': timestamp,
    'X-AW-Nonce': nonce,
    'X-AW-Content-SHA256': contentSha256,
    'X-AW-Signature': mac(canonical),
    'X-AW-Signature-Parts': parts,
  };
  if (contentType) headers['Content-Type'] = contentType;
  if (ifMatch !== undefined) headers['If-Match'] = ifMatch;
  return fetch(baseUrl + pathAndQuery, { method: upper, headers, body: body === undefined ? undefined : text });
}
