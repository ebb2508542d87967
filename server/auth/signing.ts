/**
 * Signed requests (scheme AW1-HMAC-SHA256, described for clients in docs/api.md). A caller with an
 * API key signs the parts of a request that matter with a key derived from its secret; the secret
 * itself never travels. The canonical request is ten lines joined by "\n", no trailing newline:
 *
 *   AW1-HMAC-SHA256
 *   <key id>                   X-AW-Key
 *   <METHOD>                   upper case
 *   <path>                     exactly as sent on the request line, no decoding
 *   <query>                    exactly as sent after '?', '' when none; no re-ordering
 *   <timestamp>                X-AW-Timestamp, unix seconds
 *   <nonce>                    X-AW-Nonce, 16-64 of [A-Za-z0-9_-], never reused
 *   <body sha256>              X-AW-Content-SHA256, lower-case hex of the body bytes
 *   <content type>             Content-Type exactly as sent, '' when none
 *   <if-match>                 If-Match exactly as sent, '' when none
 *
 *   signing key = HMAC-SHA256(key = secret, "aw1-request-signing")
 *   X-AW-Signature = lower-case hex HMAC-SHA256(key = signing key, canonical request)
 *
 * Optional, for diagnosis only: X-AW-Signature-Parts = "method=<m>;path=<p>;query=<q>", each the
 * first 32 hex digits of HMAC-SHA256(signing key, "<name>\n<value>"). When the signature fails, the
 * parts that still verify prove the key was right, and the ones that do not name what changed on
 * the way (SIGNATURE_PATH_MISMATCH, _QUERY_, _METHOD_). Part MACs never let a request through.
 *
 * Content-Type decides how the body is read and If-Match which version a change applies to: a
 * request whose signature left them out could be replayed within its window against another
 * version, or have its body read as something else. Signing what is on the wire, not a normalised
 * form, leaves nothing for client and server to disagree on. Everything here is pure; the guard does the I/O (key lookup, nonce cache).
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { AppError } from '../errors.js';
import type { BodyDigest } from './request-guard.js';
import { KEY_ID } from './tokens.js';

export const SCHEME = 'AW1-HMAC-SHA256';
export const SIGNING_LABEL = 'aw1-request-signing';

export const SIGNATURE_HEADERS = {
  key: 'x-aw-key',
  timestamp: 'x-aw-timestamp',
  nonce: 'x-aw-nonce',
  contentSha256: 'x-aw-content-sha256',
  signature: 'x-aw-signature',
} as const;

export interface SignedParts {
  keyId: string;
  method: string;
  path: string;
  query: string;
  timestamp: string;
  nonce: string;
  contentSha256: string;
  /** '' when the request has none. */
  contentType: string;
  /** '' when the request has none. */
  ifMatch: string;
}

export const deriveSigningKey = (secret: string): Buffer => createHmac('sha256', secret).update(SIGNING_LABEL).digest();
export const bodySha256 = (body: Buffer | string): string => createHash('sha256').update(body).digest('hex');

export function canonicalRequest(p: SignedParts): string {
  return [SCHEME, p.keyId, p.method.toUpperCase(), p.path, p.query, p.timestamp, p.nonce, p.contentSha256, p.contentType, p.ifMatch].join('\n');
}

export const signCanonical = (signingKey: Buffer, canonical: string): string => createHmac('sha256', signingKey).update(canonical).digest('hex');

export const SIGNATURE_PARTS_HEADER = 'x-aw-signature-parts';
const PART_NAMES = ['method', 'path', 'query'] as const;
type PartName = (typeof PART_NAMES)[number];
const PARTS_FORMAT = /^(?:(?:method|path|query)=[0-9a-f]{32})(?:;(?:method|path|query)=[0-9a-f]{32}){0,2}$/;

const partValue = (p: SignedParts, name: PartName) => (name === 'method' ? p.method.toUpperCase() : p[name]);
const partMac = (signingKey: Buffer, name: PartName, value: string) => createHmac('sha256', signingKey).update(`${name}\n${value}`).digest('hex').slice(0, 32);

