/**
 * Server-sent events read with fetch(): EventSource cannot send an Authorization header, and the API
 * takes the session token only there. The parser is the part of the SSE format the API writes
 * (`event:` and `data:` lines, a blank line ends an event, `:` lines are keep-alive comments), fed
 * chunks as they arrive, so an event split across reads is put back together.
 */

export interface SseEvent {
  event: string;
  data: string;
}

export class SseParser {
  private buffer = '';
  /** A chunk that ended in "\r": its "\n" may start the next one, and "\r\n" is one line end. */
  private pendingCr = false;

  /** The events that `chunk` completes (an unfinished one waits for the next chunk). */
  push(chunk: string): SseEvent[] {
    if (this.pendingCr) chunk = '\r' + chunk;
    this.pendingCr = chunk.endsWith('\r');
    if (this.pendingCr) chunk = chunk.slice(0, -1);
    this.buffer += chunk.replace(/\r\n?/g, '\n');
    const events: SseEvent[] = [];
    let end: number;
    while ((end = this.buffer.indexOf('\n\n')) >= 0) {
      const block = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      let event = 'message';
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (!line || line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'event') event = value;
        else if (field === 'data') data.push(value);
      }
      if (data.length) events.push({ event, data: data.join('\n') });
    }
    return events;
  }
}

/** Reads an event-stream answer to its end, calling `onEvent` for each event. */
export async function readSse(res: Response, onEvent: (e: SseEvent) => void): Promise<void> {
  if (!res.body) throw new Error('the answer has no body to stream');
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  const parser = new SseParser();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    for (const e of parser.push(value)) onEvent(e);
  }
}
