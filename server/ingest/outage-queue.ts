/**
 * A durable FIFO of metric batches on local disk: where accepted points wait while the metric store
 * is unreachable. Each append is one record `[u32 length][u32 crc32][msgpack]` written and fdatasync'd
 * before it returns, so a batch acknowledged to its agent survives a crash of this process.
 * Segments rotate at `segmentBytes`; a segment is deleted once every record in it was replayed.
 * The read position is not persisted: after a restart the remaining segments replay from their
 * start, which is safe because the store skips batches it already holds (agent id + batch id).
 */
import { closeSync, fdatasyncSync, linkSync, mkdirSync, openSync, readFileSync, readdirSync, statSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { pack, unpack } from 'msgpackr';
import { AppError } from '../errors.js';
import type { IngestBatch } from '../store/metric-store.js';

export interface OutageQueueOptions {
  dir: string;
  /** Bound on disk: appends past it are refused (the agents keep their batches and retry). */
  maxBytes: number;
  segmentBytes?: number;
}

interface Segment {
  seq: number;
  file: string;
  bytes: number;
}

const HEADER = 8;

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32(buf: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < buf.length; i++) c = CRC_TABLE[(c ^ buf[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

export class OutageQueue {
  private segments: Segment[] = [];
  private writeFd: number | undefined;
  /** Records of the oldest segment not yet handed out, and how many were handed out. */
  private readBuffer: IngestBatch[][] | undefined;
  private readIndex = 0;
  private count = 0;

  constructor(private readonly opts: OutageQueueOptions) {
    mkdirSync(opts.dir, { recursive: true, mode: 0o700 });
    for (const name of readdirSync(opts.dir)
      .filter((f) => /^outage-\d{10}\.log$/.test(f))
      .sort()) {
      const file = join(opts.dir, name);
      this.segments.push({ seq: Number(name.slice(7, 17)), file, bytes: statSync(file).size });
      this.count += readRecords(file).length;
    }
  }

  /** Records waiting. */
  get length(): number {
    return this.count;
  }

  get bytes(): number {
    return this.segments.reduce((n, s) => n + s.bytes, 0);
  }

  /** Appends durably (fdatasync) or throws OUTAGE_QUEUE_FULL. */
  append(batches: IngestBatch[]): void {
    const body = pack(batches);
    const record = Buffer.allocUnsafe(HEADER + body.length);
    record.writeUInt32LE(body.length, 0);
    record.writeUInt32LE(crc32(body), 4);
    body.copy(record, HEADER);
    if (this.bytes + record.length > this.opts.maxBytes) {
      throw new AppError('OUTAGE_QUEUE_FULL', 'unavailable', 'the metric store is unreachable and the local outage queue is full', undefined, {
        retryAfterS: 10,
      });
    }
    let tail = this.segments[this.segments.length - 1];
    if (!tail || this.writeFd === undefined || tail.bytes >= (this.opts.segmentBytes ?? 64 * 2 ** 20)) {
      if (this.writeFd !== undefined) closeSync(this.writeFd);
      const seq = (tail?.seq ?? 0) + 1;
      tail = { seq, file: join(this.opts.dir, `outage-${String(seq).padStart(10, '0')}.log`), bytes: 0 };
      this.segments.push(tail);
      this.writeFd = openSync(tail.file, 'a', 0o600);
    }
    writeSync(this.writeFd, record);
    fdatasyncSync(this.writeFd);
    tail.bytes += record.length;
    this.count++;
  }

  /** The oldest record, without removing it; undefined when empty. */
  peek(): IngestBatch[] | undefined {
    while (this.segments.length) {
      if (!this.readBuffer) {
        // The segment being appended to is read as it is now; records appended later are read
        // after this buffer is used up (the segment is re-read from where we were).
        this.readBuffer = readRecords(this.segments[0].file);
      }
      if (this.readIndex < this.readBuffer.length) return this.readBuffer[this.readIndex];
      // Used up: drop the segment unless it is still the one being written.
      if (this.segments.length === 1 && this.writeFd !== undefined) {
        const fresh = readRecords(this.segments[0].file);
        if (fresh.length > this.readIndex) {
          this.readBuffer = fresh;
          continue;
        }
        closeSync(this.writeFd);
        this.writeFd = undefined;
      }
      unlinkSync(this.segments[0].file);
      this.segments.shift();
      this.readBuffer = undefined;
      this.readIndex = 0;
    }
    return undefined;
  }

  /** Removes the record `peek` returned (after it was stored). */
  shift(): void {
    if (!this.readBuffer || this.readIndex >= this.readBuffer.length) return;
    this.readIndex++;
    this.count--;
    if (this.count === 0) this.peek(); // deletes the used-up segments
  }

  close(): void {
    if (this.writeFd !== undefined) closeSync(this.writeFd);
    this.writeFd = undefined;
  }
}

/** Every whole record of a segment; a torn or corrupt tail (a crash mid-append) ends the read. */
function readRecords(file: string): IngestBatch[][] {
  const buf = readFileSync(file);
  const out: IngestBatch[][] = [];
  for (let at = 0; at + HEADER <= buf.length; ) {
    const len = buf.readUInt32LE(at);
    const end = at + HEADER + len;
    if (end > buf.length) break;
    const body = buf.subarray(at + HEADER, end);
    if (crc32(body) !== buf.readUInt32LE(at + 4)) break;
    out.push(unpack(body) as IngestBatch[]);
    at = end;
  }
  return out;
}

/**
 * A queue folder under `base` that no live process holds: `slot-N/` with a lock file naming its
 * owner's pid. Several server processes on one machine (and one data folder) each get their own; a
 * restarted process takes over the slot of one that died, and so replays what it had queued.
 */
export function claimQueueDir(base: string): { dir: string; release: () => void } {
  mkdirSync(base, { recursive: true, mode: 0o700 });
  for (let n = 1; n <= 256; n++) {
    const dir = join(base, `slot-${n}`);
    const lock = join(dir, 'owner.pid');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    // The lock appears whole or not at all: written aside, then hard-linked into place (fails if taken).
    const aside = `${lock}.${process.pid}`;
    writeFileSync(aside, String(process.pid), { mode: 0o600 });
    try {
      linkSync(aside, lock);
    } catch {
      unlinkSync(aside);
      const owner = Number(readFileSync(lock, 'utf8').trim());
      if (owner > 0 && (owner === process.pid ? HELD.has(dir) : alive(owner))) continue;
      unlinkSync(lock);
      n--; // the owner is gone: try this slot again
      continue;
    }
    unlinkSync(aside);
    HELD.add(dir);
    const release = () => {
      HELD.delete(dir);
      try {
        unlinkSync(lock);
      } catch {
        // already gone
      }
    };
    return { dir, release };
  }
  throw new Error(`no free outage queue slot under ${base}`);
}

/** Slots this process holds (several servers in one process: tests). */
const HELD = new Set<string>();

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