/** The X-AW-Signature-Parts value for a request. */
export function signatureParts(signingKey: Buffer, p: SignedParts): string {
  return PART_NAMES.map((name) => `${name}=${partMac(signingKey, name, partValue(p, name))}`).join(';');
}

/**
 * Client side: the six signature headers for a request, plus Content-Type and If-Match when given
 * (they are signed, so they must be sent as they are). `query` is the text after '?' as it will be sent.
 */
export function signRequest(input: {
  keyId: string;
  secret: string;
  method: string;
  path: string;
  query?: string;
  body?: Buffer | string;
  contentType?: string;
  ifMatch?: string;
  timestamp?: number;
  nonce?: string;
}): Record<string, string> {
  const parts: SignedParts = {
    keyId: input.keyId,
    method: input.method,
    path: input.path,
    query: input.query ?? '',
    timestamp: String(input.timestamp ?? Math.floor(Date.now() / 1000)),
    nonce: input.nonce ?? randomBytes(16).toString('base64url'),
    contentSha256: bodySha256(input.body ?? ''),
    contentType: input.contentType ?? '',
    ifMatch: input.ifMatch ?? '',
  };
  const signingKey = deriveSigningKey(input.secret);
  return {
    'X-AW-Key': parts.keyId,
    'X-AW-Timestamp': parts.timestamp,
    'X-AW-Nonce': parts.nonce,
    'X-AW-Content-SHA256': parts.contentSha256,
    'X-AW-Signature': signCanonical(signingKey, canonicalRequest(parts)),
    'X-AW-Signature-Parts': signatureParts(signingKey, parts),
    ...(input.contentType !== undefined ? { 'Content-Type': input.contentType } : {}),
    ...(input.ifMatch !== undefined ? { 'If-Match': input.ifMatch } : {}),
  };
}

const FORMATS: Record<keyof typeof SIGNATURE_HEADERS, [RegExp, string]> = {
  key: [KEY_ID, 'awk_ and 16 hex digits'],
  timestamp: [/^\d{1,12}$/, 'unix seconds'],
  nonce: [/^[A-Za-z0-9_-]{16,64}$/, '16-64 of A-Z a-z 0-9 _ -'],
  contentSha256: [/^[0-9a-f]{64}$/, '64 lower-case hex digits'],
  signature: [/^[0-9a-f]{64}$/, '64 lower-case hex digits'],
};

/** True when the request carries any signature header: it then must be a complete, valid signed request. */
export function looksSigned(headers: Readonly<Record<string, string>>): boolean {
  return Object.values(SIGNATURE_HEADERS).some((h) => headers[h] !== undefined) || headers[SIGNATURE_PARTS_HEADER] !== undefined;
}

/** The signed parts and the signature from a request; 401 SIGNATURE_MALFORMED naming the header at fault. */
export function readSignedRequest(req: { method: string; path: string; rawQuery: string; headers: Readonly<Record<string, string>> }): {
  parts: SignedParts;
  signature: string;
  partMacs?: string;
} {
  const values = {} as Record<keyof typeof SIGNATURE_HEADERS, string>;
  for (const [name, header] of Object.entries(SIGNATURE_HEADERS) as [keyof typeof SIGNATURE_HEADERS, string][]) {
    const value = req.headers[header];
    const [format, says] = FORMATS[name];
    if (value === undefined || !format.test(value)) {
      throw new AppError('SIGNATURE_MALFORMED', 'unauthenticated', `${header} is ${value === undefined ? 'missing' : 'malformed'}: ${says}`, { header });
    }
    values[name] = value;
  }
  const partMacs = req.headers[SIGNATURE_PARTS_HEADER];
  if (partMacs !== undefined && !PARTS_FORMAT.test(partMacs)) {
    throw new AppError('SIGNATURE_MALFORMED', 'unauthenticated', `${SIGNATURE_PARTS_HEADER} is malformed: method=<32 hex>;path=<32 hex>;query=<32 hex>`, {
      header: SIGNATURE_PARTS_HEADER,
    });
  }
  return {
    partMacs,
    parts: {
      keyId: values.key,
      method: req.method,
      path: req.path,
      query: req.rawQuery,
      timestamp: values.timestamp,
      nonce: values.nonce,
      contentSha256: values.contentSha256,
      contentType: req.headers['content-type'] ?? '',
      ifMatch: req.headers['if-match'] ?? '',
    },
    signature: values.signature,
  };
}

