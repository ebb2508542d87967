/**
 * What the fuzz test throws at the server: requests made from the server's own OpenAPI document
 * (every route, its params, query and body schemas) and then spoilt — wrong types, unknown and
 * missing fields, hostile strings, bad JSON, deep nesting, wrong content types, lying lengths,
 * broken chunking, garbage request lines, huge headers, odd methods and paths. Seeded, so a
 * failure is reproduced with FUZZ_SEED.
 */
import { createHash } from 'node:crypto';
import { signRequest } from '../../server/auth/signing.js';
import { requestBytes } from '../support/raw-http.js';

export interface Credentials {
  admin: string;
  operator: string;
  viewer: string;
  api_key: string;
  key_id: string;
  key_secret: string;
}

export interface FuzzCase {
  kind: string;
  /** One line a person can read in a failure report. */
  desc: string;
  bytes: Buffer;
  /** A well-formed HTTP request: the server must answer it (not just close). */
  mustAnswer: boolean;
  /** Aimed at a route that throws on purpose: the answer must be 500 INTERNAL. */
  boom: boolean;
  halfClose?: boolean;
  head?: boolean;
}

interface Operation {
  method: string;
  path: string;
  params: Array<{ name: string; in: 'path' | 'query'; required: boolean; schema: Schema }>;
  body?: Schema;
}

type Schema = Record<string, any>;

/** Percent-encoding that takes lone surrogates too (as the bytes a sloppy client would send). */
function enc(s: string): string {
  try {
    return encodeURIComponent(s);
  } catch {
    return Buffer.from(s, 'utf8').toString('hex').replace(/../g, '%$&');
  }
}

/** mulberry32: small, fast, seeded. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function operationsOf(openapi: any): Operation[] {
  const ops: Operation[] = [];
  for (const [path, methods] of Object.entries<any>(openapi.paths)) {
    for (const [method, op] of Object.entries<any>(methods)) {
      ops.push({
        method: method.toUpperCase(),
        path,
        params: op.parameters ?? [],
        body: op.requestBody?.content?.['application/json']?.schema,
      });
    }
  }
  return ops;
}

const HOSTILE_STRINGS = [
  '',
  ' ',
  'x',
  'x'.repeat(5000),
  '\u0000',
  'a\u0000b',
  '\ud800',
  '\udfff\ud800',
  '<script>alert(1)</script>',
  "' OR 1=1 --",
  '"; DROP TABLE users; --',
  '../../etc/passwd',
  '%00',
  '%',
  '${7*7}',
  '{{7*7}}',
  '😀'.repeat(300),
  '\u202e\u200b',
  '9'.repeat(400),
  '-1',
  '0',
  '1e309',
  'NaN',
  'null',
  'true',
  '[]',
  '{}',
  '__proto__',
  'constructor',
  '\r\nSet-Cookie: x=1',
  'ä',
  '\t\n',
  '3f1e5c52-8a4e-4c4b-9d55-0c1f7e4b2a10',
  '00000000-0000-0000-0000-000000000000',
  '2026-13-45T99:99:99Z',
  '1970-01-01T00:00:00Z',
];
const HOSTILE_NUMBERS = [0, -1, 1, 1.5, -0.0001, 2 ** 31, 2 ** 53 + 2, -(2 ** 63), 1e308, -1e308, Number.MIN_VALUE, 1e21];
const ODD_METHODS = ['HEAD', 'OPTIONS', 'TRACE', 'CONNECT', 'PROPFIND', 'FOO', 'get', 'Post', 'M'.repeat(300), 'GE T', 'GET\t'];
const CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'APPLICATION/JSON',
  'application/json;charset=latin1',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/xml',
  'application/json-patch+json',
  'application/vnd.api+json',
  '',
  ';',
  'application',
  '*/*',
  'x'.repeat(3000),
];

/** Large bodies, made once: building megabytes per request would make the client the bottleneck. */
const once = <T>(make: () => T) => {
  let v: T | undefined;
  return () => (v ??= make());
};
const BIG = {
  overLimit: once(() => Buffer.from(JSON.stringify({ a: 'x'.repeat(1024 * 1024) }))),
  longArray: once(() => Buffer.from(JSON.stringify(Array.from({ length: 100_000 }, () => 0)))),
  manyKeys: once(() => Buffer.from(JSON.stringify(Object.fromEntries(Array.from({ length: 20_000 }, (_, i) => [`k${i}`, i]))))),
  notJson: once(() => Buffer.alloc(2 * 1024 * 1024, 'x')),
};

