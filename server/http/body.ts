/** Reading a request body from uWS: bounded in size, aborted requests never resolve into handlers. */
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { HttpResponse } from 'uWebSockets.js';
import type { UploadedBody } from './route.js';
import { AppError } from '../errors.js';
import { unstorable, type Unstorable } from '../../protocol/storable-text.js';

export class RequestAborted extends Error {}

/** Set by the router's onAborted: a client that goes away mid-body must not leave a request waiting forever. */
export interface AbortState {
  value: boolean;
  onAbort?: () => void;
}

/**
 * A request body held at the door. uWS hands body chunks only to a handler attached while the
 * request is being taken, so the router attaches this at once and pauses the socket: nothing more
 * is read until the router has decided, from the headers, that the caller may send this body. What
 * arrived before the pause (one socket read, at most 512 KiB) waits in memory; nothing reaches the disk.
 */
export class PendingBody {
  private held: Array<[Buffer, boolean]> = [];
  private sink: ((chunk: Buffer, isLast: boolean) => void) | undefined;
  private ended = false;

  constructor(private readonly res: HttpResponse) {
    res.onData((chunk, isLast) => {
      // uWS reuses the chunk's memory after this callback returns: copy it.
      const copy = Buffer.from(chunk.slice(0));
      if (isLast) {
        this.ended = true;
        // The pause is the socket's: with the body in, its next request must be read.
        res.resume();
      }
      if (this.sink) this.sink(copy, isLast);
      else this.held.push([copy, isLast]);
    });
    res.pause();
  }

  /** Every byte arrived (or the body was dropped): the connection can take its next request. */
  get complete(): boolean {
    return this.ended;
  }

  /** Lets the body in: the chunks held so far, then the rest as it comes. */
  stream(sink: (chunk: Buffer, isLast: boolean) => void): void {
    this.sink = sink;
    // Resumed before the held chunks are handed over, so a sink that pauses for the disk stays paused.
    this.res.resume();
    const held = this.held;
    this.held = [];
    for (const [chunk, isLast] of held) sink(chunk, isLast);
  }

  /**
   * Reads and drops the rest of a body nobody will use, up to `limit` bytes: true when it ended
   * within them (the connection can serve the next request), false when it is longer, or the client left.
   */
  discard(limit: number, aborted: AbortState): Promise<boolean> {
    return new Promise((resolve) => {
      if (this.ended) return resolve(true);
      let size = 0;
      let done = false;
      const finish = (ok: boolean) => {
        if (done) return;
        done = true;
        resolve(ok);
      };
      // The response is gone once aborted: nothing may touch it.
      aborted.onAbort = () => finish(false);
      if (aborted.value) return finish(false);
      this.stream((chunk, isLast) => {
        if (done) return;
        size += chunk.byteLength;
        if (isLast) finish(true);
        else if (size > limit) {
          this.res.pause();
          finish(false);
        }
      });
    });
  }

  pause(): void {
    this.res.pause();
  }

  resume(): void {
    this.res.resume();
  }
}

/** Collects the body; rejects with 413 past `limit` bytes (and stops buffering at once), and when the client goes away. */
export function readBody(body: PendingBody, limit: number, aborted: AbortState): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    aborted.onAbort = () => {
      if (done) return;
      done = true;
      chunks.length = 0;
      reject(new RequestAborted());
    };
    if (aborted.value) return aborted.onAbort();
    body.stream((chunk, isLast) => {
      if (done) return;
      size += chunk.byteLength;
      if (size > limit) {
        done = true;
        chunks.length = 0;
        reject(new AppError('BODY_TOO_LARGE', 'too_large', `request body exceeds ${limit} bytes`));
        return;
      }
      chunks.push(chunk);
      if (isLast) {
        done = true;
        if (aborted.value) reject(new RequestAborted());
        else resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size));
      }
    });
  });
}

/**
 * Streams the body to a new file in `dir` while hashing it, pausing the socket while the disk
 * catches up; rejects with 413 past `limit` bytes (the partial file is removed).
 */
export function readBodyToFile(body: PendingBody, limit: number, dir: string, aborted: AbortState): Promise<UploadedBody> {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `upload-${randomBytes(8).toString('hex')}`);
  const out = createWriteStream(path, { mode: 0o600 });
  const hash = createHash('sha256');
  return new Promise((resolve, reject) => {
    let size = 0;
    let done = false;
    const fail = (err: Error) => {
      done = true;
      out.destroy();
      rmSync(path, { force: true });
      reject(err);
    };
    out.on('error', (err) => !done && fail(err));
    aborted.onAbort = () => !done && fail(new RequestAborted());
    if (aborted.value) return aborted.onAbort();
    body.stream((chunk, isLast) => {
      if (done) return;
      size += chunk.byteLength;
      if (size > limit) return fail(new AppError('BODY_TOO_LARGE', 'too_large', `request body exceeds ${limit} bytes`));
      hash.update(chunk);
      if (!out.write(chunk) && !isLast) {
        body.pause();
        out.once('drain', () => !aborted.value && body.resume());
      }
      if (isLast) {
        done = true;
        out.end(() => {
          if (aborted.value) {
            rmSync(path, { force: true });
            reject(new RequestAborted());
          } else resolve({ path, size, sha256: hash.digest('hex') });
        });
      }
    });
  });
}

/** Depth of a parsed JSON value, without recursion so a hostile body cannot blow the stack. */
export function jsonDepth(value: unknown, stopAt: number): number {
  let max = 0;
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length) {
    const [v, d] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (d > max) max = d;
    if (max > stopAt) return max;
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, d + 1]);
  }
  return max;
}

/** Dotted path ('' for the value itself) and reason of the first string, value or key, Postgres cannot store; null when none. */
export function findUnstorable(value: unknown): { path: string; reason: Unstorable } | null {
  const stack: Array<[unknown, string]> = [[value, '']];
  while (stack.length) {
    const [v, path] = stack.pop()!;
    if (typeof v === 'string') {
      const reason = unstorable(v);
      if (reason) return { path, reason };
    } else if (v !== null && typeof v === 'object') {
      for (const [k, child] of Object.entries(v)) {
        const at = path ? `${path}.${k}` : k;
        const reason = unstorable(k);
        if (reason) return { path: at, reason };
        stack.push([child, at]);
      }
    }
  }
  return null;
}
