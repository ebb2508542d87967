/**
 * One output stream of a task run, kept up to a cap. Past the cap the bytes are counted, not kept,
 * and the text ends with a marker that says where it was cut and how much was lost, so a reader
 * never mistakes cut output for the whole of it.
 */
export class CappedOutput {
  private readonly chunks: Buffer[] = [];
  private kept = 0;
  private dropped = 0;

  constructor(readonly capBytes: number) {}

  /** Takes a chunk; returns the part of it that was kept (to stream live), empty once past the cap. */
  push(chunk: Buffer): Buffer {
    const room = this.capBytes - this.kept;
    if (room <= 0) {
      this.dropped += chunk.length;
      return EMPTY;
    }
    const part = chunk.length <= room ? chunk : chunk.subarray(0, room);
    this.chunks.push(part);
    this.kept += part.length;
    this.dropped += chunk.length - part.length;
    return part;
  }

  get cut(): boolean {
    return this.dropped > 0;
  }

  get totalBytes(): number {
    return this.kept + this.dropped;
  }

  text(): string {
    const body = Buffer.concat(this.chunks).toString('utf8');
    return this.cut ? body + cutMarker(this.capBytes, this.dropped) : body;
  }
}

export const cutMarker = (capBytes: number, dropped: number) => `\n[autowatch: output cut at ${capBytes} bytes; ${dropped} more bytes not kept]\n`;

const EMPTY = Buffer.alloc(0);
