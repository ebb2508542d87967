import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CloseCode } from './close-codes.js';
import { FrameError, HEADER_BYTES, decodePayload, encodeFrame, macPrefix, verifyFrame } from './frame.js';
import { MessageType } from './messages.js';

const key = randomBytes(32);
const prefix = macPrefix('3f0c8a52-3c0e-4b8e-9a53-0d6e1f3a7b21', randomBytes(16));
const now = 1_700_000_000_000;
const ctx = { key, prefix, lastSeq: 0, now, clockSkewMs: 300_000 };
const message = { batch: 7, points: [{ name: 'cpu.usage_pct', labels: { cpu: 'total' }, t: now, v: 12.5 }] };

function closeCodeOf(fn: () => unknown): number {
  try {
    fn();
  } catch (err) {
    if (err instanceof FrameError) return err.closeCode;
    throw err;
  }
  throw new Error('expected a FrameError');
}

describe('frame codec', () => {
  it('round-trips a message and its header', () => {
    const frame = encodeFrame(key, prefix, MessageType.metrics, 1, now, message);
    const f = verifyFrame(frame, ctx);
    expect(f).toMatchObject({ version: 1, type: MessageType.metrics, seq: 1, time: now });
    expect(decodePayload(f.payload)).toEqual(message);
  });

  it('refuses any single flipped byte with a bad signature or a header error', () => {
    const frame = encodeFrame(key, prefix, MessageType.metrics, 5, now, message);
    for (let i = 0; i < frame.length; i++) {
      const bad = Buffer.from(frame);
      bad[i] ^= 0x01;
      const code = closeCodeOf(() => verifyFrame(bad, ctx));
      // Byte 0 is the version, checked first; every other byte is covered by the tag.
      expect(code).toBe(i === 0 ? CloseCode.PROTOCOL_UNSUPPORTED : CloseCode.BAD_SIGNATURE);
    }
  });

  it('refuses a frame tagged with another key or another session', () => {
    const other = encodeFrame(randomBytes(32), prefix, MessageType.heartbeat, 1, now, {});
    expect(closeCodeOf(() => verifyFrame(other, ctx))).toBe(CloseCode.BAD_SIGNATURE);
    const otherSession = encodeFrame(key, macPrefix('3f0c8a52-3c0e-4b8e-9a53-0d6e1f3a7b21', randomBytes(16)), MessageType.heartbeat, 1, now, {});
    expect(closeCodeOf(() => verifyFrame(otherSession, ctx))).toBe(CloseCode.BAD_SIGNATURE);
  });

  it('refuses replayed and reordered sequence numbers', () => {
    const frame = encodeFrame(key, prefix, MessageType.heartbeat, 3, now, {});
    expect(closeCodeOf(() => verifyFrame(frame, { ...ctx, lastSeq: 3 }))).toBe(CloseCode.BAD_SEQUENCE);
    expect(closeCodeOf(() => verifyFrame(frame, { ...ctx, lastSeq: 9 }))).toBe(CloseCode.BAD_SEQUENCE);
    expect(verifyFrame(frame, { ...ctx, lastSeq: 2 }).seq).toBe(3);
  });

  it('refuses times outside the window, on either side', () => {
    const old = encodeFrame(key, prefix, MessageType.heartbeat, 1, now - 301_000, {});
    const future = encodeFrame(key, prefix, MessageType.heartbeat, 1, now + 301_000, {});
    expect(closeCodeOf(() => verifyFrame(old, ctx))).toBe(CloseCode.STALE_TIME);
    expect(closeCodeOf(() => verifyFrame(future, ctx))).toBe(CloseCode.STALE_TIME);
    expect(verifyFrame(encodeFrame(key, prefix, MessageType.heartbeat, 1, now - 299_000, {}), ctx).seq).toBe(1);
  });

  it('refuses short frames, unknown types and non-msgpack payloads', () => {
    expect(closeCodeOf(() => verifyFrame(randomBytes(HEADER_BYTES - 1), ctx))).toBe(CloseCode.FRAME_MALFORMED);
    expect(closeCodeOf(() => verifyFrame(encodeFrame(key, prefix, 99 as any, 1, now, {}), ctx))).toBe(CloseCode.UNKNOWN_TYPE);
    for (const bytes of [[0xc1], [0x92, 0x01], [0x01, 0x02], [0x91, 0x01]]) {
      expect(closeCodeOf(() => decodePayload(Buffer.from(bytes)))).toBe(CloseCode.FRAME_MALFORMED);
    }
  });
});
