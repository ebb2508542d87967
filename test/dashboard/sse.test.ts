/** The dashboard's event-stream parser (dashboard/src/sse.ts): events split across reads come back whole. */
import { describe, expect, it } from 'vitest';
import { SseParser, readSse, type SseEvent } from '../../dashboard/src/sse.js';

describe('SseParser', () => {
  it('reads events split anywhere across chunks, skipping keep-alive comments', () => {
    const text = 'event: task\ndata: {"state":"running"}\n\n: keepalive\n\nevent: output\ndata: {"data":"a\\nb"}\n\nevent: end\r\ndata: {}\r\n\r\n';
    // Every way of cutting the text in two gives the same events.
    for (let cut = 0; cut <= text.length; cut++) {
      const p = new SseParser();
      const events = [...p.push(text.slice(0, cut)), ...p.push(text.slice(cut))];
      expect(events).toEqual([
        { event: 'task', data: '{"state":"running"}' },
        { event: 'output', data: '{"data":"a\\nb"}' },
        { event: 'end', data: '{}' },
      ]);
    }
  });

  it('joins multi-line data, names unnamed events "message", and keeps an unfinished event for later', () => {
    const p = new SseParser();
    expect(p.push('data: one\ndata:two\n\nevent: late\ndata: x')).toEqual([{ event: 'message', data: 'one\ntwo' }]);
    expect(p.push('\n\n')).toEqual([{ event: 'late', data: 'x' }]);
  });

  it('reads a streamed answer to its end', async () => {
    const chunks = ['event: a\nda', 'ta: 1\n\nevent: b\n', 'data: 2\n\n'];
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        for (const s of chunks) c.enqueue(new TextEncoder().encode(s));
        c.close();
      },
    });
    const got: SseEvent[] = [];
    await readSse(new Response(body), (e) => got.push(e));
    expect(got).toEqual([
      { event: 'a', data: '1' },
      { event: 'b', data: '2' },
    ]);
  });
});