export class CaseMaker {
  private readonly r: () => number;

  constructor(
    seed: number,
    private readonly ops: Operation[],
    private readonly creds: Credentials,
  ) {
    this.r = prng(seed);
  }

  private int = (n: number) => Math.floor(this.r() * n);
  private pick = <T>(xs: readonly T[]): T => xs[this.int(xs.length)];
  private chance = (p: number) => this.r() < p;

  next(): FuzzCase {
    const roll = this.r();
    if (roll < 0.5) return this.routeCase();
    if (roll < 0.65) return this.junkBodyCase();
    if (roll < 0.75) return this.headerCase();
    if (roll < 0.85) return this.framingCase();
    if (roll < 0.95) return this.pathCase();
    return this.methodCase();
  }

  // ---- requests made from the document, then spoilt ----

  private routeCase(): FuzzCase {
    const op = this.pick(this.ops);
    const method = this.chance(0.9) ? op.method : this.pick(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']);
    const path = this.fillPath(op);
    const query = this.query(op);
    const headers: Array<[string, string]> = [];
    let body: Buffer | undefined;
    if (op.body && method !== 'GET' && method !== 'DELETE') {
      const value = this.chance(0.5) ? this.spoil(this.value(op.body, 0), op.body) : this.value(op.body, 0);
      body = Buffer.from(JSON.stringify(value) ?? 'null');
      headers.push(['Content-Type', this.chance(0.85) ? 'application/json' : this.pick(CONTENT_TYPES)]);
    } else if (this.chance(0.1)) {
      body = Buffer.from(JSON.stringify({ unexpected: true }));
      headers.push(['Content-Type', 'application/json']);
    }
    if (body) headers.push(['Content-Length', String(body.length)]);
    const target = query ? `${path}?${query}` : path;
    // Logging out would end the session the rest of the run uses: that route gets other credentials.
    const logout = method === 'DELETE' && op.path === '/api/v1/session';
    headers.push(...this.auth(method, path, query, body, logout));
    headers.push(...this.extras());
    return this.make('route', method, target, headers, body, true, false);
  }

  private fillPath(op: Operation): string {
    return op.path.replace(/\{([a-zA-Z_]+)\}/g, (_, name: string) => {
      const schema = op.params.find((p) => p.in === 'path' && p.name === name)?.schema ?? {};
      if (this.chance(0.6)) return enc(String(this.value(schema, 0)));
      return this.pick(['%zz', '%', '%00', '%2e%2e', '..', '%2F', 'x'.repeat(3000), '-1', '1e999', '%E2%98%83', '%C0%AF', '%ff%fe', '%ED%A0%80']);
    });
  }

  private query(op: Operation): string {
    const parts: string[] = [];
    for (const p of op.params.filter((x) => x.in === 'query')) {
      if (!this.chance(0.4)) continue;
      const v = this.chance(0.7) ? this.value(p.schema, 0) : this.pick([...HOSTILE_STRINGS, ...HOSTILE_NUMBERS]);
      parts.push(`${enc(p.name)}=${enc(typeof v === 'object' ? JSON.stringify(v) : String(v))}`);
      if (this.chance(0.05)) parts.push(`${enc(p.name)}=again`);
    }
    if (this.chance(0.15))
      parts.push(
        `${this.pick(['unknown', '__proto__', 'constructor', 'a[b]', 'filter[x]', '', '=', 'limit'])}=${this.pick(['1', '', '%zz', 'x'.repeat(2000)])}`,
      );
    if (this.chance(0.05)) parts.push(this.pick(['%', '&&&', '==', '%zz=%zz', 'a=%00', 'a=%ff', '?', '#frag', ';', 'cursor=eyJzIjoiIiwiayI6WzEsMl19']));
    return parts.join('&');
  }

  /** A value that fits `schema` (most of the time, within what a generator can know). */
  private value(schema: Schema, depth: number): unknown {
    if (!schema || depth > 6) return null;
    if ('const' in schema) return schema.const;
    if (Array.isArray(schema.enum)) return this.pick(schema.enum);
    const union = schema.anyOf ?? schema.oneOf;
    if (Array.isArray(union)) return this.value(this.pick(union), depth);
    if (Array.isArray(schema.allOf)) return this.value(schema.allOf[0], depth);
    const type = Array.isArray(schema.type) ? this.pick(schema.type) : schema.type;
    switch (type) {
      case 'null':
        return null;
      case 'boolean':
        return this.chance(0.5);
      case 'integer':
      case 'number': {
        const lo = schema.minimum ?? schema.exclusiveMinimum ?? 0;
        const hi = schema.maximum ?? schema.exclusiveMaximum ?? lo + 1000;
        const n = lo + this.r() * Math.min(hi - lo, 1e6);
        return type === 'integer' ? Math.floor(n) : n;
      }
      case 'string':
        return this.string(schema);
      case 'array': {
        const n = this.int(Math.min(schema.maxItems ?? 4, 4) + 1);
        return Array.from({ length: Math.max(n, schema.minItems ?? 0) }, () => this.value(schema.items ?? {}, depth + 1));
      }
      case 'object': {
        const out: Record<string, unknown> = {};
        const required = new Set<string>(schema.required ?? []);
        for (const [k, s] of Object.entries<Schema>(schema.properties ?? {})) {
          if (required.has(k) || this.chance(0.5)) out[k] = this.value(s, depth + 1);
        }
        if (schema.additionalProperties && typeof schema.additionalProperties === 'object' && this.chance(0.5)) {
          out[`k${this.int(100)}`] = this.value(schema.additionalProperties, depth + 1);
        }
        return out;
      }
      default:
        return this.pick([null, 1, 'x', true, {}, []]);
    }
  }

  private string(schema: Schema): string {
    switch (schema.format) {
      case 'uuid':
        return this.chance(0.5) ? '3f1e5c52-8a4e-4c4b-9d55-0c1f7e4b2a10' : crypto.randomUUID();
      case 'date-time':
        return new Date(Date.now() - this.int(1e10)).toISOString();
      case 'email':
        return `u${this.int(1e6)}@example.com`;
      case 'uri':
        return 'https://example.com/x';
    }
    if (this.chance(0.3)) return this.pick(HOSTILE_STRINGS);
    const min = schema.minLength ?? 1;
    const max = Math.min(schema.maxLength ?? 24, 64);
    const length = min + this.int(Math.max(1, max - min + 1));
    const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789_-.';
    let s = '';
    for (let i = 0; i < length; i++) s += alphabet[this.int(alphabet.length)];
    return s;
  }

  /** One spoiling change: wrong type, unknown field, missing field, hostile value, prototype keys. */
  private spoil(value: unknown, schema: Schema): unknown {
    const obj = value && typeof value === 'object' && !Array.isArray(value) ? { ...(value as Record<string, unknown>) } : {};
    const keys = Object.keys(schema.properties ?? {});
    const key = keys.length ? this.pick(keys) : 'field';
    switch (this.int(9)) {
      case 0:
        obj[`unknown_${this.int(10)}`] = 1;
        return obj;
      case 1:
        delete obj[key];
        return obj;
      case 2:
        obj[key] = this.pick([...HOSTILE_STRINGS, ...HOSTILE_NUMBERS, null, true, [], {}, [[[]]], { a: { b: 1 } }]);
        return obj;
      case 3:
        return JSON.parse(`{"__proto__": {"admin": true, "scopes": ["admin"]}, "constructor": {"prototype": {"polluted": 1}}, ${JSON.stringify(key)}: 1}`);
      case 4:
        return this.pick([null, 0, 'string', [], [value], true]);
      case 5:
        obj[key] = 'x'.repeat(200_000);
        return obj;
      case 6:
        obj[key] = Array.from({ length: 5000 }, (_, i) => i);
        return obj;
      case 7:
        for (const k of keys) obj[k] = this.pick(HOSTILE_STRINGS);
        return obj;
      default:
        obj[key] = this.pick(HOSTILE_NUMBERS);
        return obj;
    }
  }

  // ---- bodies that are not JSON, or JSON that is too much ----

  private junkBodyCase(): FuzzCase {
    const withBody = this.ops.filter((o) => o.body);
    const op = this.pick(withBody.length ? withBody : this.ops);
    const path = this.fillPath(op);
    const depth = this.pick([33, 100, 1000, 10_000, 100_000]);
    const junk: Array<() => Buffer | string> = [
      () => '{',
      () => '{"a":',
      () => '{"a":1,}',
      () => "{'a':1}",
      () => 'undefined',
      () => 'NaN',
      () => '1e999',
      () => '{"a":1e999999}',
      () => '"\\ud800"',
      () => '{"a":"\\u0000"}',
      () => '[]',
      () => 'null',
      () => '""',
      () => '  ',
      () => '\ufeff{}',
      () => '{"a":1,"a":2}',
      () => '['.repeat(depth) + ']'.repeat(depth),
      () => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth),
      () => '['.repeat(depth),
      () => Buffer.from([0xff, 0xfe, 0x7b, 0x7d]),
      () => Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0x22, 0x7d]),
      () => Buffer.from(Array.from({ length: 1 + this.int(4000) }, () => this.int(256))),
      () => BIG.overLimit(),
      () => BIG.longArray(),
      () => BIG.manyKeys(),
      () => BIG.notJson(),
    ];
    const body = this.pick(junk)();
    const bytes = Buffer.isBuffer(body) ? body : Buffer.from(body);
    const headers: Array<[string, string]> = [
      ['Content-Type', this.chance(0.8) ? 'application/json' : this.pick(CONTENT_TYPES)],
      ['Content-Length', String(bytes.length)],
      ...this.auth(op.method, path, '', bytes, op.path === '/api/v1/session'),
    ];
    return this.make('junk-body', op.method === 'GET' || op.method === 'DELETE' ? 'POST' : op.method, path, headers, bytes, true, false);
  }

  // ---- headers ----

  private headerCase(): FuzzCase {
    const op = this.pick(this.ops.filter((o) => o.method === 'GET'));
    const path = this.fillPath(op);
    const variants: Array<() => Array<[string, string]>> = [
      () => [
        [
          'Authorization',
          this.pick([
            'Bearer',
            'Bearer ',
            'Basic YWRtaW46YWRtaW4=',
            'Bearer aws_',
            'Bearer aws_' + 'A'.repeat(3000),
            'Bearer awk_0123456789abcdef.',
            'Bearer awk_zz.yy',
            'Bearer awk_0123456789abcdef.' + 'x'.repeat(100),
            `Bearer ${this.creds.admin}x`,
            `bearer ${this.creds.admin}`,
            `Bearer  ${this.creds.admin}`,
            'Digest x',
            'Bearer \u00ff',
            '\u0001',
          ]),
        ],
      ],
      () => [
        ['X-AW-Key', this.creds.key_id],
        ['X-AW-Signature', this.pick(['0'.repeat(64), 'zz', ''])],
      ],
      () => [
        ['X-AW-Key', this.pick(['awk_0123456789abcdef', 'x', this.creds.key_id])],
        ['X-AW-Timestamp', this.pick(['0', '-1', '99999999999999', 'now', String(Math.floor(Date.now() / 1000))])],
        ['X-AW-Nonce', this.pick(['n'.repeat(16), 'short', 'x'.repeat(65), '../../..........'])],
        ['X-AW-Content-SHA256', createHash('sha256').update('').digest('hex')],
        ['X-AW-Signature', 'a'.repeat(64)],
      ],
      () =>
        [
          ...Object.entries(signRequest({ keyId: this.creds.key_id, secret: this.creds.key_secret, method: 'GET', path, query: '' })),
          ['Authorization', `Bearer ${this.creds.api_key}`],
        ] as Array<[string, string]>,
      () => [['X-Request-Id', this.pick(['ok-id-1', 'has space', 'x'.repeat(129), '\u00e9', '', '../x', 'a'.repeat(128)])]],
      () => [['Content-Length', this.pick(['abc', '-1', '1e3', '', '0x10', ' 0'])]],
      () => [
        ['Content-Length', '0'],
        ['Content-Length', '5'],
      ],
      () => [['X-Big', 'x'.repeat(this.pick([2000, 8000, 64_000]))]],
      () => Array.from({ length: this.pick([50, 200, 1000]) }, (_, i) => [`X-H${i}`, 'v'] as [string, string]),
      () => [
        ['If-Match', this.pick(['*', '"1"', 'W/"1"', '"', '""', 'garbage', '"a", "b", W/"c"'])],
        ['If-None-Match', '*'],
      ],
      () => [
        ['Accept', this.pick(['text/html', '*/*', 'application/xml', '', 'x'.repeat(1000)])],
        ['Accept-Encoding', 'gzip, br, zstd'],
      ],
      () => [['Host', this.pick(['', 'evil.example', 'x'.repeat(1000), '127.0.0.1:99999'])]],
      () => [['Expect', '100-continue']],
      () => [
        ['Connection', this.pick(['upgrade', 'close', 'keep-alive, Upgrade'])],
        ['Upgrade', this.pick(['websocket', 'h2c', 'x'])],
      ],
      () => [
        ['X-Forwarded-For', '1.2.3.4, 5.6.7.8'],
        ['Forwarded', 'for=evil'],
      ],
    ];
    const headers = this.pick(variants)();
    // Headers a socket-level client may send but an honest one would not: not every server answers them.
    const wellFormed =
      !headers.some(
        ([k, v]) =>
          (k === 'Content-Length' && !/^\d+$/.test(v)) || v.length > 3000 || /[^\x20-\x7e]/.test(v) || k === 'Host' || k === 'Upgrade' || k === 'Expect',
      ) &&
      headers.length < 50 &&
      new Set(headers.map(([k]) => k.toLowerCase())).size === headers.length;
    return this.make('headers', 'GET', path, headers, undefined, wellFormed, false);
  }

  // ---- HTTP framing: lengths that lie, broken chunking, garbage lines ----

  private framingCase(): FuzzCase {
    const op = this.pick(this.ops.filter((o) => o.body)) ?? this.ops[0];
    const path = this.fillPath(op);
    const auth = `Authorization: Bearer ${this.creds.admin}\r\n`;
    const head = (extra: string) => `${op.method} ${path} HTTP/1.1\r\nHost: x\r\n${auth}Content-Type: application/json\r\n${extra}\r\n`;
    const variants: Array<() => { bytes: string | Buffer; halfClose?: boolean; desc: string }> = [
      () => ({ desc: 'content-length longer than the body, then half-close', bytes: head('Content-Length: 1000\r\n') + '{"a":1}', halfClose: true }),
      () => ({
        desc: 'content-length shorter than the body (rest reads as a next request)',
        bytes: head('Content-Length: 3\r\n') + '{"a":1}GARBAGE / HTTP/1.1\r\n\r\n',
      }),
      () => ({ desc: 'chunked JSON', bytes: head('Transfer-Encoding: chunked\r\n') + '3\r\n{"a\r\n4\r\n":1}\r\n0\r\n\r\n' }),
      () => ({ desc: 'chunked with a bad chunk size', bytes: head('Transfer-Encoding: chunked\r\n') + 'zz\r\n{}\r\n0\r\n\r\n' }),
      () => ({
        desc: 'chunked with a huge chunk size',
        bytes: head('Transfer-Encoding: chunked\r\n') + 'ffffffffffffffff\r\n{}\r\n0\r\n\r\n',
        halfClose: true,
      }),
      () => ({ desc: 'chunked and content-length', bytes: head('Transfer-Encoding: chunked\r\nContent-Length: 2\r\n') + '2\r\n{}\r\n0\r\n\r\n' }),
      () => ({ desc: 'transfer-encoding gzip', bytes: head('Transfer-Encoding: gzip\r\n') + '{}' }),
      () => ({ desc: 'no blank line, half-close', bytes: `GET ${path} HTTP/1.1\r\nHost: x\r\n`, halfClose: true }),
      () => ({ desc: 'request line only', bytes: 'GET\r\n\r\n' }),
      () => ({ desc: 'garbage line', bytes: 'GARBAGE\r\n\r\n' }),
      () => ({ desc: 'random bytes', bytes: Buffer.from(Array.from({ length: 1 + this.int(2000) }, () => this.int(256))) }),
      () => ({ desc: 'HTTP/9.9', bytes: `GET ${path} HTTP/9.9\r\nHost: x\r\n\r\n` }),
      () => ({ desc: 'HTTP/1.0 without Host', bytes: `GET /api/v1/health HTTP/1.0\r\n\r\n` }),
      () => ({ desc: 'absolute URI', bytes: `GET http://evil.example/api/v1/health HTTP/1.1\r\nHost: x\r\n\r\n` }),
      () => ({ desc: 'asterisk target', bytes: `OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n` }),
      () => ({ desc: 'space in target', bytes: `GET /api/v1/he alth HTTP/1.1\r\nHost: x\r\n\r\n` }),
      () => ({ desc: 'LF-only line ends', bytes: `GET /api/v1/health HTTP/1.1\nHost: x\n\n` }),
      () => ({ desc: 'header without colon', bytes: `GET /api/v1/health HTTP/1.1\r\nHost: x\r\nNoColonHere\r\n\r\n` }),
      () => ({ desc: 'NUL in a header', bytes: `GET /api/v1/health HTTP/1.1\r\nHost: x\r\nX-A: a\u0000b\r\n\r\n` }),
      () => ({ desc: 'obsolete line folding', bytes: `GET /api/v1/health HTTP/1.1\r\nHost: x\r\nX-A: a\r\n  folded\r\n\r\n` }),
      () => ({ desc: 'pipelined requests', bytes: `GET /api/v1/health HTTP/1.1\r\nHost: x\r\n\r\n`.repeat(50) }),
      () => ({ desc: 'header block over 100 KB', bytes: `GET /api/v1/health HTTP/1.1\r\nHost: x\r\nX-A: ${'a'.repeat(100_000)}\r\n\r\n` }),
      () => ({ desc: 'body then half-close mid-body', bytes: head('Content-Length: 500000\r\n') + 'x'.repeat(100_000), halfClose: true }),
    ];
    const v = this.pick(variants)();
    const bytes = Buffer.isBuffer(v.bytes) ? v.bytes : Buffer.from(v.bytes, 'latin1');
    return { kind: 'framing', desc: `framing: ${v.desc} (${op.method} ${path.slice(0, 80)})`, bytes, mustAnswer: false, boom: false, halfClose: v.halfClose };
  }

  // ---- paths and methods ----

  private pathCase(): FuzzCase {
    if (this.chance(0.1)) return this.upgradeCase();
    if (this.chance(0.2)) {
      const method = this.pick(['GET', 'POST']);
      const body = method === 'POST' ? this.pick(['{}', '{"x":[1,2]}']) : undefined;
      const headers: Array<[string, string]> = body
        ? [
            ['Content-Type', 'application/json'],
            ['Content-Length', String(body.length)],
          ]
        : [];
      return this.make('boom', method, '/api/v1/fuzz/boom', headers, body, true, true);
    }
    const path = this.pick([
      '/',
      '/index.html',
      '/assets/none.js',
      '/../../etc/passwd',
      '/%2e%2e/%2e%2e/etc/passwd',
      '/assets/..%2f..%2fpackage.json',
      '/agent',
      '/api',
      '/api/',
      '/api/v1',
      '/api/v1/',
      '/api/v2/health',
      '//api//v1//health',
      '/api/v1/health/',
      '/api/v1/health/x',
      '/api/v1/HEALTH',
      '/api/v1/health%00',
      '/api/v1/%zz',
      '/api/v1/' + 'a/'.repeat(500),
      '/api/v1/users/' + '%'.repeat(10),
      '/api/v1/users/..',
      '/api/v1/./users',
      '/api/v1/users;x=1',
      '/api/v1/users#frag',
      '/api/v1/users/%2F',
      '/api/v1/' + 'x'.repeat(6000),
      '/api/v1/openapi.json',
      '/api/v1/docs',
      '/api/*',
      '/api/v1/users?limit=0',
      '/api/v1/users?limit=1001',
      '/api/v1/users?sort=__proto__',
      '/api/v1/audit?since=yesterday',
      '/api/v1/audit?limit=1&cursor=%%%',
    ]);
    const method = this.pick(['GET', 'GET', 'POST', 'DELETE', 'PUT']);
    const headers: Array<[string, string]> = this.chance(0.5) ? [['Authorization', `Bearer ${this.creds.admin}`]] : [];
    const body = method === 'POST' || method === 'PUT' ? '{}' : undefined;
    if (body) headers.push(['Content-Type', 'application/json'], ['Content-Length', '2']);
    // The WebSocket endpoint and the static files answer plain HTTP too; a path with '#' or NUL may be refused by the parser.
    return this.make('path', method, path, headers, body, !/[#]|%00/.test(path), false);
  }

  /** The agent WebSocket endpoint shares the port: upgrades with missing or junk handshake headers. */
  private upgradeCase(): FuzzCase {
    const headers: Array<[string, string]> = [
      ['Connection', 'Upgrade'],
      ['Upgrade', 'websocket'],
    ];
    if (this.chance(0.7)) headers.push(['Sec-WebSocket-Key', this.pick(['dGhlIHNhbXBsZSBub25jZQ==', '', 'x', 'x'.repeat(500)])]);
    if (this.chance(0.7)) headers.push(['Sec-WebSocket-Version', this.pick(['13', '8', '99', 'x'])]);
    if (this.chance(0.5)) headers.push(['X-AW-Agent', this.pick(['3f1e5c52-8a4e-4c4b-9d55-0c1f7e4b2a10', '', 'x'.repeat(300), '../..'])]);
    if (this.chance(0.3)) headers.push(['Sec-WebSocket-Protocol', this.pick(['aw1', 'x, y', ''])]);
    const target = this.pick(['/agent', '/agent?agent=x', '/agent?agent=%zz', '/agent/x', '/api/v1/health']);
    // A completed upgrade leaves an open WebSocket, not an HTTP answer: the server may close it at once, or wait.
    return this.make('upgrade', 'GET', target, headers, undefined, false, false);
  }

  private methodCase(): FuzzCase {
    const op = this.pick(this.ops);
    const method = this.pick(ODD_METHODS);
    const path = this.fillPath(op);
    const headers: Array<[string, string]> = [['Authorization', `Bearer ${this.creds.admin}`]];
    // uWebSockets.js closes the connection on a method it does not know (PROPFIND, lower case): allowed.
    return this.make('method', method, path, headers, undefined, ['HEAD', 'OPTIONS', 'TRACE'].includes(method), false);
  }

  // ---- shared bits ----

  /** Credentials of some kind, or none, or a signature (sometimes of something else). */
  private auth(method: string, path: string, query: string, body: Buffer | undefined, avoidSessions: boolean): Array<[string, string]> {
    const roll = this.int(avoidSessions ? 3 : 8);
    switch (roll) {
      case 0:
        return [];
      case 1:
        return [['Authorization', `Bearer ${this.creds.api_key}`]];
      case 2: {
        const signed = signRequest({ keyId: this.creds.key_id, secret: this.creds.key_secret, method, path, query, body: body ?? '' });
        if (this.chance(0.3)) signed['X-AW-Nonce'] = 'replayed-nonce-0001';
        return Object.entries(signed);
      }
      case 3:
        return [['Authorization', `Bearer ${this.creds.viewer}`]];
      case 4:
        return [['Authorization', `Bearer ${this.creds.operator}`]];
      default:
        return [['Authorization', `Bearer ${this.creds.admin}`]];
    }
  }

  private extras(): Array<[string, string]> {
    const out: Array<[string, string]> = [];
    if (this.chance(0.2)) out.push(['X-Request-Id', this.pick(['fuzz-' + this.int(1e9), 'bad id', 'x'.repeat(200)])]);
    if (this.chance(0.1)) out.push(['If-Match', this.pick(['*', '"1"', '"999"', 'W/"1"', 'garbage'])]);
    return out;
  }

  private make(
    kind: string,
    method: string,
    target: string,
    headers: Array<[string, string]>,
    body: Buffer | string | undefined,
    mustAnswer: boolean,
    boom: boolean,
  ): FuzzCase {
    const b = body === undefined ? undefined : Buffer.isBuffer(body) ? body : Buffer.from(body);
    if (b && !headers.some(([k]) => k.toLowerCase() === 'content-length' || k.toLowerCase() === 'transfer-encoding')) {
      headers = [...headers, ['Content-Length', String(b.length)]];
    }
    const shown = headers.map(([k, v]) => `${k}: ${v.length > 60 ? v.slice(0, 60) + '…' : v}`).join(' | ');
    return {
      kind,
      desc: `${kind}: ${method.slice(0, 20)} ${target.slice(0, 120)} [${shown.slice(0, 300)}] body=${b ? JSON.stringify(b.subarray(0, 120).toString('latin1')) + ` (${b.length} B)` : 'none'}`,
      bytes: requestBytes(method, target, headers, b),
      mustAnswer,
      boom,
      head: method === 'HEAD',
    };
  }
}