/** 401 SIGNATURE_STALE unless the timestamp is within `skewS` of now (either way). */
export function checkTimestamp(timestamp: string, nowMs: number, skewS: number): void {
  const offset = Number(timestamp) - Math.floor(nowMs / 1000);
  if (Math.abs(offset) > skewS) {
    throw new AppError(
      'SIGNATURE_STALE',
      'unauthenticated',
      `X-AW-Timestamp is ${Math.abs(offset)} s ${offset < 0 ? 'behind' : 'ahead of'} the server clock; at most ${skewS} s is accepted`,
      {
        server_time: Math.floor(nowMs / 1000),
        max_skew_s: skewS,
      },
    );
  }
}

/** 401 BODY_HASH_MISMATCH when the body (read after the signature was checked) is not the one X-AW-Content-SHA256 names. */
export function checkBodyHash(parts: SignedParts, body: BodyDigest): void {
  if (body.sha256 !== parts.contentSha256) {
    throw new AppError(
      'BODY_HASH_MISMATCH',
      'unauthenticated',
      'the body is not the one X-AW-Content-SHA256 describes (changed on the way, or hashed differently)',
      {
        body_sha256: body.sha256,
        body_bytes: body.size,
      },
    );
  }
}

/**
 * 401 unless `signature` signs the parts with `signingKey`. With part MACs (X-AW-Signature-Parts)
 * the code names what changed: SIGNATURE_METHOD_MISMATCH, SIGNATURE_PATH_MISMATCH or
 * SIGNATURE_QUERY_MISMATCH when some parts still verify and that one does not; SIGNATURE_INVALID
 * otherwise (wrong secret, or a signed header changed). The details carry the canonical request the
 * server computed (no secret in it), so a client can compare it with its own.
 */
export function checkSignature(parts: SignedParts, signature: string, signingKey: Buffer, partMacs?: string): void {
  const canonical = canonicalRequest(parts);
  const expected = Buffer.from(signCanonical(signingKey, canonical), 'hex');
  const given = Buffer.from(signature, 'hex');
  if (given.length === expected.length && timingSafeEqual(given, expected)) return;
  const changed = partMacs ? changedParts(parts, partMacs, signingKey) : [];
  if (changed.length) {
    const name = changed[0];
    throw new AppError(
      `SIGNATURE_${name.toUpperCase()}_MISMATCH`,
      'unauthenticated',
      `the request's ${name} is not the one that was signed (changed on the way, or signed differently)`,
      {
        changed: changed,
        [name]: partValue(parts, name),
        canonical_request: canonical,
      },
    );
  }
  throw new AppError(
    'SIGNATURE_INVALID',
    'unauthenticated',
    'X-AW-Signature does not sign this request; compare your canonical request with details.canonical_request',
    {
      canonical_request: canonical,
    },
  );
}

/** Parts whose MAC fails while another part's verifies (so the key is right); [] when none or all fail. */
function changedParts(parts: SignedParts, header: string, signingKey: Buffer): PartName[] {
  const declared = new Map(header.split(';').map((kv) => kv.split('=') as [PartName, string]));
  const failed: PartName[] = [];
  let verified = 0;
  for (const name of PART_NAMES) {
    const mac = declared.get(name);
    if (mac === undefined) continue;
    const ok = timingSafeEqual(Buffer.from(mac, 'hex'), Buffer.from(partMac(signingKey, name, partValue(parts, name)), 'hex'));
    if (ok) verified++;
    else failed.push(name);
  }
  return verified > 0 ? failed : [];
}
