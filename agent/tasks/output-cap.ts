/**
 * One output stream of a task run, kept up to a cap. Past the cap the bytes are counted, not kept,
 * and the text ends with a marker that says where it was cut and how much was lost, so a reader
 * never mistakes cut output for the whole of it.
 */
export class CappedOutput {
  private readonly chunks: Buffer[] = [];
  private kept = 0;
  private dropped = 0;
  private final: string | undefined;

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

  /**
   * The kept output as text. Bytes that are not UTF-8 become U+FFFD (3 bytes each), so binary output
   * can grow when decoded: the text is trimmed back to the cap (and marked cut) so that a result
   * always fits in one frame.
   */
  text(): string {
    if (this.final !== undefined) return this.final;
    let body = Buffer.concat(this.chunks).toString('utf8');
    let bytes = Buffer.byteLength(body);
    while (bytes > this.capBytes) {
      const keep = Math.floor((body.length * this.capBytes) / bytes);
      this.dropped += bytes - Buffer.byteLength((body = body.slice(0, keep)));
      bytes = Buffer.byteLength(body);
    }
    this.final = this.cut ? body + cutMarker(this.capBytes, this.dropped) : body;
    return this.final;
  }
}

export const cutMarker = (capBytes: number, dropped: number) => `\n[autowatch: output cut at ${capBytes} bytes; ${dropped} more bytes not kept]\n`;

const EMPTY = Buffer.alloc(0);
