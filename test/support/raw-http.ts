/**
 * HTTP/1.1 over a bare TCP socket, for tests that must send what fetch refuses to: lying
 * Content-Length, broken chunking, garbage request lines, huge headers. One request a connection:
 * the bytes go out as given, the first answer is read, the socket is closed.
 */
import { connect } from 'node:net';

export type RawOutcome =
  | { kind: 'answer'; status: number; headers: Record<string, string>; body: Buffer; ms: number }
  /** The server closed (or reset) the connection without a complete answer. */
  | { kind: 'closed'; ms: number; partial: string }
  | { kind: 'timeout'; ms: number }
  /** Bytes that are not an HTTP answer (a server bug). */
  | { kind: 'garbled'; ms: number; partial: string; why: string };

export interface RawRequestOptions {
  timeoutMs?: number;
  /** Half-close after sending (the client says it will send no more bytes). */
  halfClose?: boolean;
  /** The request was HEAD: an answer has no body whatever its Content-Length says. */
  head?: boolean;
}

export function rawRequest(port: number, bytes: Buffer, opts: RawRequestOptions = {}): Promise<RawOutcome> {
  const started = performance.now();
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let buf = Buffer.alloc(0);
    let settled = false;
    const finish = (outcome: RawOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(outcome);
    };
    const ms = () => Math.round(performance.now() - started);
    const timer = setTimeout(() => finish({ kind: 'timeout', ms: ms() }), opts.timeoutMs ?? 10_000);
    socket.on('connect', () => {
      // The server may answer and close before every byte is written (413, 431): that is not an error here.
      socket.write(bytes, () => {
        if (opts.halfClose) socket.end();
      });
    });
    socket.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      try {
        const parsed = parseAnswer(buf, opts.head ?? false);
        if (parsed) finish({ kind: 'answer', ...parsed, ms: ms() });
      } catch (err) {
        finish({ kind: 'garbled', ms: ms(), partial: buf.subarray(0, 300).toString('latin1'), why: (err as Error).message });
      }
    });
    const closed = () => finish({ kind: 'closed', ms: ms(), partial: buf.subarray(0, 200).toString('latin1') });
    socket.on('error', closed);
    socket.on('close', closed);
  });
}

/** The first complete answer in `buf`, or null when more bytes are needed. */
export function parseAnswer(buf: Buffer, head: boolean): { status: number; headers: Record<string, string>; body: Buffer } | null {
  const end = buf.indexOf('\r\n\r\n');
  if (end < 0) return null;
  const lines = buf.subarray(0, end).toString('latin1').split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0]);
  if (!m) throw new Error(`not an HTTP answer: ${JSON.stringify(lines[0].slice(0, 100))}`);
  const status = Number(m[1]);
  const headers: Record<string, string> = {};
  for (const line of lines.slice(1)) {
    const i = line.indexOf(':');
    if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  const rest = buf.subarray(end + 4);
  // 100 Continue (and other interim answers) come before the real one.
  if (status >= 100 && status < 200) return rest.length ? parseAnswer(rest, head) : null;
  if (head || status === 204 || status === 304) return { status, headers, body: Buffer.alloc(0) };
  if (headers['content-length'] !== undefined) {
    const length = Number(headers['content-length']);
    return rest.length >= length ? { status, headers, body: rest.subarray(0, length) } : null;
  }
  if (/chunked/i.test(headers['transfer-encoding'] ?? '')) return dechunk(rest, status, headers);
  // Neither: the body runs to the end of the connection; the close handler reports what came.
  return null;
}

function dechunk(rest: Buffer, status: number, headers: Record<string, string>) {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = rest.indexOf('\r\n', at);
    if (lineEnd < 0) return null;
    const size = parseInt(rest.subarray(at, lineEnd).toString('latin1'), 16);
    if (Number.isNaN(size)) throw new Error('bad chunk size in an answer');
    if (size === 0) return { status, headers, body: Buffer.concat(parts) };
    if (rest.length < lineEnd + 2 + size + 2) return null;
    parts.push(rest.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
}

/** The bytes of a request: request line, headers (Host first unless given), blank line, body. */
export function requestBytes(method: string, target: string, headers: Array<[string, string]>, body?: Buffer | string): Buffer {
  const head = [`${method} ${target} HTTP/1.1`];
  if (!headers.some(([k]) => k.toLowerCase() === 'host')) head.push('Host: 127.0.0.1');
  for (const [k, v] of headers) head.push(`${k}: ${v}`);
  const bodyBuf = body === undefined ? Buffer.alloc(0) : Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8');
  return Buffer.concat([Buffer.from(head.join('\r\n') + '\r\n\r\n', 'latin1'), bodyBuf]);
}
